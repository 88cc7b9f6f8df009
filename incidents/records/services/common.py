"""Checks and steps every incident service shares: validation, the row lock with its version
check, the lifecycle gate, the versioned save_versioned and the hand-off between groups."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.access import Access
from escalation.choices import Level
from escalation.models import Membership, SupportGroup

from ... import permissions
from ...errors import ImportedReadOnly, TransitionNotAllowed, VersionConflict
from ...sla import clocks as sla
from ...sla.models import Handoff
from .. import texts
from ..models import TRANSITIONS, Category, Incident, IncidentEvent, Status

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def check_level(field: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(
            {
                field: _("%(capitalize)s must be 1 (high), 2 (medium) or 3 (low).")
                % {"capitalize": field.capitalize()}
            }
        ) from None
    if number not in Level.values:
        raise ValidationError(
            {
                field: _("%(capitalize)s must be 1 (high), 2 (medium) or 3 (low).")
                % {"capitalize": field.capitalize()}
            }
        )
    return number


def check_title(title: Any) -> str:
    title = check_text("title", title, max_length=10_000).strip()
    if not title:
        raise ValidationError({"title": _("A title is required.")})
    if len(title) > Incident.TITLE_MAX_LENGTH:
        raise ValidationError(
            {
                "title": _("The title may be at most %(TITLE_MAX_LENGTH)s characters long.")
                % {"TITLE_MAX_LENGTH": Incident.TITLE_MAX_LENGTH}
            }
        )
    return title


def check_text(
    field: str, value: Any, *, max_length: int = Incident.DESCRIPTION_MAX_LENGTH, required: bool = False
) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValidationError({field: _("The text contains a NUL character.")})
    if required and not text.strip():
        raise ValidationError({field: _("This field is required.")})
    if len(text) > max_length:
        raise ValidationError(
            {field: _("At most %(max_length)s characters are allowed.") % {"max_length": max_length}}
        )
    return text


def check_choice(field: str, value: Any, choices: Any) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError(
            {
                field: _("“%(value)s” is not a valid choice. Use one of: %(allowed)s.")
                % {"value": value, "allowed": allowed}
            }
        )
    return value


def check_support_group(field: str, group: SupportGroup | None) -> SupportGroup:
    if group is None:
        raise ValidationError({field: _("Choose a support group.")})
    if not group.is_active or group.is_consulted:
        raise ValidationError(
            {
                field: _("%(name)s cannot own incidents: choose an active support group.")
                % {"name": group.name}
            }
        )
    return group


def check_member(field: str, user: User | None, group: SupportGroup) -> None:
    if user is None:
        return
    if not Membership.objects.filter(user=user, group=group).exists():
        raise ValidationError(
            {
                field: _("%(get_username)s is not a member of %(name)s.")
                % {"get_username": user.get_username(), "name": group.name}
            }
        )


def check_categories(category: Category | None, subcategory: Category | None) -> None:
    if category is not None and category.parent_id is not None:
        raise ValidationError(
            {
                "category": _("%(category)s is a subcategory; choose a top-level category.")
                % {"category": category}
            }
        )
    if subcategory is not None:
        if category is None:
            raise ValidationError({"category": _("Choose the category of the subcategory too.")})
        if subcategory.parent_id != category.pk:
            raise ValidationError(
                {
                    "subcategory": _("%(name)s is not a subcategory of %(name2)s.")
                    % {"name": subcategory.name, "name2": category.name}
                }
            )


def lock_for_edit(incident: Incident, expected_version: int | None) -> Incident:
    locked = Incident.objects.select_for_update().select_related("assignment_group").get(pk=incident.pk)
    check_not_imported(locked)
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
    """One change someone else saved, for the refusal of a stale save: in the reader's language and zone."""
    shown = event.shown_changes
    what = ", ".join(texts.field_name(f) for f in shown) if shown else str(event.get_kind_display())
    at = f"{timezone.localtime(event.created_at):%H:%M}"
    if event.actor is None:
        return _("the system changed %(what)s at %(at)s") % {"what": what, "at": at}
    who = event.actor.get_username()
    return _("%(who)s changed %(what)s at %(at)s") % {"who": who, "what": what, "at": at}


def check_not_imported(incident: Incident) -> None:
    """Imported history is read-only: every edit locks the row first, and refuses here."""
    if incident.imported:
        raise ImportedReadOnly(
            number=incident.number, source=incident.import_source, external_id=incident.external_id
        )


def authorise(access: Access, incident: Incident, action: str) -> None:
    check_not_imported(incident)
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
