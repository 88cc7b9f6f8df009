"""Watchers: colleagues a caller adds so that they follow the incident (portal and public mail)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.access import access_for

from ... import permissions
from ...errors import PermissionDenied
from ..events import event_record
from ..models import IncidentEvent, Status, Watcher
from .common import check_text, lock_for_edit

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ..models import Incident

FINISHED = (Status.CLOSED, Status.CANCELLED)
EMAIL_MAX_LENGTH = 254


def _check_may_manage(actor: User, incident: Incident) -> None:
    if incident.status in FINISHED:
        raise ValidationError(
            {
                "email": _("%(number)s is %(status)s.")
                % {"number": incident.number, "status": incident.get_status_display().lower()}
            }
        )
    access = access_for(actor)
    if not (permissions.is_caller(access, incident) or permissions.can(access, incident, "update")):
        raise PermissionDenied(
            _("Only the caller or the service desk adds watchers to %(number)s.")
            % {"number": incident.number}
        )


@transaction.atomic
def watcher_add(*, actor: User, incident: Incident, email: str, now: datetime | None = None) -> Watcher:
    """Add the active user with this email address as a watcher (logged as an internal update)."""
    now = now or timezone.now()
    inc = lock_for_edit(incident, None)
    _check_may_manage(actor, inc)
    email = check_text("email", email, max_length=EMAIL_MAX_LENGTH, required=True).strip()
    users = list(get_user_model().objects.filter(email__iexact=email, is_active=True)[:2])
    if not users:
        raise ValidationError(
            {"email": _("No colleague with the address “%(email)s” was found.") % {"email": email}}
        )
    if len(users) > 1:
        raise ValidationError(
            {
                "email": _("Several accounts use “%(email)s”: ask the service desk to add them.")
                % {"email": email}
            }
        )
    user = users[0]
    if user.pk in (inc.caller_id, inc.reported_by_id):
        raise ValidationError({"email": _("This person already follows the incident.")})
    watcher, created = Watcher.objects.get_or_create(
        incident=inc, user=user, defaults={"added_by": actor, "created_at": now}
    )
    if not created:
        raise ValidationError(
            {
                "email": _("%(name)s already watches it.")
                % {"name": user.get_full_name() or user.get_username()}
            }
        )
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.UPDATED,
        actor=actor,
        now=now,
        changes={"watchers": {"old": None, "new": user.get_username()}},
    )
    return watcher


@transaction.atomic
def watcher_remove(*, actor: User, incident: Incident, user_id: int, now: datetime | None = None) -> bool:
    """Remove a watcher: the caller, the service desk, or the watcher themselves. True if one was removed."""
    now = now or timezone.now()
    inc = lock_for_edit(incident, None)
    if actor.pk != user_id:
        _check_may_manage(actor, inc)
    watcher = Watcher.objects.filter(incident=inc, user_id=user_id).select_related("user").first()
    if watcher is None:
        return False
    username = watcher.user.get_username()
    watcher.delete()
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.UPDATED,
        actor=actor,
        now=now,
        changes={"watchers": {"old": username, "new": None}},
    )
    return True
