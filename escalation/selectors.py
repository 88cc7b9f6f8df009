"""Reads of the escalation register, shaped for the printable page (few queries whatever its size)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from .choices import Tier
from .models import ContactPerson, EscalationPoint, EscalationRule, Membership, SLAPolicy, SupportGroup


@dataclass(frozen=True)
class TierRow:
    tier: int
    label: str
    groups: list[SupportGroup]


def register_groups() -> QuerySet[SupportGroup]:
    return SupportGroup.objects.filter(is_active=True).prefetch_related(
        Prefetch("contacts", queryset=ContactPerson.objects.order_by("name")),
        Prefetch("escalation_points", queryset=EscalationPoint.objects.select_related("user")),
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(is_lead=True).select_related("user"),
            to_attr="leads",
        ),
    )


def register_for_staff() -> dict[str, Any]:
    groups = list(register_groups())
    tiers = [TierRow(t.value, str(t.label), [g for g in groups if g.tier == t.value]) for t in Tier]
    consulted: Iterable[SupportGroup] = [g for g in groups if g.is_consulted]
    policies = SLAPolicy.objects.select_related("calendar").prefetch_related(
        "targets__calendar", "ola_targets"
    )
    rules = EscalationRule.objects.filter(is_active=True).select_related("from_group", "to_group")
    return {"tiers": tiers, "consulted": list(consulted), "policies": list(policies), "rules": list(rules)}
