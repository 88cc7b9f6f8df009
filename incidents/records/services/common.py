"""Checks and steps every incident service shares: validation, the row lock with its version
check, the lifecycle gate, the versioned save_versioned and the hand-off between groups."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from escalation.access import Access
from escalation.choices import Level
from escalation.models import Membership, SupportGroup

from ... import permissions
from ...errors import TransitionNotAllowed, VersionConflict
from ...sla import clocks as sla
from ...sla.models import Handoff
from ..models import TRANSITIONS, Category, Incident, IncidentEvent, Status

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def check_level(field: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(
            {field: f"{field.capitalize()} must be 1 (high), 2 (medium) or 3 (low)."}
        ) from None
    if number not in Level.values:
        raise ValidationError({field: f"{field.capitalize()} must be 1 (high), 2 (medium) or 3 (low)."})
    return number


def check_title(title: Any) -> str:
    title = check_text("title", title, max_length=10_000).strip()
    if not title:
        raise ValidationError({"title": "A title is required."})
    if len(title) > Incident.TITLE_MAX_LENGTH:
        raise ValidationError(
            {"title": f"The title may be at most {Incident.TITLE_MAX_LENGTH} characters long."}
        )
    return title


def check_text(
    field: str, value: Any, *, max_length: int = Incident.DESCRIPTION_MAX_LENGTH, required: bool = False
) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValidationError({field: "The text contains a NUL character."})
    if required and not text.strip():
        raise ValidationError({field: "This field is required."})
    if len(text) > max_length:
        raise ValidationError({field: f"At most {max_length} characters are allowed."})
    return text


def check_choice(field: str, value: Any, choices: Any) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError({field: f"“{value}” is not a valid choice. Use one of: {allowed}."})
    return value


def check_support_group(field: str, group: SupportGroup | None) -> SupportGroup:
    if group is None:
        raise ValidationError({field: "Choose a support group."})
    if not group.is_active or group.is_consulted:
        raise ValidationError({field: f"{group.name} cannot own incidents: choose an active support group."})
    return group


def check_member(field: str, user: User | None, group: SupportGroup) -> None:
    if user is None:
        return
    if not Membership.objects.filter(user=user, group=group).exists():
        raise ValidationError({field: f"{user.get_username()} is not a member of {group.name}."})


def check_categories(category: Category | None, subcategory: Category | None) -> None:
    if category is not None and category.parent_id is not None:
        raise ValidationError({"category": f"{category} is a subcategory; choose a top-level category."})
    if subcategory is not None:
        if category is None:
            raise ValidationError({"category": "Choose the category of the subcategory too."})
        if subcategory.parent_id != category.pk:
            raise ValidationError(
                {"subcategory": f"{subcategory.name} is not a subcategory of {category.name}."}
            )


def lock_for_edit(incident: Incident, expected_version: int | None) -> Incident:
    locked = Incident.objects.select_for_update().select_related("assignment_group").get(pk=incident.pk)
    if expected_version is not None and int(expected_version) != locked.version:
        changes = [
            describe_event(e)
            for e in IncidentEvent.objects.filter(incident=locked, version__gt=int(expected_version))
            .select_related("actor")
            .order_by("created_at", "id")
        ]
        raise VersionConflict(
            number=locked.number, expected=int(expected_version), current=locked.version, changes=changes
        )
    return locked


def describe_event(event: IncidentEvent) -> str:
    who = event.actor.get_username() if event.actor else "the system"
    what = ", ".join(event.changes) if event.changes else event.get_kind_display().lower()
    return f"{who} changed {what} at {timezone.localtime(event.created_at):%H:%M}"


def authorise(access: Access, incident: Incident, action: str) -> None:
    transition = TRANSITIONS[action]
    if incident.status not in transition.sources:
        raise TransitionNotAllowed(
            number=incident.number,
            action=action,
            status=incident.status,
            allowed_from=[s for s in Status.values if s in transition.sources],
        )
    permissions.check(access, incident, action)


def save_versioned(
    incident: Incident, *, actor: User | None, now: datetime, fields: list[str], bump: bool = True
) -> None:
    """Save with a new version. ``bump=False`` is for additions that change no field a person
    edits (comments, attachments, consultations): they must not refuse a colleague's save_versioned."""
    if bump:
        incident.version += 1
    incident.updated_at = now
    incident.updated_by = actor
    incident.save(
        update_fields=[*dict.fromkeys(fields), *sla.SLA_FIELDS, "version", "updated_at", "updated_by"]
    )


def move_group(
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
    handoff = Handoff.objects.create(
        incident=incident,
        group=group,
        tier=group.tier or 1,
        started_at=now,
        actor=actor,
        reason=reason,
        by_rule=by_rule,
    )
    sla.handoff_opened(incident, handoff)  # the next refresh sets its OLA due times
    incident.assignment_group = group
    incident.max_tier_reached = max(incident.max_tier_reached, group.tier or 1)
