"""Lifecycle moves (SPEC §4): one service per row of ``incidents.models.TRANSITIONS``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.access import Access, access_for, actor_access
from escalation.business_time import subtract_days
from escalation.models import Membership, SupportGroup
from escalation.policies import calendar_default

from ...errors import TransitionNotAllowed
from ...major.models import PostIncidentReview
from ...sla import clocks as sla
from ..events import diff, event_record, snapshot
from ..models import TRANSITIONS, HoldReason, Incident, IncidentEvent, ResolutionCode, Status
from .common import (
    authorise,
    check_choice,
    check_member,
    check_support_group,
    check_text,
    lock_for_edit,
    move_group,
    save_versioned,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def incident_assign(
    *,
    actor: User,
    incident: Incident,
    expected_version: int | None,
    assigned_to: User | None = None,
    assignment_group: SupportGroup | None = None,
    now: datetime | None = None,
    access: Access | None = None,
) -> Incident:
    """Assign to a person of the group, or hand the incident to another group (unassigned).

    ``access``: the actor's, when the caller holds it (a bulk assignment asks once, not per incident).
    """
    now = now or timezone.now()
    inc = lock_for_edit(incident, expected_version)
    authorise(actor_access(actor, access), inc, "assign")
    group = assignment_group or inc.assignment_group
    check_support_group("assignment_group", group)
    if assigned_to is None and group.pk == inc.assignment_group_id:
        raise ValidationError(
            {"assigned_to": _("Choose a person, or another group to hand the incident to.")}
        )
    check_member("assigned_to", assigned_to, group)
    before = snapshot(inc, ["status", "assignment_group", "assigned_to"])
    if group.pk != inc.assignment_group_id:
        move_group(inc, group=group, actor=actor, now=now)
    inc.assigned_to = assigned_to
    inc.status = Status.ASSIGNED
    if assigned_to is not None:
        sla.acknowledge(inc, now=now)
    sla.refresh(inc, now=now)
    save_versioned(
        inc, actor=actor, now=now, fields=["status", "assignment_group", "assigned_to", "max_tier_reached"]
    )
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.ASSIGNED,
        actor=actor,
        now=now,
        changes=diff(before, snapshot(inc, list(before))),
    )
    return inc


@transaction.atomic
def incident_start(
    *, actor: User, incident: Incident, expected_version: int | None, now: datetime | None = None
) -> Incident:
    """Start work. An unassigned incident is taken by the actor, who must belong to its group."""
    now = now or timezone.now()
    inc = lock_for_edit(incident, expected_version)
    authorise(access_for(actor), inc, "start")
    before = snapshot(inc, ["status", "assigned_to"])
    if inc.assigned_to_id is None:
        check_member("assigned_to", actor, inc.assignment_group)
        inc.assigned_to = actor
    inc.status = Status.IN_PROGRESS
    sla.acknowledge(inc, now=now)
    sla.refresh(inc, now=now)
    save_versioned(inc, actor=actor, now=now, fields=["status", "assigned_to"])
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.STARTED,
        actor=actor,
        now=now,
        changes=diff(before, snapshot(inc, list(before))),
    )
    return inc


@transaction.atomic
def incident_escalate(
    *,
    actor: User | None,
    incident: Incident,
    expected_version: int | None,
    assignment_group: SupportGroup,
    reason: str,
    by_rule: str = "",
    said: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Incident:
    """Functional escalation: hand the incident to another support group, with a reason.

    ``actor`` is None when an escalation rule moves the incident; ``by_rule`` names the rule, and
    ``said`` the reason as a stored message (``texts``), shown in the reader's language.
    """
    now = now or timezone.now()
    inc = lock_for_edit(incident, expected_version)
    if actor is None:
        if not inc.allows("escalate"):
            raise TransitionNotAllowed(
                number=inc.number,
                action="escalate",
                status=inc.status,
                allowed_from=sorted(TRANSITIONS["escalate"].sources),
            )
    else:
        authorise(access_for(actor), inc, "escalate")
    reason = check_text("reason", reason, max_length=Incident.ESCALATION_REASON_MAX_LENGTH, required=True)
    check_support_group("assignment_group", assignment_group)
    if assignment_group.pk == inc.assignment_group_id:
        raise ValidationError(
            {
                "assignment_group": _("%(number)s is already with %(name)s.")
                % {"number": inc.number, "name": assignment_group.name}
            }
        )
    fields = ["status", "assignment_group", "assigned_to", "max_tier_reached", "escalation_level"]
    before = snapshot(inc, fields)
    move_group(inc, group=assignment_group, actor=actor, now=now, reason=reason, by_rule=by_rule)
    inc.assigned_to = None
    inc.status = Status.ASSIGNED
    inc.escalation_level += 1  # every escalation, by hand or by rule, raises the level
    sla.refresh(inc, now=now)
    save_versioned(inc, actor=actor, now=now, fields=fields)
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.ESCALATED,
        actor=actor,
        now=now,
        body=reason,
        changes=diff(before, snapshot(inc, list(before))),
        said=said,
    )
    return inc


@transaction.atomic
def incident_hold(
    *,
    actor: User,
    incident: Incident,
    expected_version: int | None,
    reason: str,
    note: str = "",
    now: datetime | None = None,
) -> Incident:
    """Put on hold. Only ``awaiting_caller`` stops the SLA clock (SPEC §6)."""
    now = now or timezone.now()
    inc = lock_for_edit(incident, expected_version)
    authorise(access_for(actor), inc, "hold")
    check_choice("reason", reason, HoldReason)
    note = check_text("note", note, max_length=Incident.NOTE_MAX_LENGTH)
    before = snapshot(inc, ["status", "hold_reason"])
    inc.status = Status.ON_HOLD
    inc.hold_reason = reason
    sla.pause(inc, now=now)
    sla.refresh(inc, now=now)
    save_versioned(inc, actor=actor, now=now, fields=["status", "hold_reason"])
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.HELD,
        actor=actor,
        now=now,
        body=note,
        public=reason == HoldReason.AWAITING_CALLER,
        changes=diff(before, snapshot(inc, list(before))),
    )
    return inc


@transaction.atomic
def incident_resume(
    *,
    actor: User | None,
    incident: Incident,
    expected_version: int | None,
    now: datetime | None = None,
) -> Incident:
    """Take the incident off hold; the SLA clock restarts with the time it had left.

    ``actor`` is None when a caller's reply resumes an incident awaiting the caller.
    """
    now = now or timezone.now()
    inc = lock_for_edit(incident, expected_version)
    if actor is not None:
        authorise(access_for(actor), inc, "resume")
    elif not inc.allows("resume"):
        return inc
    before = snapshot(inc, ["status", "hold_reason"])
    sla.resume(inc, now=now)
    inc.status = Status.IN_PROGRESS
    inc.hold_reason = ""
    sla.refresh(inc, now=now)
    save_versioned(inc, actor=actor, now=now, fields=["status", "hold_reason"])
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.RESUMED,
        actor=actor,
        now=now,
        changes=diff(before, snapshot(inc, list(before))),
    )
    return inc


@transaction.atomic
def incident_resolve(
    *,
    actor: User,
    incident: Incident,
    expected_version: int | None,
    resolution_code: str,
    resolution_notes: str,
    now: datetime | None = None,
) -> Incident:
    """Resolve with a code and notes. Open child incidents follow their parent's resolution."""
    now = now or timezone.now()
    inc = lock_for_edit(incident, expected_version)
    authorise(access_for(actor), inc, "resolve")
    if not resolution_code:
        raise ValidationError({"resolution_code": _("Choose a resolution code.")})
    check_choice("resolution_code", resolution_code, ResolutionCode)
    resolution_notes = check_text(
        "resolution_notes", resolution_notes, max_length=Incident.RESOLUTION_NOTES_MAX_LENGTH, required=True
    )
    owner = None
    if (
        inc.assigned_to_id is None
        and Membership.objects.filter(user=actor, group=inc.assignment_group).exists()
    ):
        owner = actor  # whoever in the group resolves it owns the resolution
    _mark_resolved(inc, actor=actor, now=now, code=resolution_code, notes=resolution_notes, owner=owner)
    for child in Incident.objects.filter(parent=inc, status__in=TRANSITIONS["resolve"].sources):
        notes = f"Resolved with its parent {inc.number}: {resolution_notes}"
        _mark_resolved(lock_for_edit(child, None), actor=actor, now=now, code=resolution_code, notes=notes)
    return inc


def _mark_resolved(
    inc: Incident, *, actor: User, now: datetime, code: str, notes: str, owner: User | None = None
) -> None:
    """Resolve a locked incident whose move was checked: fields, clocks, event, notification.

    ``owner`` takes the unassigned incident; the snapshot comes first, so the log shows the change.
    """
    before = snapshot(inc, ["status", "resolution_code", "assigned_to"])
    if owner is not None:
        inc.assigned_to = owner
    inc.status = Status.RESOLVED
    inc.resolution_code = code
    inc.resolution_notes = notes
    inc.resolved_at = now
    sla.acknowledge(inc, now=now)
    sla.refresh(inc, now=now)
    save_versioned(
        inc,
        actor=actor,
        now=now,
        fields=["status", "resolution_code", "resolution_notes", "resolved_at", "assigned_to"],
    )
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.RESOLVED,
        actor=actor,
        now=now,
        public=True,
        body=notes,
        changes=diff(before, snapshot(inc, list(before))),
    )


@transaction.atomic
def incident_reopen(
    *,
    actor: User,
    incident: Incident,
    expected_version: int | None,
    reason: str,
    now: datetime | None = None,
) -> Incident:
    now = now or timezone.now()
    inc = lock_for_edit(incident, expected_version)
    authorise(access_for(actor), inc, "reopen")
    reason = check_text("reason", reason, max_length=Incident.REASON_MAX_LENGTH, required=True)
    before = snapshot(inc, ["status", "resolution_code"])
    inc.status = Status.IN_PROGRESS
    inc.resolution_code = ""
    inc.resolved_at = None
    inc.reopen_count += 1
    sla.refresh(inc, now=now)
    save_versioned(
        inc, actor=actor, now=now, fields=["status", "resolution_code", "resolved_at", "reopen_count"]
    )
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.REOPENED,
        actor=actor,
        now=now,
        public=True,
        body=reason,
        changes=diff(before, snapshot(inc, list(before))),
    )
    return inc


def check_closable(inc: Incident) -> None:
    """A major incident closes only once its post-incident review is recorded (issue 13)."""
    if inc.major_incident and not PostIncidentReview.objects.filter(incident=inc).exists():
        raise ValidationError(
            _("%(number)s is a major incident: record its post-incident review before closing it.")
            % {"number": inc.number},
            code="review_required",
        )


@transaction.atomic
def incident_close(
    *,
    actor: User | None,
    incident: Incident,
    expected_version: int | None,
    close_notes: str = "",
    now: datetime | None = None,
) -> Incident:
    """Close a resolved incident: the caller confirms, the service desk closes, or (actor None)
    the auto-close after the configured business days without a reply."""
    now = now or timezone.now()
    inc = lock_for_edit(incident, expected_version)
    if actor is not None:
        authorise(access_for(actor), inc, "close")
    elif not inc.allows("close"):
        return inc
    check_closable(inc)
    close_notes = check_text("close_notes", close_notes, max_length=Incident.NOTE_MAX_LENGTH)
    before = snapshot(inc, ["status"])
    inc.status = Status.CLOSED
    inc.closed_at = now
    inc.close_notes = close_notes or (
        "Closed automatically: no reply from the caller." if actor is None else ""
    )
    sla.refresh(inc, now=now)
    save_versioned(inc, actor=actor, now=now, fields=["status", "closed_at", "close_notes"])
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.CLOSED,
        actor=actor,
        now=now,
        public=True,
        body=inc.close_notes,
        changes=diff(before, snapshot(inc, list(before))),
    )
    return inc


@transaction.atomic
def incident_cancel(
    *,
    actor: User,
    incident: Incident,
    expected_version: int | None,
    reason: str,
    duplicate_of: Incident | None = None,
    said: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Incident:
    """Cancel; ``said``: the reason as a stored message when the system words it (``texts``)."""
    now = now or timezone.now()
    inc = lock_for_edit(incident, expected_version)
    authorise(access_for(actor), inc, "cancel")
    reason = check_text("reason", reason, max_length=Incident.REASON_MAX_LENGTH, required=True)
    if duplicate_of is not None and duplicate_of.pk == inc.pk:
        raise ValidationError({"duplicate_of": _("An incident cannot duplicate itself.")})
    before = snapshot(inc, ["status", "duplicate_of"])
    sla.resume(inc, now=now)
    inc.status = Status.CANCELLED
    inc.hold_reason = ""
    if duplicate_of is not None:
        inc.duplicate_of = duplicate_of
    inc.closed_at = now
    sla.refresh(inc, now=now)
    save_versioned(inc, actor=actor, now=now, fields=["status", "hold_reason", "duplicate_of", "closed_at"])
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.CANCELLED,
        actor=actor,
        now=now,
        public=True,
        body=reason,
        changes=diff(before, snapshot(inc, list(before))),
        said=said,
    )
    return inc


def incidents_autoclose(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Close resolved incidents whose caller has not answered within the configured business days."""
    now = now or timezone.now()
    cutoff = subtract_days(calendar_default(), now, settings.SERVICEDESK["AUTOCLOSE_BUSINESS_DAYS"])
    closed = 0
    ids = list(
        Incident.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff, imported=False)
        .exclude(major_incident=True, review__isnull=True)  # waits for its post-incident review
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    for pk in ids:
        with transaction.atomic():
            incident = Incident.objects.get(pk=pk)
            before = incident.status
            incident_close(actor=None, incident=incident, expected_version=None, now=now)
            closed += before == Status.RESOLVED
    return closed
