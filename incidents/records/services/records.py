"""Logging an incident and editing its descriptive fields; the gap-free number and the priority."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation import config_cache
from escalation.access import Access, access_for, actor_access
from escalation.choices import Level
from escalation.defaults import SECURITY_GROUP_SLUG, SERVICE_DESK_SLUG
from escalation.models import SupportGroup

from ... import permissions
from ...errors import PermissionDenied
from ...major.services.major import major_declare, major_propose
from ...sla import clocks as sla
from ...sla import rules as sla_rules
from ...sla.models import Handoff
from .. import routing, texts
from ..events import diff, event_record, snapshot
from ..models import (
    SECURITY_CATEGORY_SLUG,
    Category,
    Channel,
    Counter,
    Incident,
    IncidentEvent,
    PriorityMatrixEntry,
    Service,
    Status,
)
from .common import (
    authorise,
    check_categories,
    check_choice,
    check_level,
    check_member,
    check_support_group,
    check_text,
    check_title,
    lock_for_edit,
    save_versioned,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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


def priority_for(*, impact: int, urgency: int) -> int:
    matrix = config_cache.cached("priority-matrix", _priority_matrix_load)
    found = matrix.get((impact, urgency))
    if found is None:  # a cell deleted by hand: fall back on SPEC §3's rule
        return min(5, impact + urgency - 1)
    return found


def _priority_matrix_load() -> dict[tuple[int, int], int]:
    return {
        (impact, urgency): priority
        for impact, urgency, priority in PriorityMatrixEntry.objects.values_list(
            "impact", "urgency", "priority"
        )
    }


def group_by_slug(slug: str) -> SupportGroup:
    """A support group of the configuration (the service desk, say), a fresh instance from the cache."""
    values = config_cache.cached(("group", slug), lambda: SupportGroup.objects.values().get(slug=slug))
    return SupportGroup.from_db("default", list(values), list(values.values()))  # a saved row, not a new one


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
    access: Access | None = None,
) -> Incident:
    """Log an incident. Staff log for any caller; an end user only for themselves.

    ``access``: the actor's, when the caller holds it (a request's), so that it is not read twice."""
    now = now or timezone.now()
    access = actor_access(actor, access)
    staff = access.is_staff_member
    if not staff and actor.pk != caller.pk:
        raise PermissionDenied(_("You can report incidents only for yourself."))
    if not staff and (assignment_group or assigned_to or major_incident):
        raise PermissionDenied(_("Only service desk staff choose the group, the assignee or the major flag."))
    title = check_title(title)
    description = check_text("description", description)
    impact = check_level("impact", impact)
    urgency = check_level("urgency", urgency)
    check_choice("channel", channel, Channel)
    check_categories(category, subcategory)
    if not getattr(caller, "is_active", True):
        raise ValidationError(
            {"caller": _("%(get_username)s is not an active user.") % {"get_username": caller.get_username()}}
        )
    group = assignment_group or routed_group(category)
    by_rule: dict[str, dict[str, Any]] = {}
    if group is None:
        # The registered routers (``routing``): the toolkit's rules, then confident suggestions (issue 24).
        draft = routing.Draft(
            title=title,
            description=description,
            channel=channel,
            caller=caller,
            category=category,
            subcategory=subcategory,
            service=service,
        )
        found = routing.route(draft)
        if found is not None:
            group = found.group
            by_rule[found.by] = {"old": None, "new": found.rule}
            if found.said:
                by_rule = texts.with_text(by_rule, **{found.by: found.said})
    group = group or group_by_slug(SERVICE_DESK_SLUG)
    check_support_group("assignment_group", group)
    check_member("assigned_to", assigned_to, group)
    picked = routing.assignee(group, now) if assigned_to is None else None
    if picked is not None:
        by_rule["assigned_by"] = {"old": None, "new": picked.how}
        if picked.said:
            by_rule = texts.with_text(by_rule, assigned_by=picked.said)
    if parent is not None and not parent.is_open:
        raise ValidationError(
            {
                "parent": _("%(number)s is %(status)s: choose an open parent.")
                % {"number": parent.number, "status": parent.status}
            }
        )

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
        status=Status.ASSIGNED if assigned_to or picked else Status.NEW,
        assignment_group=group,
        # a person the group's rule picked has not acknowledged anything yet: no response is met
        assigned_to=assigned_to or (picked.user if picked else None),
        parent=parent,
        max_tier_reached=group.tier or 1,
        created_at=now,
        updated_at=now,
        updated_by=actor,
    )
    if assigned_to is not None:
        sla.acknowledge(incident, now=now)
    sla.policy_select(incident)
    sla.refresh(incident, now=now)
    # The foreign keys were given as rows and the check constraints (impact and urgency levels, no
    # hold on a new incident) were checked above; the database enforces them again on insert.
    incident.full_clean(
        exclude=[
            "number",
            "priority",
            "caller",
            "reported_by",
            "assignment_group",
            "sla_policy",
            "updated_by",
        ],
        validate_constraints=False,
    )
    incident.save()
    Handoff.objects.create(
        incident=incident,
        group=group,
        tier=group.tier or 1,
        started_at=now,
        actor=actor,
        accepted_at=now if assigned_to is not None else None,
        accept_due_at=getattr(incident, "ola_accept_due_at", None),
        due_at=incident.ola_due_at,
    )
    event_record(
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
        }
        | by_rule,
    )
    if major_incident:
        _major_requested(actor=actor, access=access, incident=incident, now=now)
        incident.refresh_from_db()
    return incident


def _major_requested(*, actor: User, access: Access, incident: Incident, now: datetime) -> None:
    """The major flag set on a form or through the API: the incident manager declares, anyone else
    proposes (``services.major``)."""
    if access.is_incident_manager:
        major_declare(actor=actor, access=access, incident=incident, now=now)
    else:
        major_propose(
            actor=actor,
            access=access,
            incident=incident,
            reason="Flagged as major when it was logged.",
            now=now,
        )


def routed_group(category: Category | None) -> SupportGroup | None:
    """The security category routes to the restricted security group (issue 13)."""
    if category is not None and category.parent_id is None and category.slug == SECURITY_CATEGORY_SLUG:
        return SupportGroup.objects.filter(slug=SECURITY_GROUP_SLUG, is_active=True).first()
    return None


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
        raise ValidationError(dict.fromkeys(sorted(unknown), _("This field cannot be changed here.")))
    now = now or timezone.now()
    access = access_for(actor)
    inc = lock_for_edit(incident, expected_version)
    authorise(access, inc, "update")
    if "major_incident" in changes:
        wanted = bool(changes.pop("major_incident"))
        if wanted and not inc.major_incident:
            _major_requested(actor=actor, access=access, incident=inc, now=now)
            inc.refresh_from_db()
        elif inc.major_incident and not wanted:
            raise ValidationError(
                {
                    "major_incident": _("%(number)s was declared major and stays major.")
                    % {"number": inc.number}
                }
            )
        if not changes:
            return inc
    if not permissions.can_work(access, inc) and set(changes) - {"title", "description", "caller", "channel"}:
        # The service desk keeps the record up to date, but the owning group decides its priority.
        raise PermissionDenied(
            _("Only %(name)s can change these fields of %(number)s.")
            % {"name": inc.assignment_group.name, "number": inc.number}
        )
    fields = [f for f in UPDATABLE_FIELDS if f in changes] + ["priority"]
    before = snapshot(inc, fields)

    if "title" in changes:
        changes["title"] = check_title(changes["title"])
    if "description" in changes:
        changes["description"] = check_text("description", changes["description"])
    for level in ("impact", "urgency"):
        if level in changes:
            changes[level] = check_level(level, changes[level])
    if "channel" in changes:
        check_choice("channel", changes["channel"], Channel)
    for ref in ("problem_reference", "change_reference"):
        if ref in changes:
            changes[ref] = check_text(ref, changes[ref], max_length=Incident.REFERENCE_MAX_LENGTH)
    for link in ("parent", "duplicate_of"):
        other = changes.get(link)
        if other is not None and other.pk == inc.pk:
            raise ValidationError({link: _("An incident cannot be linked to itself.")})
    if changes.get("parent") is not None and changes["parent"].parent_id == inc.pk:
        raise ValidationError(
            {
                "parent": _("%(child)s is already a child of %(number)s.")
                % {"child": changes["parent"].number, "number": inc.number}
            }
        )
    for name, value in changes.items():
        setattr(inc, name, value)
    check_categories(inc.category, inc.subcategory)
    inc.priority = priority_for(impact=inc.impact, urgency=inc.urgency)

    after = snapshot(inc, fields)
    changed = diff(before, after)
    if not changed:
        return inc
    policy_before = inc.sla_policy_slug
    if set(changed) & set(sla_rules.RULE_FIELDS):
        # A field a policy rule reads: choose again; the clocks follow as sla_recompute's do.
        sla.policy_select(inc)
    sla.refresh(inc, now=now)
    if inc.sla_policy_slug != policy_before:
        changed["sla_policy"] = {"old": policy_before, "new": inc.sla_policy_slug}
    save_versioned(inc, actor=actor, now=now, fields=fields)
    event_record(incident=inc, kind=IncidentEvent.Kind.UPDATED, actor=actor, now=now, changes=changed)
    return inc
