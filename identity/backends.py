"""Local passwords, switchable off but for the break-glass accounts, and LDAP / Active Directory."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.utils import timezone
from django_auth_ldap.backend import LDAPBackend

from .directory import directory_groups_apply
from .models import DirectoryAccount


class LocalPasswordBackend(ModelBackend):
    """Django's password check, refused to everyone but ``LOCAL_PASSWORD_BREAK_GLASS`` when
    ``LOCAL_PASSWORD_SIGN_IN`` is off."""

    def user_can_authenticate(self, user: Any) -> bool:
        if (
            not settings.LOCAL_PASSWORD_SIGN_IN
            and user.get_username() not in settings.LOCAL_PASSWORD_BREAK_GLASS
        ):
            return False
        return super().user_can_authenticate(user)


class DirectoryLDAPBackend(LDAPBackend):
    """Bind and search (django-auth-ldap); roles and memberships from the LDAP groups' names."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if not settings.AUTH_LDAP_SERVER_URI or not username or not password:
            return None
        django_username = self.ldap_to_django_username(username)
        # An account of that name made here (the break-glass administrator) is never taken over.
        taken = (
            get_user_model()
            .objects.filter(username__iexact=django_username)
            .exclude(directory_account__source=DirectoryAccount.Source.LDAP)
            .exists()
        )
        if taken:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    @transaction.atomic
    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> Any:
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        if user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
        DirectoryAccount.objects.update_or_create(
            user=user,
            defaults={
                "source": DirectoryAccount.Source.LDAP,
                "subject": ldap_user.dn,
                "last_sign_in": timezone.now(),
            },
        )
        directory_groups_apply(user=user, group_names=ldap_user.group_names)
        return user
