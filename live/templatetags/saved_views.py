from __future__ import annotations

from typing import Any

from django import template

from escalation.access import access_of

from .. import selectors

register = template.Library()


@register.inclusion_tag("live/_saved_views_bar.html", takes_context=True)
def saved_views_bar(context: Any) -> dict[str, Any]:
    """The person's saved views with their counts, and the way to save the queue as shown."""
    request = context["request"]
    access = access_of(request)
    query = request.GET.copy()
    for transient in ("cursor", "format"):
        query.pop(transient, None)
    current = query.urlencode()
    return {
        "views": selectors.nav_views(access),
        "query": current,
        "current": current,
    }
