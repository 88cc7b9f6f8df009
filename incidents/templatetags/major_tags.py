"""``{% major_banners %}``: the banners of open major incidents for the signed-in user (issue 13)."""

from __future__ import annotations

from typing import Any

from django import template

from escalation.access import ANONYMOUS, access_of
from incidents.major.selectors import major_banners_for

register = template.Library()


@register.inclusion_tag("incidents/_major_banner.html", takes_context=True)
def major_banners(context: dict[str, Any], service_slug: str = "") -> dict[str, Any]:
    request = context.get("request")
    access = access_of(request) if request is not None and hasattr(request, "access") else ANONYMOUS
    return {"banners": major_banners_for(access, service_slug=service_slug)}
