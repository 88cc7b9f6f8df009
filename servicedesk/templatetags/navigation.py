"""``{% nav_links %}``: the main menu of ``base.html``, rendered once per process for each set of roles and
language and then reused.

The menu is some forty links, labels and conditions, a millisecond of every signed-in page (issue 25 §6).
What it shows depends only on the navigation flags of the context processors, the language and the
site's URL prefix, which are its key; nothing of one person (name, CSRF token, counts) is in it. The
templates, the URLs and the translations do not change while a process runs, so nothing expires.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

# Every context value _nav_links.html reads.
NAV_KEYS = (
    "live_pages",
    "nav_is_staff",
    "nav_is_manager",
    "nav_is_incident_manager",
    "nav_is_administrator",
    "nav_has_portal",
    "nav_has_dashboard",
    "nav_may_review_mail",
    "nav_has_knowledge",
    "nav_reads_time",
)
# Combinations of roles and languages are few; the bound only guards against a surprise.
KEPT = 512
_rendered: dict[tuple[Any, ...], str] = {}


@register.simple_tag(takes_context=True)
def nav_links(context: template.Context) -> SafeString:
    flags = {key: bool(context.get(key)) for key in NAV_KEYS}
    key = (get_language(), get_script_prefix(), *flags.values())
    html = _rendered.get(key)
    if html is None:
        html = render_to_string("_nav_links.html", flags)
        if len(_rendered) < KEPT:
            _rendered[key] = html
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, which escaped it
