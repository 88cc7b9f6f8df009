"""Major incidents (issue 13): declaring, the communications log, related incidents, the review.

Declaring is one step for the incident manager; an agent proposes and the incident manager
accepts, which is the same declaration. It applies the major-incident policy
(``escalation.policies.major_policy_slug``) and recomputes the clocks as ``sla_recompute`` does
(thresholds already fired stay fired). Its event (``major_declared``) and every status update
(``major_update``) reach people through the event hook (``incidents.major.notifications``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from escalation.access import Access, access_for, actor_access
from escalation.policies import major_policy_slug

from ... import permissions
from ...errors import PermissionDenied
from ...records import texts
from ...records.events import diff, event_record, snapshot
from ...records.models import OPEN_STATUSES, Incident, IncidentEvent
from ...records.services.common import authorise, check_text, lock_for_edit, save_versioned
from ...sla import clocks as sla
from ..models import MajorIncident, MajorUpdate, PostIncidentReview, ReviewAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

REASON_MAX_LENGTH = 2000


def _require_incident_manager(access: Access, what: str) -> None:
    if not access.is_incident_manager:
        raise PermissionDenied(gettext("Only the incident manager can %(what)s.") % {"what": what})


def _require_open(inc: Incident, what: str) -> None:
    if inc.status not in OPEN_STATUSES:
        raise ValidationError(
            gettext("%(number)s is %(status)s: it cannot be %(what)s now.")
            % {"number": inc.number, "status": inc.get_status_display().lower(), "what": what}
        )


@transaction.atomic
def major_propose(
    *,
    actor: User,
    incident: Incident,
    reason: str,
    now: datetime | None = None,
    access: Access | None = None,
) -> MajorIncident:
    """An agent proposes the incident as major; the incident manager decides (``major_declare``).

    ``access``: the actor's, when the caller holds it (``incident_create`` does).
    """
    now = now or timezone.now()
    access = actor_access(actor, access)
    inc = lock_for_edit(incident, None)
    if not access.is_staff_member or not permissions.can_view(access, inc):
        raise PermissionDenied(
            gettext("You may not propose %(number)s as a major incident.") % {"number": inc.number}
        )
    _require_open(inc, "proposed as major")
    reason = check_text("reason", reason, max_length=REASON_MAX_LENGTH, required=True)
    major, _ = MajorIncident.objects.get_or_create(incident=inc)
    if major.is_declared:
        raise ValidationError(gettext("%(number)s is already a major incident.") % {"number": inc.number})
    if major.proposed_at is not None:
        raise ValidationError(
            gettext("%(number)s is already proposed as a major incident.") % {"number": inc.number}
        )
    major.proposed_by, major.proposed_at, major.proposal_reason = actor, now, reason
    major.save(update_fields=["proposed_by", "proposed_at", "proposal_reason"])
    event_record(incident=inc, kind=IncidentEvent.Kind.MAJOR_PROPOSED, actor=actor, now=now, body=reason)
    return major


@transaction.atomic
def major_declare(
    *,
    actor: User,
    incident: Incident,
    reason: str = "",
    now: datetime | None = None,
    access: Access | None = None,
    reason_text: dict[str, Any] | None = None,
) -> MajorIncident:
    """Declare the incident major (or accept an agent's proposal): notify, shorten, open the log.

    ``access``: the actor's, when the caller holds it (``incident_create`` does). ``reason_text``: a reason
    the system words (``incidents.records.texts.message``), shown in each reader's language.
    """
    now = now or timezone.now()
    access = actor_access(actor, access)
    inc = lock_for_edit(incident, None)
    _require_incident_manager(access, "declare a major incident")
    _require_open(inc, "declared major")
    reason = (
        texts.english(reason_text)
        if reason_text
        else check_text("reason", reason, max_length=REASON_MAX_LENGTH)
    )
    major, _ = MajorIncident.objects.get_or_create(incident=inc)
    if major.is_declared:
        raise ValidationError(gettext("%(number)s is already a major incident.") % {"number": inc.number})
    major.declared_by, major.declared_at = actor, now
    major.save(update_fields=["declared_by", "declared_at"])
    apply_major_policy(inc, now=now)
    save_versioned(inc, actor=actor, now=now, fields=["major_incident"])
    policy = inc.sla_policy_slug
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.MAJOR_DECLARED,
        actor=actor,
        now=now,
        body=reason or major.proposal_reason,
        changes=texts.with_text(
            {"major_incident": {"old": False, "new": True}, "sla_policy": {"old": None, "new": policy}},
            **({"body": [reason_text]} if reason_text else {}),
        ),
    )
    return major


def apply_major_policy(inc: Incident, *, now: datetime) -> None:
    """Set the flag and the major-incident policy on a locked incident, and recompute its clocks."""
    inc.major_incident = True
    slug = major_policy_slug()
    if slug and slug != inc.sla_policy_slug:
        # refresh() looks the policy row up again from the slug, so the link and the slug agree.
        inc.sla_policy_slug, inc.sla_policy_id = slug, None
    sla.refresh(inc, now=now)


def major_of(inc: Incident) -> MajorIncident:
    major = MajorIncident.objects.filter(incident=inc, declared_at__isnull=False).first()
    if major is None:
        raise ValidationError(
            gettext("%(number)s is not a declared major incident.") % {"number": inc.number}
        )
    return major


@transaction.atomic
def major_update_post(
    *, actor: User, incident: Incident, body: str, now: datetime | None = None
) -> MajorUpdate:
    """A status update of the communications log, stamped and kept; callers of children hear of it."""
    now = now or timezone.now()
    inc = lock_for_edit(incident, None)
    _require_incident_manager(access_for(actor), "post a status update")
    _require_open(inc, "updated")
    body = check_text("body", body, max_length=MajorUpdate.BODY_MAX_LENGTH, required=True).strip()
    update = MajorUpdate.objects.create(major=major_of(inc), body=body, author=actor, created_at=now)
    event_record(
        incident=inc, kind=IncidentEvent.Kind.MAJOR_UPDATE, actor=actor, now=now, body=body, public=True
    )
    return update


def related_candidates(incident: Incident, *, limit: int = 20) -> list[Incident]:
    """Open incidents on the major incident's service, reported since it was declared, not linked yet."""
    major = MajorIncident.objects.filter(incident=incident, declared_at__isnull=False).first()
    if major is None or incident.service_id is None or incident.status not in OPEN_STATUSES:
        return []
    return list(
        Incident.objects.filter(
            service_id=incident.service_id,
            status__in=OPEN_STATUSES,
            created_at__gte=major.declared_at,
            parent__isnull=True,
            major_incident=False,
        )
        .exclude(pk=incident.pk)
        .select_related("caller")
        .order_by("created_at", "id")[:limit]
    )


@transaction.atomic
def major_link_child(
    *, actor: User, incident: Incident, child: Incident, now: datetime | None = None
) -> Incident:
    """One click on the log: make ``child`` a child of the major incident."""
    now = now or timezone.now()
    access = access_for(actor)
    _require_incident_manager(access, "link incidents to a major incident")
    major_of(incident)
    inc = lock_for_edit(child, None)
    authorise(access, inc, "update")
    if inc.pk == incident.pk or inc.major_incident:
        raise ValidationError(gettext("%(number)s is a major incident itself.") % {"number": inc.number})
    if inc.parent_id is not None:
        raise ValidationError(gettext("%(number)s is already linked to a parent.") % {"number": inc.number})
    before = snapshot(inc, ["parent"])
    inc.parent = incident
    save_versioned(inc, actor=actor, now=now, fields=["parent"])
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.UPDATED,
        actor=actor,
        now=now,
        changes=diff(before, snapshot(inc, ["parent"])),
    )
    return inc


@dataclass(frozen=True)
class ActionItem:
    description: str
    owner: User
    due_date: date


@transaction.atomic
def review_record(
    *,
    actor: User,
    incident: Incident,
    summary: str,
    timeline: str,
    actions: list[ActionItem],
    root_cause: str = "",
    problem_reference: str = "",
    now: datetime | None = None,
) -> PostIncidentReview:
    """Record (or replace) the post-incident review that closing a major incident needs."""
    now = now or timezone.now()
    inc = lock_for_edit(incident, None)
    _require_incident_manager(access_for(actor), "record a post-incident review")
    major_of(inc)
    errors: dict[str, str] = {}
    limit = PostIncidentReview.TEXT_MAX_LENGTH
    summary = check_text("summary", summary, max_length=limit, required=True)
    timeline = check_text("timeline", timeline, max_length=limit, required=True)
    root_cause = check_text("root_cause", root_cause, max_length=limit)
    problem_reference = check_text(
        "problem_reference", problem_reference, max_length=Incident.REFERENCE_MAX_LENGTH
    ).strip()
    if not root_cause.strip() and not problem_reference:
        errors["root_cause"] = "Give the root cause, or the reference of the problem that investigates it."
    if not actions:
        errors["actions"] = "List at least one action, with its owner and due date."
    if errors:
        raise ValidationError(errors)
    review, created = PostIncidentReview.objects.update_or_create(
        incident=inc,
        defaults={
            "summary": summary,
            "timeline": timeline,
            "root_cause": root_cause,
            "problem_reference": problem_reference,
            "recorded_by": actor,
            "recorded_at": now,
        },
    )
    review.actions.all().delete()
    ReviewAction.objects.bulk_create(
        ReviewAction(review=review, description=a.description, owner=a.owner, due_date=a.due_date)
        for a in actions
    )
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.REVIEW_RECORDED,
        actor=actor,
        now=now,
        body=summary,
        changes={"review": {"old": None if created else "recorded", "new": "recorded"}},
    )
    return review
