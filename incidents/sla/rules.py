"""Which SLA policy an incident runs on (SPEC §6): ordered rules, the first that matches wins.

A rule (``SLAPolicyRule``) may name a service, a category (matching the incident's category or
subcategory), the caller (a VIP, or of a department, from ``escalation.CallerProfile``), a channel
and a priority; every condition it names must hold. No rule matching: the default policy.

The rules are read once per process and kept until the configuration changes
(``escalation.config_cache``: every rule write gives the configuration a new version, in its own
transaction, and so does any change of the policies). The rules' own counter still orders the
writers (its row lock). The caller's profile is read only when a rule about the caller is reached
before a match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from escalation import config_cache
from escalation.models import CallerProfile

from .models import SLAPolicyRule

VERSION_COUNTER = "sla-policy-rules"


class IncidentFacts(Protocol):
    """What a rule reads of an incident (an ``Incident``, saved or not, or ``Facts``)."""

    @property
    def service_id(self) -> int | None: ...
    @property
    def category_id(self) -> int | None: ...
    @property
    def subcategory_id(self) -> int | None: ...
    @property
    def caller_id(self) -> int | None: ...
    @property
    def channel(self) -> str: ...
    @property
    def priority(self) -> int: ...


@dataclass(frozen=True)
class Facts:
    """An incident's facts without an incident: the tester's dry run."""

    service_id: int | None = None
    category_id: int | None = None
    subcategory_id: int | None = None
    caller_id: int | None = None
    channel: str = ""
    priority: int = 3


@dataclass(frozen=True)
class Caller:
    is_vip: bool = False
    department: str = ""


@dataclass(frozen=True)
class Rule:
    pk: int
    name: str
    policy_id: int
    policy_slug: str
    service_id: int | None = None
    category_id: int | None = None
    caller_vip: bool = False
    caller_department: str = ""
    channel: str = ""
    priority: int | None = None

    @property
    def reads_caller(self) -> bool:
        return self.caller_vip or bool(self.caller_department)

    def matches(self, incident: IncidentFacts, caller: Callable[[], Caller]) -> bool:
        if self.service_id is not None and self.service_id != incident.service_id:
            return False
        if self.category_id is not None and self.category_id not in (
            incident.category_id,
            incident.subcategory_id,
        ):
            return False
        if self.channel and self.channel != incident.channel:
            return False
        if self.priority is not None and self.priority != incident.priority:
            return False
        if self.reads_caller:
            who = caller()
            if self.caller_vip and not who.is_vip:
                return False
            if self.caller_department and not same_department(self.caller_department, who.department):
                return False
        return True


def same_department(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def first_match(rules: Iterable[Rule], incident: IncidentFacts, caller: Callable[[], Caller]) -> Rule | None:
    """The first rule, in order, that matches; ``caller`` is asked at most once."""
    known: list[Caller] = []

    def caller_once() -> Caller:
        if not known:
            known.append(caller())
        return known[0]

    return next((rule for rule in rules if rule.matches(incident, caller_once)), None)


def caller_facts(user_id: int | None) -> Caller:
    if user_id is None:
        return Caller()
    row = CallerProfile.objects.filter(user_id=user_id).values_list("is_vip", "department").first()
    return Caller(is_vip=row[0], department=row[1]) if row else Caller()


# --- the per-process cache (escalation.config_cache) -------------------------------------------


def rules_load() -> tuple[Rule, ...]:
    return tuple(
        Rule(
            pk=r.pk,
            name=r.name,
            policy_id=r.policy_id,
            policy_slug=r.policy.slug,
            service_id=r.service_id,
            category_id=r.category_id,
            caller_vip=r.caller_vip,
            caller_department=r.caller_department.strip(),
            channel=r.channel,
            priority=r.priority,
        )
        for r in SLAPolicyRule.objects.filter(is_active=True)
        .select_related("policy")
        .order_by("position", "id")
    )


def rules_active() -> tuple[Rule, ...]:
    """The active rules in order, from this process's cache while the configuration is unchanged."""
    return config_cache.cached("sla-policy-rules", rules_load)


def cache_clear() -> None:
    config_cache.cache_clear()


def rule_for(incident: IncidentFacts) -> Rule | None:
    """The rule that chooses the incident's policy, or None for the default policy."""
    return first_match(rules_active(), incident, lambda: caller_facts(incident.caller_id))


# Fields a rule reads: a change of any of them chooses the policy again.
RULE_FIELDS = ("service", "category", "subcategory", "caller", "channel", "priority")
