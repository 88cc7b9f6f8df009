"""Demo SLA policies and their rules (``demo.seed.load_demo`` calls ``load`` before the
history, so that the history's incidents are chosen a policy as real ones are).

Three policies: ``default`` (from the migrations), ``vip`` (VIP callers and the executive office)
and ``critical-services`` (ERP and Payroll, around the clock). Team leads and points of
escalation for the OLA, so that OLA thresholds have someone to tell. Idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from escalation.defaults import (
    BUSINESS_DAY,
    CALENDAR_24X7_SLUG,
    DEFAULT_CALENDAR_SLUG,
    DEFAULT_OLA_ACCEPT_MINUTES,
    DEFAULT_OLA_MINUTES,
)
from escalation.models import (
    BusinessCalendar,
    CallerProfile,
    EscalationPoint,
    Membership,
    OLATarget,
    SLAPolicy,
    SLATarget,
    SlaTarget,
    SupportGroup,
)
from incidents.models import Category, Service
from incidents.sla.services import sla_policy_rule_create

VIP_CALLERS = ("emma.brown", "noah.wilson")
EXECUTIVE_OFFICE = "Executive Office"
EXECUTIVE_CALLERS = ("olivia.taylor",)
DEPARTMENTS = ("Finance", "Sales", "Operations", "Human Resources", "Marketing")
# priority: (response, resolution) minutes; P1 on the 24×7 calendar, the rest on the policy's.
POLICIES: dict[str, dict[str, Any]] = {
    "vip": {
        "name": "VIP callers",
        "calendar": DEFAULT_CALENDAR_SLUG,
        "description": "Shorter targets for VIP callers and the executive office.",
        "targets": {
            1: (10, 2 * 60),
            2: (15, 4 * 60),
            3: (60, BUSINESS_DAY),
            4: (4 * 60, 3 * BUSINESS_DAY),
            5: (BUSINESS_DAY, 5 * BUSINESS_DAY),
        },
    },
    "critical-services": {
        "name": "Critical services",
        "calendar": CALENDAR_24X7_SLUG,
        "description": "ERP and Payroll: measured around the clock.",
        "targets": {
            1: (15, 2 * 60),
            2: (30, 6 * 60),
            3: (2 * 60, 24 * 60),
            4: (8 * 60, 3 * 24 * 60),
            5: (24 * 60, 7 * 24 * 60),
        },
    },
}
CRITICAL_SERVICES = (("erp", "ERP"), ("payroll", "Payroll"))


def _policy(slug: str, spec: dict[str, Any]) -> SLAPolicy:
    calendars = {c.slug: c for c in BusinessCalendar.objects.all()}
    policy, created = SLAPolicy.objects.get_or_create(
        slug=slug,
        defaults={
            "name": spec["name"],
            "calendar": calendars[spec["calendar"]],
            "description": spec["description"],
        },
    )
    if created:
        for priority, (response, resolution) in spec["targets"].items():
            SLATarget.objects.create(
                policy=policy,
                priority=priority,
                response_minutes=response,
                resolution_minutes=resolution,
                calendar=calendars[CALENDAR_24X7_SLUG] if priority == 1 else None,
            )
        for tier, minutes in DEFAULT_OLA_MINUTES.items():
            OLATarget.objects.create(
                policy=policy, tier=tier, minutes=minutes, accept_minutes=DEFAULT_OLA_ACCEPT_MINUTES.get(tier)
            )
    return policy


def _profiles(callers: Sequence[Any]) -> None:
    for i, caller in enumerate(callers):
        username = caller.get_username()
        department = EXECUTIVE_OFFICE if username in EXECUTIVE_CALLERS else DEPARTMENTS[i % len(DEPARTMENTS)]
        CallerProfile.objects.get_or_create(
            user=caller, defaults={"department": department, "is_vip": username in VIP_CALLERS}
        )


def _ola_recipients() -> None:
    """The first member of each support group leads it; the incident manager hears of OLA breaches."""
    for group in SupportGroup.objects.filter(kind=SupportGroup.Kind.SUPPORT):
        first = Membership.objects.filter(group=group).order_by("pk").first()
        if first is not None and not Membership.objects.filter(group=group, is_lead=True).exists():
            Membership.objects.filter(pk=first.pk).update(is_lead=True)
        if group.tier and group.tier > 1:
            EscalationPoint.objects.get_or_create(
                group=group, level=1, target=SlaTarget.OLA, percent=100, defaults={"role": "Incident manager"}
            )


def load(users: dict[str, Any], callers: Sequence[Any]) -> None:
    if SLAPolicy.objects.filter(slug="vip").exists():
        return
    policies = {slug: _policy(slug, spec) for slug, spec in POLICIES.items()}
    _profiles(callers)
    _ola_recipients()
    services = {
        slug: Service.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for slug, name in CRITICAL_SERVICES
    }
    database, _ = Category.objects.get_or_create(slug="database", parent=None, defaults={"name": "Database"})
    actor = users["incidentmgr"]
    critical = policies["critical-services"]
    sla_policy_rule_create(
        actor=actor, name="ERP is a critical service", position=10, policy=critical, service=services["erp"]
    )
    sla_policy_rule_create(
        actor=actor,
        name="Payroll is a critical service",
        position=20,
        policy=critical,
        service=services["payroll"],
    )
    sla_policy_rule_create(
        actor=actor, name="VIP callers", position=30, policy=policies["vip"], caller_vip=True
    )
    sla_policy_rule_create(
        actor=actor,
        name="Executive office",
        position=40,
        policy=policies["vip"],
        caller_department=EXECUTIVE_OFFICE,
    )
    sla_policy_rule_create(
        actor=actor,
        name="Database P1s run around the clock",
        position=50,
        policy=critical,
        category=database,
        priority=1,
    )
