"""OpenID Connect sign-in (mozilla-django-oidc): users by the provider's ``sub``, roles from its groups."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .directory import directory_groups_apply
from .models import DirectoryAccount

logger = logging.getLogger(__name__)


def oidc_enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def claim_groups(claims: dict[str, Any]) -> list[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM, [])
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value or []]


class DirectoryOIDCBackend(OIDCAuthenticationBackend):
    """Finds the user by the link to the provider's ``sub``; creates them at their first sign-in."""

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        if request is None or not oidc_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return get_user_model().objects.filter(
            directory_account__source=DirectoryAccount.Source.OIDC, directory_account__subject=claims["sub"]
        )

    @transaction.atomic
    def create_user(self, claims: dict[str, Any]) -> Any:
        User = get_user_model()
        username = (claims.get("preferred_username") or claims.get("email") or claims["sub"])[:150]
        if User.objects.filter(username__iexact=username).exists():
            # An account of that name exists and is not linked to this provider: never take it over.
            raise SuspiciousOperation(f"OIDC sign-in: the username {username!r} belongs to another account")
        user = User.objects.create_user(username=username)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        DirectoryAccount.objects.create(user=user, source=DirectoryAccount.Source.OIDC, subject=claims["sub"])
        return self.update_user(user, claims)

    @transaction.atomic
    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        user.first_name = (claims.get("given_name") or "")[:150]
        user.last_name = (claims.get("family_name") or "")[:150]
        user.email = claims.get("email") or ""
        user.save(update_fields=["first_name", "last_name", "email"])
        DirectoryAccount.objects.filter(user=user).update(last_sign_in=timezone.now())
        granted = directory_groups_apply(user=user, group_names=claim_groups(claims))
        logger.info(
            "OIDC sign-in of %s: roles %s, groups %s",
            user.username,
            granted["roles"],
            granted["support_groups"],
        )
        return user
