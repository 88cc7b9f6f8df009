from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from identity.oidc import oidc_enabled

register = template.Library()


@register.inclusion_tag("identity/_provider_sign_in.html", takes_context=True)
def provider_sign_in(context: Any) -> dict[str, Any]:
    return {
        "oidc": oidc_enabled(),
        "provider": settings.OIDC_PROVIDER_NAME,
        "next": context.get("next", ""),
    }


@register.simple_tag
def local_password_sign_in() -> bool:
    return bool(settings.LOCAL_PASSWORD_SIGN_IN)
