"""Template helpers for incident pages: sanitised Markdown and readable activity changes."""

from __future__ import annotations

from typing import Any

import markdown as markdown_lib  # type: ignore[import-untyped,unused-ignore]
import nh3
from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# What a description or comment may contain once rendered: text formatting, lists, code,
# quotes, tables and links. No images (they would fetch from anywhere), no raw HTML.
ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


@register.filter(is_safe=True)
def markdown(text: str | None) -> SafeString:
    """Markdown to HTML, then cleaned by nh3: scripts, handlers and javascript: links are dropped."""
    html = markdown_lib.markdown(text or "", extensions=["fenced_code", "sane_lists", "tables"])
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has sanitised it


ACRONYMS = {"sla": "SLA", "ola": "OLA", "id": "ID"}


@register.filter
def field_label(name: str) -> str:
    """An incident field's label ("sla_state" → "SLA state"); any other name is spelled out alike."""
    from incidents.models import Incident

    try:
        field = Incident._meta.get_field(str(name))
    except FieldDoesNotExist:
        field = None
    label = str(getattr(field, "verbose_name", None) or str(name).replace("_", " "))
    words = [ACRONYMS.get(w.lower(), w) for w in label.split(" ")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]]) if words and words[0] else ""


@register.filter
def change_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("_", " ") if isinstance(value, str) and " " not in value else str(value)


@register.filter
def priority_class(priority: int | None) -> str:
    return {1: "danger", 2: "warning", 3: "info", 4: "secondary", 5: "light"}.get(priority or 0, "secondary")


@register.filter
def sla_class(state: str | None) -> str:
    return {"breached": "danger", "warning": "warning", "met": "success", "paused": "secondary"}.get(
        state or "", "primary"
    )
