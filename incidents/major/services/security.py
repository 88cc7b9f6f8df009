"""The security procedure (issue 13): contain, preserve evidence, notify, recover.

Each step is done once, by the security group (or the incident manager), and logged in the timeline.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.access import access_for

from ... import permissions
from ...errors import PermissionDenied
from ...records.events import event_record
from ...records.models import Incident, IncidentEvent
from ...records.services.common import check_choice, check_text, lock_for_edit
from ..models import SecurityStep

if TYPE_CHECKING:
    from django.contrib.auth.models import User

NOTE_MAX_LENGTH = 5000


@transaction.atomic
def security_step_complete(
    *, actor: User, incident: Incident, step: str, note: str = "", now: datetime | None = None
) -> SecurityStep:
    now = now or timezone.now()
    inc = lock_for_edit(incident, None)
    if not permissions.is_restricted(inc):
        raise ValidationError(_("%(number)s is not a security incident.") % {"number": inc.number})
    if not permissions.can_work(access_for(actor), inc):
        raise PermissionDenied(
            _("Only the security group works through the procedure of %(number)s.") % {"number": inc.number}
        )
    check_choice("step", step, SecurityStep.Step)
    note = check_text("note", note, max_length=NOTE_MAX_LENGTH)
    label = str(SecurityStep.Step(step).label)
    try:
        with transaction.atomic():
            done = SecurityStep.objects.create(incident=inc, step=step, note=note, done_by=actor, done_at=now)
    except IntegrityError:
        raise ValidationError(
            _("“%(label)s” is already done on %(number)s.") % {"label": label, "number": inc.number}
        ) from None
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.SECURITY_STEP,
        actor=actor,
        now=now,
        body=note,
        changes={"security_step": {"old": None, "new": label}},
    )
    return done
