"""Writing the SLA policy rules (``incidents.sla.rules``): the incident manager adds, changes,
reorders and deletes them. Every change is one row of the configuration audit
(``escalation.RegisterChange``, old and new values) and bumps the rules' counter in the same
transaction, so that every process reads the rules again before its next selection.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from escalation.access import access_for
from escalation.choices import Priority
from escalation.config_cache import config_changed
from escalation.models import CallerProfile, SLAPolicy
from escalation.services import register_delete, register_save

from ..records.models import Category, Channel, Counter, Service
from .models import SLAPolicyRule
from .rules import VERSION_COUNTER

RULE_INPUTS = (
    "name",
    "position",
    "policy",
    "service",
    "category",
    "caller_vip",
    "caller_department",
    "channel",
    "priority",
    "is_active",
)


def _authorise(actor: Any) -> None:
    if not access_for(actor).is_incident_manager:
        raise PermissionDenied(_("Only the incident manager edits the SLA policy rules."))


def rules_version_bump() -> None:
    """Take the counter's row lock until commit: rule writers are ordered, readers see the change."""
    if not Counter.objects.filter(name=VERSION_COUNTER).update(value=F("value") + 1):
        Counter.objects.get_or_create(name=VERSION_COUNTER, defaults={"value": 1})
    config_changed()


def _check(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(RULE_INPUTS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), _("This field cannot be set on a rule.")))
    if "name" in values:
        name = str(values["name"] or "").strip()
        if not name:
            raise ValidationError({"name": _("A name is required.")})
        if len(name) > SLAPolicyRule.NAME_MAX_LENGTH:
            raise ValidationError(
                {
                    "name": _("The name may be at most %(NAME_MAX_LENGTH)s characters long.")
                    % {"NAME_MAX_LENGTH": SLAPolicyRule.NAME_MAX_LENGTH}
                }
            )
        values["name"] = name
    if "policy" in values and not isinstance(values["policy"], SLAPolicy):
        raise ValidationError({"policy": _("Choose an SLA policy.")})
    if values.get("service") is not None and not isinstance(values["service"], Service):
        raise ValidationError({"service": _("Choose a service.")})
    if values.get("category") is not None and not isinstance(values["category"], Category):
        raise ValidationError({"category": _("Choose a category.")})
    if values.get("channel") and values["channel"] not in Channel.values:
        raise ValidationError(
            {"channel": _("Use one of: %(values)s.") % {"values": ", ".join(Channel.values)}}
        )
    if values.get("priority") is not None and values["priority"] not in Priority.values:
        raise ValidationError({"priority": _("Priorities run from 1 to 5.")})
    if "caller_department" in values:
        department = str(values["caller_department"] or "").strip()
        if len(department) > CallerProfile.DEPARTMENT_MAX_LENGTH:
            raise ValidationError({"caller_department": _("At most 100 characters are allowed.")})
        values["caller_department"] = department
    if "position" in values:
        try:
            values["position"] = int(values["position"])
        except (TypeError, ValueError):
            raise ValidationError({"position": _("The position is a whole number.")}) from None
        if not 0 <= values["position"] <= 100_000:
            raise ValidationError({"position": _("The position runs from 0 to 100000.")})
    return values


@transaction.atomic
def sla_policy_rule_create(*, actor: Any, **values: Any) -> SLAPolicyRule:
    """Add a rule. Without a position it goes last."""
    _authorise(actor)
    values = _check(values)
    if "policy" not in values or "name" not in values:
        raise ValidationError({"policy": _("Name the rule and choose its SLA policy.")})
    if "position" not in values:
        last = SLAPolicyRule.objects.order_by("-position").values_list("position", flat=True).first()
        values["position"] = (last or 0) + 10
    rule = SLAPolicyRule(**values)
    register_save(actor=actor, instance=rule)
    rules_version_bump()
    return rule


@transaction.atomic
def sla_policy_rule_update(*, actor: Any, rule: SLAPolicyRule, **values: Any) -> SLAPolicyRule:
    _authorise(actor)
    values = _check(values)
    locked = SLAPolicyRule.objects.select_for_update().get(pk=rule.pk)
    for name, value in values.items():
        setattr(locked, name, value)
    register_save(actor=actor, instance=locked)
    rules_version_bump()
    return locked


@transaction.atomic
def sla_policy_rule_delete(*, actor: Any, rule: SLAPolicyRule) -> None:
    _authorise(actor)
    register_delete(actor=actor, instance=rule)
    rules_version_bump()
