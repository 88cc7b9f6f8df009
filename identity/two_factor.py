"""TOTP two-factor with recovery codes (django-otp) for local and LDAP sign-in.

A person with a confirmed authenticator is asked for a code after their password. With
``TWO_FACTOR_REQUIRED`` the administrators, incident managers and managers must enrol before they
do anything else. A sign-in through the OpenID provider is never asked: the provider's own MFA counts.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import transaction
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalation.choices import Role

from .models import AccountAudit

RECOVERY_CODES = 10
# The roles TWO_FACTOR_REQUIRED applies to (with every superuser).
REQUIRED_ROLES = {Role.ADMINISTRATOR.value, Role.INCIDENT_MANAGER.value, Role.MANAGER.value}
SSO_BACKENDS = {"identity.oidc.DirectoryOIDCBackend"}
# "needed" or "not-needed", written at sign-in: whether this session must pass a code.
SESSION_KEY = "identity.second_factor"


def signed_in_through_provider(request: HttpRequest) -> bool:
    return request.session.get(BACKEND_SESSION_KEY) in SSO_BACKENDS


def on_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in``: note in the session whether it must pass a code (once, not on every page)."""
    if request is None or not hasattr(request, "session"):
        return
    through_provider = getattr(user, "backend", "") in SSO_BACKENDS
    needed = not through_provider and (is_enrolled(user) or is_required(user))
    request.session[SESSION_KEY] = "needed" if needed else "not-needed"


def enrolled_or_required_in_session(request: HttpRequest) -> bool:
    """Whether the session must pass a code; read once for a session made before the note existed."""
    if SESSION_KEY not in request.session:
        needed = not signed_in_through_provider(request) and (
            is_enrolled(request.user) or is_required(request.user)
        )
        request.session[SESSION_KEY] = "needed" if needed else "not-needed"
    return request.session[SESSION_KEY] == "needed"


def second_factor_pending(request: HttpRequest) -> bool:
    """Signed in with a password, the code still to come: the person sees the code page only, with no
    navigation (whose bell and live feed would only be sent back to the code page)."""
    return (
        request.user.is_authenticated
        and request.session.get(SESSION_KEY) != "not-needed"
        and enrolled_or_required_in_session(request)
        and not session_verified(request)
    )


def session_verified(request: HttpRequest) -> bool:
    """Whether this session has passed a code (``session_verify`` wrote the device into it)."""
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def session_verify(request: HttpRequest, device: Any) -> None:
    """Marks the session as having passed a code of ``device``, as django-otp's ``login`` does but
    without putting the device on the request's user."""
    request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id


def is_enrolled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_required(user: Any) -> bool:
    if not settings.TWO_FACTOR_REQUIRED:
        return False
    return bool(user.is_superuser or user.groups.filter(name__in=REQUIRED_ROLES).exists())


def enrolment_start(*, user: Any) -> TOTPDevice:
    """A new, unconfirmed authenticator (any earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def pending_device(*, user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


@transaction.atomic
def enrolment_confirm(*, user: Any, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirms ``device`` when ``token`` is its current code; returns the new recovery codes."""
    if not device.verify_token(token.strip()):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_renew(user=user)


@transaction.atomic
def recovery_codes_renew(*, user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return codes


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def devices_remove(*, user: Any) -> int:
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    return removed


@transaction.atomic
def second_factor_reset(*, actor: Any, user: Any) -> None:
    """An administrator's reset of a lost device, audited (identity.AccountAudit)."""
    removed = devices_remove(user=user)
    AccountAudit.objects.create(
        actor=actor,
        actor_label=getattr(actor, "username", ""),
        subject=user,
        subject_label=user.username,
        action=AccountAudit.Action.SECOND_FACTOR_RESET,
        detail={"devices_removed": removed},
    )


def second_factor_passes(*, user: Any, code: str) -> bool:
    """Whether a password sign-in outside the browser (the API's token endpoint) may go on: yes for an
    account without two-factor, else only with a current code or an unused recovery code."""
    if not is_enrolled(user):
        return not is_required(user)
    code = "".join((code or "").split())
    return bool(code) and match_token(user, code) is not None
