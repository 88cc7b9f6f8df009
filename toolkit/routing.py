"""Routing rules and assignment within a group (issue 23 §2), registered with the record's routing
hook (``incidents.records.routing``) by ``ToolkitConfig.ready()``.

The matching is plain values (``Facts``, ``RuleSpec``) so that the router, the dry run on last
month's incidents and the tests share one definition of "this rule matches this incident".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from escalation import config_cache
from escalation.models import CallerProfile, Membership, SupportGroup
from incidents.models import OPEN_STATUSES, Incident
from incidents.records import texts
from incidents.records.routing import Draft, Pick, Route
from incidents.selectors import incidents_for_totals

from .models import Absence, AssignmentMode, GroupAssignment, RoutingRule
from .shifts import shifts_of


@dataclass(frozen=True)
class Facts:
    category_id: int | None
    subcategory_id: int | None
    service_id: int | None
    channel: str
    text: str  # title and description, case-folded
    caller_id: int | None


@dataclass(frozen=True)
class RuleSpec:
    name: str
    group_id: int
    category_id: int | None = None
    service_id: int | None = None
    caller_department: str = ""
    keywords: tuple[str, ...] = ()
    channel: str = ""
    pk: int | None = None

    @classmethod
    def of(cls, rule: RoutingRule) -> RuleSpec:
        return cls(
            name=rule.name,
            group_id=rule.group_id,
            category_id=rule.category_id,
            service_id=rule.service_id,
            caller_department=rule.caller_department.strip(),
            keywords=tuple(rule.keyword_list()),
            channel=rule.channel,
            pk=rule.pk,
        )

    def matches(self, facts: Facts, department: Callable[[], str]) -> bool:
        if self.category_id is not None and self.category_id not in (facts.category_id, facts.subcategory_id):
            return False
        if self.service_id is not None and self.service_id != facts.service_id:
            return False
        if self.channel and self.channel != facts.channel:
            return False
        if self.keywords and not any(word in facts.text for word in self.keywords):
            return False
        wanted = self.caller_department.casefold()
        return not wanted or wanted == department().strip().casefold()


def first_match(rules: Sequence[RuleSpec], facts: Facts, department: Callable[[], str]) -> RuleSpec | None:
    return next((rule for rule in rules if rule.matches(facts, department)), None)


def _department_of(caller_id: int | None) -> Callable[[], str]:
    """The caller's department, read at most once and only if a rule asks."""
    known: list[str] = []

    def read() -> str:
        if not known:
            row = (
                CallerProfile.objects.filter(user_id=caller_id).values_list("department", flat=True).first()
                if caller_id is not None
                else None
            )
            known.append(row or "")
        return known[0]

    return read


def active_rules() -> list[RuleSpec]:
    """The active rules in order, kept in the process while the configuration's version holds (a
    trigger gives it a new one on any write to the rules: migration 0005)."""
    return config_cache.cached(("toolkit", "routing-rules"), _rules_load)


def _rules_load() -> list[RuleSpec]:
    return [RuleSpec.of(r) for r in RoutingRule.objects.filter(is_active=True).order_by("position", "id")]


def route_draft(draft: Draft) -> Route | None:
    """The router the record's services ask when nobody chose the group."""
    rules = active_rules()
    if not rules:
        return None
    facts = Facts(
        category_id=draft.category.pk if draft.category else None,
        subcategory_id=draft.subcategory.pk if draft.subcategory else None,
        service_id=draft.service.pk if draft.service else None,
        channel=draft.channel,
        text=f"{draft.title}\n{draft.description}".casefold(),
        caller_id=getattr(draft.caller, "pk", None),
    )
    rule = first_match(rules, facts, _department_of(facts.caller_id))
    if rule is None:
        return None
    group = SupportGroup.objects.filter(pk=rule.group_id, is_active=True).first()
    return Route(group=group, rule=rule.name) if group is not None else None


# --- the dry run -----------------------------------------------------------------------------

DRY_RUN_DAYS = 31
DRY_RUN_LIMIT = 5000


@dataclass
class DryRun:
    """What a rule set would have done to the incidents of the last month."""

    examined: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    caught: int = 0  # by the rule under test
    differs: int = 0  # of those, logged into another group than the rule's
    samples: list[tuple[str, str, str]] = field(default_factory=list)  # (number, title, group it went to)


def dry_run(
    *, incidents: Iterable[Incident], rules: Sequence[RuleSpec], rule: RuleSpec, now: datetime | None = None
) -> DryRun:
    """Run ``rules`` (with ``rule`` in its place) on ``incidents``, a queryset the person may read."""
    now = now or timezone.now()
    result = DryRun()
    departments = dict(CallerProfile.objects.values_list("user_id", "department"))
    rows = (
        incidents.filter(created_at__gte=now - timedelta(days=DRY_RUN_DAYS))  # type: ignore[attr-defined]
        .order_by("-created_at")
        .values_list(
            "number",
            "title",
            "description",
            "category_id",
            "subcategory_id",
            "service_id",
            "channel",
            "caller_id",
            "assignment_group_id",
            "assignment_group__name",
        )[:DRY_RUN_LIMIT]
    )
    for (
        number,
        title,
        description,
        category_id,
        subcategory_id,
        service_id,
        channel,
        caller_id,
        gid,
        gname,
    ) in rows:
        result.examined += 1
        facts = Facts(
            category_id=category_id,
            subcategory_id=subcategory_id,
            service_id=service_id,
            channel=channel,
            text=f"{title}\n{description}".casefold(),
            caller_id=caller_id,
        )
        department = departments.get(caller_id, "")
        found = first_match(rules, facts, _constant(department))
        if found is None:
            continue
        result.by_rule[found.name] = result.by_rule.get(found.name, 0) + 1
        if found is rule:
            result.caught += 1
            if gid != rule.group_id:
                result.differs += 1
            if len(result.samples) < 10:
                result.samples.append((number, title, gname))
    return result


def _constant(value: str) -> Callable[[], str]:
    return lambda: value


def rules_with(rule: RuleSpec, position: int) -> list[RuleSpec]:
    """The active rules with ``rule`` in place of its saved self, at ``position``."""
    saved = [
        (r.position, r.pk, RuleSpec.of(r))
        for r in RoutingRule.objects.filter(is_active=True)
        .exclude(pk=rule.pk or 0)
        .order_by("position", "id")
    ]
    # the rule under test goes before saved rules of the same position: it is the one being placed
    ordered = sorted([*saved, (position, -1, rule)], key=lambda t: (t[0], t[1] or 0))
    return [spec for _p, _pk, spec in ordered]


# --- assignment within a group ---------------------------------------------------------------


def people_on_shift(group: SupportGroup, at: datetime) -> list[Any]:
    """The active members of ``group`` who are at work at ``at``: not absent, and inside their working
    hours (someone with no working hours set works at any time). Ordered by username."""
    members = [
        m.user
        for m in Membership.objects.filter(group=group, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    ]
    shifts = shifts_of([u.pk for u in members], start=at, end=at)
    return [u for u in members if shifts.on_shift(u.pk, at)]


def assign_in_group(group: SupportGroup, at: datetime) -> Pick | None:
    """The assigner the record's services ask for a new incident that reaches ``group`` with nobody named."""
    setting = GroupAssignment.objects.select_for_update().filter(group=group).first()
    if setting is None or setting.mode == AssignmentMode.MANUAL:
        return None
    people = people_on_shift(group, at)
    if not people:
        return None
    if setting.mode == AssignmentMode.ROUND_ROBIN:
        names = [u.get_username() for u in people]
        last = setting.last_user.get_username() if setting.last_user else ""
        later = [u for u, name in zip(people, names, strict=True) if name > last]
        chosen = later[0] if later else people[0]
        GroupAssignment.objects.filter(pk=setting.pk).update(last_user=chosen)
        said = texts.message("assign.round_robin")
        return Pick(user=chosen, how=texts.english(said), said=said)
    load = dict(
        incidents_for_totals()  # a count per person, naming no incident
        .filter(assigned_to__in=people, status__in=OPEN_STATUSES)
        .values("assigned_to")
        .annotate(n=Count("id"))
        .values_list("assigned_to", "n")
    )
    chosen = min(people, key=lambda u: (load.get(u.pk, 0), u.get_username()))
    said = texts.message("assign.least_open")
    return Pick(user=chosen, how=texts.english(said), said=said)


def absences_between(start: datetime, end: datetime, *, group: SupportGroup | None = None) -> list[Absence]:
    """Absences overlapping [start, end), optionally of one group's members, with their user."""
    qs = Absence.objects.filter(starts_at__lt=end, ends_at__gt=start).select_related("user")
    if group is not None:
        qs = qs.filter(Q(user__memberships__group=group))
    return list(qs.order_by("starts_at", "id"))
