"""``{% major_banners %}``: the banners of open major incidents for the signed-in user (issue 13)."""

from __future__ import annotations

from typing import Any

from django import template

from incidents.major.selectors import major_banners_for

register = template.Library()


@register.inclusion_tag("incidents/_major_banner.html", takes_context=True)
def major_banners(context: dict[str, Any], service_slug: str = "") -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"banners": major_banners_for(user, service_slug=service_slug) if user is not None else []}
