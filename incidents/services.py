"""Every write to an incident goes through here (SPEC §2-§5).

Each service is keyword-only, runs in one transaction with the incident row locked, checks
the actor's permission and the lifecycle table, bumps ``version``, records its events and
queues side effects after commit. ``expected_version`` is the version the editor saw; pass
``None`` only from system code (tasks, rules) that acts on the current state.
"""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from escalation.choices import Level
from escalation.defaults import SERVICE_DESK_SLUG
from escalation.models import Membership, SupportGroup

from . import permissions, sla
from .errors import PermissionDenied, TransitionNotAllowed, VersionConflict
from .events import diff, event_record, snapshot
from .models import (
    TRANSITIONS,
    Attachment,
    Category,
    Channel,
    Consultation,
    Counter,
    Handoff,
    HoldReason,
    Incident,
    IncidentEvent,
    PriorityMatrixEntry,
    ResolutionCode,
    Service,
    Status,
)
from .notifications import notify_on_commit

if TYPE_CHECKING:
    from django.contrib.auth.models import User

UserModel = get_user_model()

# Fields a person may change with ``incident_update``; lifecycle fields have their own services.
UPDATABLE_FIELDS = (
    "title",
    "description",
    "caller",
    "channel",
    "category",
    "subcategory",
    "service",
    "impact",
    "urgency",
    "major_incident",
    "parent",
    "duplicate_of",
    "problem_reference",
    "change_reference",
)


# --- helpers -------------------------------------------------------------------------------


def priority_for(*, impact: int, urgency: int) -> int:
    entry = PriorityMatrixEntry.objects.filter(impact=impact, urgency=urgency).values_list(
        "priority", flat=True
    )
    found = entry.first()
    if found is None:  # a cell deleted by hand: fall back on SPEC §3's rule
        return min(5, impact + urgency - 1)
    return found


def _next_number() -> str:
    """Allocate the next incident number inside the caller's transaction.

    The UPDATE locks the counter row until commit: concurrent creators queue behind it, and
    a rolled-back creation leaves the counter as it was, so numbers have no gaps.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_counter SET value = value + 1 WHERE name = %s RETURNING value", ["incident"]
        )
        row = cursor.fetchone()
    if row is None:
        Counter.objects.create(name="incident", value=1)
        value = 1
    else:
        value = row[0]
    return f"INC{value:07d}"


def _check_level(field: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(
            {field: f"{field.capitalize()} must be 1 (high), 2 (medium) or 3 (low)."}
        ) from None
    if number not in Level.values:
        raise ValidationError({field: f"{field.capitalize()} must be 1 (high), 2 (medium) or 3 (low)."})
    return number


def _check_title(title: Any) -> str:
    title = _check_text("title", title, max_length=10_000).strip()
    if not title:
        raise ValidationError({"title": "A title is required."})
    if len(title) > 200:
        raise ValidationError({"title": "The title may be at most 200 characters long."})
    return title


def _check_text(field: str, value: Any, *, max_length: int = 100_000, required: bool = False) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValidationError({field: "The text contains a NUL character."})
    if required and not text.strip():
        raise ValidationError({field: "This field is required."})
    if len(text) > max_length:
        raise ValidationError({field: f"At most {max_length} characters are allowed."})
    return text


def _check_choice(field: str, value: Any, choices: Any) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError({field: f"“{value}” is not a valid choice. Use one of: {allowed}."})
    return value


def _check_support_group(field: str, group: SupportGroup | None) -> SupportGroup:
    if group is None:
        raise ValidationError({field: "Choose a support group."})
    if not group.is_active or group.is_consulted:
        raise ValidationError({field: f"{group.name} cannot own incidents: choose an active support group."})
    return group


def _check_member(field: str, user: User | None, group: SupportGroup) -> None:
    if user is None:
        return
    if not Membership.objects.filter(user=user, group=group).exists():
        raise ValidationError({field: f"{user.get_username()} is not a member of {group.name}."})


def _check_categories(category: Category | None, subcategory: Category | None) -> None:
    if category is not None and category.parent_id is not None:
        raise ValidationError({"category": f"{category} is a subcategory; choose a top-level category."})
    if subcategory is not None:
        if category is None:
            raise ValidationError({"category": "Choose the category of the subcategory too."})
        if subcategory.parent_id != category.pk:
            raise ValidationError(
                {"subcategory": f"{subcategory.name} is not a subcategory of {category.name}."}
            )


def _lock(incident: Incident, expected_version: int | None) -> Incident:
    locked = Incident.objects.select_for_update().select_related("assignment_group").get(pk=incident.pk)
    if expected_version is not None and int(expected_version) != locked.version:
        changes = [
            _describe_event(e)
            for e in IncidentEvent.objects.filter(incident=locked, version__gt=int(expected_version))
            .select_related("actor")
            .order_by("created_at", "id")
        ]
        raise VersionConflict(
            number=locked.number, expected=int(expected_version), current=locked.version, changes=changes
        )
    return locked


def _describe_event(event: IncidentEvent) -> str:
    who = event.actor.get_username() if event.actor else "the system"
    what = ", ".join(event.changes) if event.changes else event.get_kind_display().lower()
    return f"{who} changed {what} at {timezone.localtime(event.created_at):%H:%M}"


def _authorise(actor: User, incident: Incident, action: str) -> None:
    transition = TRANSITIONS[action]
    if incident.status not in transition.sources:
        raise TransitionNotAllowed(
            number=incident.number,
            action=action,
            status=incident.status,
            allowed_from=[s for s in Status.values if s in transition.sources],
        )
    permissions.check(actor, incident, action)


def _save(
    incident: Incident, *, actor: User | None, now: datetime, fields: list[str], bump: bool = True
) -> None:
    """Save with a new version. ``bump=False`` is for additions that change no field a person
    edits (comments, attachments, consultations): they must not refuse a colleague's save."""
    if bump:
        incident.version += 1
    incident.updated_at = now
    incident.updated_by = actor
    incident.save(
        update_fields=[*dict.fromkeys(fields), *sla.SLA_FIELDS, "version", "updated_at", "updated_by"]
    )


def _move_group(
    incident: Incident,
    *,
    group: SupportGroup,
    actor: User | None,
    now: datetime,
    reason: str = "",
    by_rule: str = "",
) -> None:
    """Close the current hand-off and open one for ``group`` (time per tier, OLA)."""
    Handoff.objects.filter(incident=incident, ended_at__isnull=True).update(ended_at=now)
    Handoff.objects.create(
        incident=incident,
        group=group,
        tier=group.tier or 1,
        started_at=now,
        actor=actor,
        reason=reason,
        by_rule=by_rule,
    )
    incident.assignment_group = group
    incident.max_tier_reached = max(incident.max_tier_reached, group.tier or 1)


# --- create and update ---------------------------------------------------------------------


@transaction.atomic
def incident_create(
    *,
    actor: User,
    title: str,
    caller: User,
    description: str = "",
    channel: str = Channel.PHONE,
    impact: int = Level.MEDIUM,
    urgency: int = Level.MEDIUM,
    category: Category | None = None,
    subcategory: Category | None = None,
    service: Service | None = None,
    assignment_group: SupportGroup | None = None,
    assigned_to: User | None = None,
    major_incident: bool = False,
    parent: Incident | None = None,
    now: datetime | None = None,
) -> Incident:
    """Log an incident. Staff log for any caller; an end user only for themselves."""
    from escalation.roles import is_staff_member

    now = now or timezone.now()
    staff = is_staff_member(actor)
    if not staff and actor.pk != caller.pk:
        raise PermissionDenied("You can report incidents only for yourself.")
    if not staff and (assignment_group or assigned_to or major_incident):
        raise PermissionDenied("Only service desk staff choose the group, the assignee or the major flag.")
    title = _check_title(title)
    description = _check_text("description", description)
    impact = _check_level("impact", impact)
    urgency = _check_level("urgency", urgency)
    _check_choice("channel", channel, Channel)
    _check_categories(category, subcategory)
    if not getattr(caller, "is_active", True):
        raise ValidationError({"caller": f"{caller.get_username()} is not an active user."})
    group = assignment_group or SupportGroup.objects.get(slug=SERVICE_DESK_SLUG)
    _check_support_group("assignment_group", group)
    _check_member("assigned_to", assigned_to, group)
    if parent is not None and not parent.is_open:
        raise ValidationError({"parent": f"{parent.number} is {parent.status}: choose an open parent."})

    incident = Incident(
        number=_next_number(),
        title=title,
        description=description,
        caller=caller,
        reported_by=actor,
        channel=channel,
        category=category,
        subcategory=subcategory,
        service=service,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact=impact, urgency=urgency),
        status=Status.ASSIGNED if assigned_to else Status.NEW,
        assignment_group=group,
        assigned_to=assigned_to,
        major_incident=major_incident,
        parent=parent,
        max_tier_reached=group.tier or 1,
        created_at=now,
        updated_at=now,
        updated_by=actor,
    )
    if assigned_to is not None:
        sla.acknowledge(incident, now=now)
    sla.refresh(incident, now=now)
    incident.full_clean(exclude=["number", "priority", "caller", "reported_by", "assignment_group"])
    incident.save()
    Handoff.objects.create(incident=incident, group=group, tier=group.tier or 1, started_at=now, actor=actor)
    event = event_record(
        incident=incident,
        kind=IncidentEvent.Kind.CREATED,
        actor=actor,
        now=now,
        public=True,
        changes={
            f: {"old": None, "new": v}
            for f, v in snapshot(
                incident,
                [
                    "status",
                    "priority",
                    "impact",
                    "urgency",
                    "assignment_group",
                    "assigned_to",
                    "channel",
                    "caller",
                ],
            ).items()
        },
    )
    notify_on_commit(event)
    return incident


@transaction.atomic
def incident_update(
    *,
    actor: User,
    incident: Incident,
    expected_version: int | None,
    now: datetime | None = None,
    **changes: Any,
) -> Incident:
    """Change descriptive fields. A new impact or urgency recomputes priority and SLA targets."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    now = now or timezone.now()
    inc = _lock(incident, expected_version)
    _authorise(actor, inc, "update")
    if not permissions.can_work(actor, inc) and set(changes) - {"title", "description", "caller", "channel"}:
        # The service desk keeps the record up to date, but the owning group decides its priority.
        raise PermissionDenied(f"Only {inc.assignment_group.name} can change these fields of {inc.number}.")
    fields = [f for f in UPDATABLE_FIELDS if f in changes] + ["priority"]
    before = snapshot(inc, fields)

    if "title" in changes:
        changes["title"] = _check_title(changes["title"])
    if "description" in changes:
        changes["description"] = _check_text("description", changes["description"])
    for level in ("impact", "urgency"):
        if level in changes:
            changes[level] = _check_level(level, changes[level])
    if "channel" in changes:
        _check_choice("channel", changes["channel"], Channel)
    for ref in ("problem_reference", "change_reference"):
        if ref in changes:
            changes[ref] = _check_text(ref, changes[ref], max_length=60)
    for link in ("parent", "duplicate_of"):
        other = changes.get(link)
        if other is not None and other.pk == inc.pk:
            raise ValidationError({link: "An incident cannot be linked to itself."})
    if changes.get("parent") is not None and changes["parent"].parent_id == inc.pk:
        raise ValidationError({"parent": f"{changes['parent'].number} is already a child of {inc.number}."})
    for name, value in changes.items():
        setattr(inc, name, value)
    _check_categories(inc.category, inc.subcategory)
    inc.priority = priority_for(impact=inc.impact, urgency=inc.urgency)

    after = snapshot(inc, fields)
    changed = diff(before, after)
    if not changed:
        return inc
    sla.refresh(inc, now=now)
    _save(inc, actor=actor, now=now, fields=fields)
    event_record(incident=inc, kind=IncidentEvent.Kind.UPDATED, actor=actor, now=now, changes=changed)
    return inc


# --- lifecycle -----------------------------------------------------------------------------


@transaction.atomic
def incident_assign(
    *,
    actor: User,
    incident: Incident,
    expected_version: int | None,
    assigned_to: User | None = None,
    assignment_group: SupportGroup | None = None,
    now: datetime | None = None,
) -> Incident:
    """Assign to a person of the group, or hand the incident to another group (unassigned)."""
    now = now or timezone.now()
    inc = _lock(incident, expected_version)
    _authorise(actor, inc, "assign")
    group = assignment_group or inc.assignment_group
    _check_support_group("assignment_group", group)
    if assigned_to is None and group.pk == inc.assignment_group_id:
        raise ValidationError({"assigned_to": "Choose a person, or another group to hand the incident to."})
    _check_member("assigned_to", assigned_to, group)
    before = snapshot(inc, ["status", "assignment_group", "assigned_to"])
    if group.pk != inc.assignment_group_id:
        _move_group(inc, group=group, actor=actor, now=now)
    inc.assigned_to = assigned_to
    inc.status = Status.ASSIGNED
    if assigned_to is not None:
        sla.acknowledge(inc, now=now)
    sla.refresh(inc, now=now)
    _save(inc, actor=actor, now=now, fields=["status", "assignment_group", "assigned_to", "max_tier_reached"])
    event = event_record(
        incident=inc,
        kind=IncidentEvent.Kind.ASSIGNED,
        actor=actor,
        now=now,
        changes=diff(before, snapshot(inc, list(before))),
    )
    notify_on_commit(event)
    return inc


@transaction.atomic
def incident_start(
    *, actor: User, incident: Incident, expected_version: int | None, now: datetime | None = None
) -> Incident:
    """Start work. An unassigned incident is taken by the actor, who must belong to its group."""
    now = now or timezone.now()
    inc = _lock(incident, expected_version)
    _authorise(actor, inc, "start")
    before = snapshot(inc, ["status", "assigned_to"])
    if inc.assigned_to_id is None:
        _check_member("assigned_to", actor, inc.assignment_group)
        inc.assigned_to = actor
    inc.status = Status.IN_PROGRESS
    sla.acknowledge(inc, now=now)
    sla.refresh(inc, now=now)
    _save(inc, actor=actor, now=now, fields=["status", "assigned_to"])
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
    now: datetime | None = None,
) -> Incident:
    """Functional escalation: hand the incident to another support group, with a reason.

    ``actor`` is None when an escalation rule moves the incident; ``by_rule`` names the rule.
    """
    now = now or timezone.now()
    inc = _lock(incident, expected_version)
    if actor is None:
        if not inc.allows("escalate"):
            raise TransitionNotAllowed(
                number=inc.number,
                action="escalate",
                status=inc.status,
                allowed_from=sorted(TRANSITIONS["escalate"].sources),
            )
    else:
        _authorise(actor, inc, "escalate")
    reason = _check_text("reason", reason, max_length=2000, required=True)
    _check_support_group("assignment_group", assignment_group)
    if assignment_group.pk == inc.assignment_group_id:
        raise ValidationError({"assignment_group": f"{inc.number} is already with {assignment_group.name}."})
    fields = ["status", "assignment_group", "assigned_to", "max_tier_reached", "escalation_level"]
    before = snapshot(inc, fields)
    _move_group(inc, group=assignment_group, actor=actor, now=now, reason=reason, by_rule=by_rule)
    inc.assigned_to = None
    inc.status = Status.ASSIGNED
    inc.escalation_level += 1  # every escalation, by hand or by rule, raises the level
    sla.refresh(inc, now=now)
    _save(inc, actor=actor, now=now, fields=fields)
    event = event_record(
        incident=inc,
        kind=IncidentEvent.Kind.ESCALATED,
        actor=actor,
        now=now,
        body=reason,
        changes=diff(before, snapshot(inc, list(before))),
    )
    notify_on_commit(event)
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
    inc = _lock(incident, expected_version)
    _authorise(actor, inc, "hold")
    _check_choice("reason", reason, HoldReason)
    note = _check_text("note", note, max_length=5000)
    before = snapshot(inc, ["status", "hold_reason"])
    inc.status = Status.ON_HOLD
    inc.hold_reason = reason
    sla.pause(inc, now=now)
    sla.refresh(inc, now=now)
    _save(inc, actor=actor, now=now, fields=["status", "hold_reason"])
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
    inc = _lock(incident, expected_version)
    if actor is not None:
        _authorise(actor, inc, "resume")
    elif not inc.allows("resume"):
        return inc
    before = snapshot(inc, ["status", "hold_reason"])
    sla.resume(inc, now=now)
    inc.status = Status.IN_PROGRESS
    inc.hold_reason = ""
    sla.refresh(inc, now=now)
    _save(inc, actor=actor, now=now, fields=["status", "hold_reason"])
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
    inc = _lock(incident, expected_version)
    _authorise(actor, inc, "resolve")
    if not resolution_code:
        raise ValidationError({"resolution_code": "Choose a resolution code."})
    _check_choice("resolution_code", resolution_code, ResolutionCode)
    resolution_notes = _check_text("resolution_notes", resolution_notes, max_length=20_000, required=True)
    if (
        inc.assigned_to_id is None
        and Membership.objects.filter(user=actor, group=inc.assignment_group).exists()
    ):
        inc.assigned_to = actor  # whoever in the group resolves it owns the resolution
    _mark_resolved(inc, actor=actor, now=now, code=resolution_code, notes=resolution_notes)
    for child in Incident.objects.filter(parent=inc, status__in=TRANSITIONS["resolve"].sources):
        notes = f"Resolved with its parent {inc.number}: {resolution_notes}"
        _mark_resolved(_lock(child, None), actor=actor, now=now, code=resolution_code, notes=notes)
    return inc


def _mark_resolved(inc: Incident, *, actor: User, now: datetime, code: str, notes: str) -> None:
    """Resolve a locked incident whose move was checked: fields, clocks, event, notification."""
    before = snapshot(inc, ["status", "resolution_code", "assigned_to"])
    inc.status = Status.RESOLVED
    inc.resolution_code = code
    inc.resolution_notes = notes
    inc.resolved_at = now
    sla.acknowledge(inc, now=now)
    sla.refresh(inc, now=now)
    _save(
        inc,
        actor=actor,
        now=now,
        fields=["status", "resolution_code", "resolution_notes", "resolved_at", "assigned_to"],
    )
    event = event_record(
        incident=inc,
        kind=IncidentEvent.Kind.RESOLVED,
        actor=actor,
        now=now,
        public=True,
        body=notes,
        changes=diff(before, snapshot(inc, list(before))),
    )
    notify_on_commit(event)


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
    inc = _lock(incident, expected_version)
    _authorise(actor, inc, "reopen")
    reason = _check_text("reason", reason, max_length=5000, required=True)
    before = snapshot(inc, ["status", "resolution_code"])
    inc.status = Status.IN_PROGRESS
    inc.resolution_code = ""
    inc.resolved_at = None
    inc.reopen_count += 1
    sla.refresh(inc, now=now)
    _save(inc, actor=actor, now=now, fields=["status", "resolution_code", "resolved_at", "reopen_count"])
    event = event_record(
        incident=inc,
        kind=IncidentEvent.Kind.REOPENED,
        actor=actor,
        now=now,
        public=True,
        body=reason,
        changes=diff(before, snapshot(inc, list(before))),
    )
    notify_on_commit(event)
    return inc


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
    inc = _lock(incident, expected_version)
    if actor is not None:
        _authorise(actor, inc, "close")
    elif not inc.allows("close"):
        return inc
    close_notes = _check_text("close_notes", close_notes, max_length=5000)
    before = snapshot(inc, ["status"])
    inc.status = Status.CLOSED
    inc.closed_at = now
    inc.close_notes = close_notes or (
        "Closed automatically: no reply from the caller." if actor is None else ""
    )
    sla.refresh(inc, now=now)
    _save(inc, actor=actor, now=now, fields=["status", "closed_at", "close_notes"])
    event = event_record(
        incident=inc,
        kind=IncidentEvent.Kind.CLOSED,
        actor=actor,
        now=now,
        public=True,
        body=inc.close_notes,
        changes=diff(before, snapshot(inc, list(before))),
    )
    notify_on_commit(event)
    return inc


@transaction.atomic
def incident_cancel(
    *,
    actor: User,
    incident: Incident,
    expected_version: int | None,
    reason: str,
    duplicate_of: Incident | None = None,
    now: datetime | None = None,
) -> Incident:
    now = now or timezone.now()
    inc = _lock(incident, expected_version)
    _authorise(actor, inc, "cancel")
    reason = _check_text("reason", reason, max_length=5000, required=True)
    if duplicate_of is not None and duplicate_of.pk == inc.pk:
        raise ValidationError({"duplicate_of": "An incident cannot duplicate itself."})
    before = snapshot(inc, ["status", "duplicate_of"])
    sla.resume(inc, now=now)
    inc.status = Status.CANCELLED
    inc.hold_reason = ""
    if duplicate_of is not None:
        inc.duplicate_of = duplicate_of
    inc.closed_at = now
    sla.refresh(inc, now=now)
    _save(inc, actor=actor, now=now, fields=["status", "hold_reason", "duplicate_of", "closed_at"])
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.CANCELLED,
        actor=actor,
        now=now,
        public=True,
        body=reason,
        changes=diff(before, snapshot(inc, list(before))),
    )
    return inc


# --- collaboration -------------------------------------------------------------------------


@transaction.atomic
def incident_consult(
    *,
    actor: User,
    incident: Incident,
    expected_version: int | None,
    group: SupportGroup,
    question: str,
    now: datetime | None = None,
) -> Consultation:
    now = now or timezone.now()
    inc = _lock(incident, expected_version)
    _authorise(actor, inc, "consult")
    if not group.is_active or not group.is_consulted:
        raise ValidationError({"group": f"{group.name} is not a consulted group."})
    question = _check_text("question", question, max_length=5000, required=True)
    consultation = Consultation.objects.create(
        incident=inc, group=group, question=question, requested_by=actor, requested_at=now
    )
    _save(inc, actor=actor, now=now, fields=[], bump=False)
    event = event_record(
        incident=inc,
        kind=IncidentEvent.Kind.CONSULTED,
        actor=actor,
        now=now,
        body=question,
        changes={"consulted_group": {"old": None, "new": group.slug}},
    )
    notify_on_commit(event)
    return consultation


@transaction.atomic
def consultation_answer(
    *, actor: User, consultation: Consultation, answer: str, now: datetime | None = None
) -> Consultation:
    now = now or timezone.now()
    locked = (
        Consultation.objects.select_for_update().select_related("group", "incident").get(pk=consultation.pk)
    )
    if not Membership.objects.filter(user=actor, group=locked.group).exists():
        raise PermissionDenied(f"Only members of {locked.group.name} answer this consultation.")
    if locked.answered_at is not None:
        raise ValidationError({"answer": "This consultation has already been answered."})
    answer = _check_text("answer", answer, max_length=10_000, required=True)
    inc = _lock(locked.incident, None)
    locked.answer = answer
    locked.answered_by = actor
    locked.answered_at = now
    locked.save(update_fields=["answer", "answered_by", "answered_at"])
    _save(inc, actor=actor, now=now, fields=[], bump=False)
    event = event_record(
        incident=inc,
        kind=IncidentEvent.Kind.CONSULTATION_ANSWERED,
        actor=actor,
        now=now,
        body=answer,
        changes={"consulted_group": {"old": None, "new": locked.group.slug}},
    )
    notify_on_commit(event)
    return locked


@transaction.atomic
def incident_comment(
    *,
    actor: User,
    incident: Incident,
    body: str,
    public: bool,
    now: datetime | None = None,
) -> IncidentEvent:
    """Add a comment. Comments do not conflict with other edits, so they take no version.

    Callers write public comments only; a caller's reply resumes an incident that was
    waiting for them; a first public reply by the owning group acknowledges the incident.
    """
    now = now or timezone.now()
    inc = _lock(incident, None)
    _authorise(actor, inc, "comment")
    body = _check_text("body", body, max_length=50_000, required=True)
    staff = permissions.can_see_internal(actor)
    if not staff:
        public = True
    fields: list[str] = []
    if public and staff and permissions.can_work(actor, inc) and inc.responded_at is None:
        sla.acknowledge(inc, now=now)
    _save(inc, actor=actor, now=now, fields=fields, bump=False)
    event = event_record(
        incident=inc, kind=IncidentEvent.Kind.COMMENT, actor=actor, now=now, body=body, public=public
    )
    notify_on_commit(event)
    if permissions.is_caller(actor, inc) and inc.hold_reason == HoldReason.AWAITING_CALLER:
        incident_resume(actor=None, incident=inc, expected_version=None, now=now)
    return event


@transaction.atomic
def attachment_add(
    *,
    actor: User,
    incident: Incident,
    upload: UploadedFile,
    public: bool = True,
    now: datetime | None = None,
) -> Attachment:
    """Store an upload outside the web root after checking its size, name and type.

    Files are stored under their SHA-256, never under the name the user gave. A file left by
    a rolled-back transaction has no row, so nothing can ever serve it.
    """
    now = now or timezone.now()
    inc = _lock(incident, None)
    _authorise(actor, inc, "attach")
    name = _clean_filename(upload.name or "")
    if upload.size is None or upload.size == 0:
        raise ValidationError({"file": "The file is empty."})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        raise ValidationError({"file": f"The file is larger than the {limit} MB allowed."})
    content_type = _sniff_content_type(upload, name)
    if content_type not in settings.ATTACHMENT_ALLOWED_TYPES:
        raise ValidationError({"file": f"Files of type {content_type} are not accepted."})
    if not permissions.can_see_internal(actor):
        public = True
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        incident=inc,
        uploaded_by=actor,
        original_name=name,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        public=public,
        created_at=now,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    _save(inc, actor=actor, now=now, fields=[], bump=False)
    event = event_record(
        incident=inc,
        kind=IncidentEvent.Kind.ATTACHMENT,
        actor=actor,
        now=now,
        public=public,
        body=name,
        attachment=attachment,
    )
    notify_on_commit(event)
    return attachment


_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
]
_OOXML = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _sniff_content_type(upload: UploadedFile, name: str) -> str:
    """The type is read from the file's first bytes, not from what the browser claims."""
    head = upload.read(2048)
    upload.seek(0)
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            if kind == "application/zip":
                ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
                return _OOXML.get(ext, kind)
            return kind
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        if len(head) < 2048:
            return "application/octet-stream"
        # A multi-byte character cut at the 2 KiB boundary is still text.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
    if b"\x00" in head:
        return "application/octet-stream"
    guessed, _ = mimetypes.guess_type(name)
    if guessed in ("text/csv", "application/json"):
        return guessed
    if guessed and guessed.startswith("text/html"):
        return "text/html"
    return "text/plain"


def _clean_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*\u202e\u202d\u200e\u200f')
    name = name.strip(" .")
    if not name:
        raise ValidationError({"file": "The file needs a name."})
    return name[:200]


# --- system moves --------------------------------------------------------------------------


def business_days_before(now: datetime, days: int) -> datetime:
    """``now`` minus ``days`` working days of the default business calendar (holidays skipped)."""
    from escalation.business_time import subtract_days
    from escalation.policies import calendar_default

    return subtract_days(calendar_default(), now, days)


def incidents_autoclose(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Close resolved incidents whose caller has not answered within the configured business days."""
    now = now or timezone.now()
    cutoff = business_days_before(now, settings.SERVICEDESK["AUTOCLOSE_BUSINESS_DAYS"])
    closed = 0
    ids = list(
        Incident.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
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


def user_lookup(*, username: str, field: str = "user") -> Any:
    try:
        return UserModel.objects.get(username=username, is_active=True)
    except UserModel.DoesNotExist:
        raise ValidationError({field: f"There is no active user “{username}”."}) from None


def group_lookup(*, slug: str, field: str = "assignment_group") -> SupportGroup:
    try:
        return SupportGroup.objects.get(slug=slug)
    except SupportGroup.DoesNotExist:
        raise ValidationError({field: f"There is no support group “{slug}”."}) from None


__all__ = [
    "attachment_add",
    "consultation_answer",
    "group_lookup",
    "incident_assign",
    "incident_cancel",
    "incident_close",
    "incident_comment",
    "incident_consult",
    "incident_create",
    "incident_escalate",
    "incident_hold",
    "incident_reopen",
    "incident_resolve",
    "incident_resume",
    "incident_start",
    "incident_update",
    "incidents_autoclose",
    "notifications_mark_read",
    "priority_for",
    "user_lookup",
]


def notifications_mark_read(*, user: User, pks: list[int] | None = None, now: datetime | None = None) -> int:
    """Mark the user's own notifications read: the given ones, or all. Returns how many changed."""
    from .models import Notification

    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    return qs.update(read_at=now or timezone.now())
