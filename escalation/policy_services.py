"""Writing an SLA policy as a whole: its name, calendar and one target per priority (SPEC §6, §11).

Only the incident manager edits SLA policies. Every change is logged in ``RegisterChange`` with
old and new values, in the same transaction, like the rest of the SLA configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .access import access_for
from .choices import Priority
from .models import BusinessCalendar, RegisterChange, SLAPolicy, SLATarget

# Ten years of minutes: far beyond any sensible target, well inside the column's range.
MAX_MINUTES = 10 * 366 * 24 * 60


@dataclass(frozen=True)
class TargetSpec:
    priority: int
    response_minutes: int
    resolution_minutes: int
    calendar: BusinessCalendar | None = None


def _check_targets(targets: list[TargetSpec]) -> None:
    priorities = [t.priority for t in targets]
    unknown = sorted(set(priorities) - set(Priority.values))
    if unknown:
        raise ValidationError(
            {"targets": _("Priorities run from 1 to 5; %(unknown)s is not one.") % {"unknown": unknown}}
        )
    if len(priorities) != len(set(priorities)):
        raise ValidationError({"targets": _("Give each priority once.")})
    missing = sorted(set(Priority.values) - set(priorities))
    if missing:
        raise ValidationError(
            {"targets": _("Give a target for every priority: %(missing)s missing.") % {"missing": missing}}
        )
    for t in targets:
        for field in ("response_minutes", "resolution_minutes"):
            value = getattr(t, field)
            if not 1 <= value <= MAX_MINUTES:
                raise ValidationError(
                    {
                        "targets": _("P%(priority)s: %(field)s must be between 1 and %(MAX_MINUTES)s.")
                        % {"priority": t.priority, "field": field, "MAX_MINUTES": MAX_MINUTES}
                    }
                )
        if t.response_minutes > t.resolution_minutes:
            raise ValidationError(
                {
                    "targets": _("P%(priority)s: respond within the resolution target, not after it.")
                    % {"priority": t.priority}
                }
            )


def _target_values(target: SLATarget) -> dict[str, Any]:
    return {
        "response_minutes": target.response_minutes,
        "resolution_minutes": target.resolution_minutes,
        "calendar": target.calendar.slug if target.calendar else None,
    }


@transaction.atomic
def sla_policy_update(
    *, actor: Any, policy: SLAPolicy, name: str, calendar: BusinessCalendar, targets: list[TargetSpec]
) -> SLAPolicy:
    """Replace the policy's name, calendar and targets. Incidents already running keep the due times
    they were given; new clocks use the new targets."""
    if not access_for(actor).is_incident_manager:
        raise PermissionDenied(_("Only the incident manager edits SLA policies."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("A name is required.")})
    if len(name) > 100:
        raise ValidationError({"name": _("The name may be at most 100 characters long.")})
    _check_targets(targets)

    locked = SLAPolicy.objects.select_for_update().select_related("calendar").get(pk=policy.pk)
    existing = {t.priority: t for t in SLATarget.objects.filter(policy=locked).select_related("calendar")}
    changes: dict[str, Any] = {}
    if locked.name != name:
        changes["name"] = {"old": locked.name, "new": name}
    if locked.calendar_id != calendar.pk:
        changes["calendar"] = {"old": locked.calendar.slug, "new": calendar.slug}
    locked.name = name
    locked.calendar = calendar
    locked.save(update_fields=["name", "calendar", "updated_at"])

    for spec in targets:
        target = existing.get(spec.priority) or SLATarget(policy=locked, priority=spec.priority)
        old = _target_values(target) if target.pk else None
        target.response_minutes = spec.response_minutes
        target.resolution_minutes = spec.resolution_minutes
        target.calendar = spec.calendar
        new = _target_values(target)
        if old != new:
            target.save()
            changes[f"P{spec.priority}"] = {"old": old, "new": new}
    if changes:
        RegisterChange.objects.create(
            actor=actor,
            action=RegisterChange.Action.UPDATED,
            model=SLAPolicy._meta.model_name or "slapolicy",
            object_id=str(locked.pk),
            object_repr=str(locked)[:200],
            changes=changes,
        )
    return locked
