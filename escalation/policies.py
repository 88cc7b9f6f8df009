"""Selectors of the SLA configuration: the calendar and targets that apply to a priority.

They turn the configuration tables into ``business_time.Calendar`` values. The tables are read
once per process while the configuration is unchanged (``escalation.config_cache``); a ``cache``
dict passed through a batch (the sweep, a recompute) saves the lookups on top of that.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from . import business_time as bt
from .business_time import minutes
from .config_cache import cached
from .defaults import MAJOR_POLICY_SLUG
from .models import BusinessCalendar, EscalationPoint, EscalationRule, SLAPolicy

_scope = threading.local()


@contextmanager
def config_cached() -> Iterator[dict[Any, Any]]:
    """Read the SLA configuration once for everything inside the block.

    For long runs that do not change the configuration themselves (loading history, imports):
    every service call would otherwise read the policy, calendars and rules again.
    """
    previous = getattr(_scope, "cache", None)
    _scope.cache = {} if previous is None else previous
    try:
        yield _scope.cache
    finally:
        _scope.cache = previous


def _scope_cache() -> dict[Any, Any]:
    cache = getattr(_scope, "cache", None)
    return {} if cache is None else cache


def batch_cache() -> dict[Any, Any]:
    """The ``config_cached`` block's cache, or a new one: pass it through one unit of work (one
    incident's refresh, say) so that the configuration is read once in it."""
    return _scope_cache()


@dataclass(frozen=True)
class Targets:
    policy_slug: str
    priority: int
    response_minutes: int
    resolution_minutes: int
    calendar: bt.Calendar
    ola_minutes: dict[int, int] = field(default_factory=dict)
    ola_accept_minutes: dict[int, int] = field(default_factory=dict)
    policy_id: int | None = None


def calendar_value(calendar: BusinessCalendar) -> bt.Calendar:
    if calendar.is_24x7:
        return bt.Calendar(time_zone=calendar.time_zone, is_24x7=True)
    hours: dict[int, list[tuple[int, int]]] = {}
    for wh in calendar.working_hours.all():
        hours.setdefault(wh.weekday, []).append((minutes(wh.start), minutes(wh.end, end=True)))
    return bt.Calendar(
        time_zone=calendar.time_zone,
        hours={day: tuple(sorted(periods)) for day, periods in hours.items()},
        holidays=frozenset(h.date for h in calendar.holidays.all()),
    )


def _policies_load() -> dict[str, SLAPolicy]:
    """Every policy with its targets, OLA targets and calendars, by slug; "" is the default policy."""
    calendar_rel = ("calendar__working_hours", "calendar__holidays")
    policies = list(
        SLAPolicy.objects.select_related("calendar")
        .prefetch_related(
            *calendar_rel, "targets__calendar__working_hours", "targets__calendar__holidays", "ola_targets"
        )
        .order_by("pk")
    )
    by_slug = {p.slug: p for p in policies}
    default = next((p for p in policies if p.is_default), policies[0] if policies else None)
    if default is not None:
        by_slug[""] = default
    return by_slug


def _policies() -> dict[str, SLAPolicy]:
    return cached("policies", _policies_load)


def policy_default() -> SLAPolicy:
    policy = _policies().get("")
    if policy is None:
        raise SLAPolicy.DoesNotExist("No SLA policy is configured: run the migrations.")
    return policy


def _policy(slug: str) -> SLAPolicy:
    return _policies().get(slug) or policy_default()


def _calendar(calendar: BusinessCalendar) -> bt.Calendar:
    return cached(("calendar", calendar.pk), lambda: calendar_value(calendar))


def targets_for(*, priority: int, policy_slug: str = "", cache: dict[Any, Any] | None = None) -> Targets:
    """The targets of ``priority`` under the named policy (the default policy if it is gone)."""
    cache = _scope_cache() if cache is None else cache
    key = ("targets", policy_slug, priority)
    if key not in cache:
        cache[key] = cached(key, lambda: _targets_load(priority=priority, policy_slug=policy_slug))
    return cache[key]


def _targets_load(*, priority: int, policy_slug: str) -> Targets:
    policy = _policy(policy_slug)
    target = next((t for t in policy.targets.all() if t.priority == priority), None)
    if target is None:  # a row deleted by hand: the policy's lowest priority target, or a day
        target = max(policy.targets.all(), key=lambda t: t.priority, default=None)
    calendar = (target.calendar if target is not None and target.calendar_id else None) or policy.calendar
    return Targets(
        policy_slug=policy.slug,
        priority=priority,
        response_minutes=target.response_minutes if target else 60,
        resolution_minutes=target.resolution_minutes if target else 24 * 60,
        calendar=_calendar(calendar),
        ola_minutes={o.tier: o.minutes for o in policy.ola_targets.all()},
        ola_accept_minutes={o.tier: o.accept_minutes for o in policy.ola_targets.all() if o.accept_minutes},
        policy_id=policy.pk,
    )


def calendar_default(*, cache: dict[Any, Any] | None = None) -> bt.Calendar:
    """The default policy's calendar: business days for auto-close and reports."""
    cache = _scope_cache() if cache is None else cache
    if "default-calendar" not in cache:
        cache["default-calendar"] = _calendar(policy_default().calendar)
    return cache["default-calendar"]


def escalation_rules_active(*, cache: dict[Any, Any] | None = None) -> list[EscalationRule]:
    cache = _scope_cache() if cache is None else cache
    if "rules" not in cache:
        cache["rules"] = cached(
            "escalation-rules",
            lambda: list(EscalationRule.objects.filter(is_active=True).select_related("to_group")),
        )
    return cache["rules"]


def escalation_level(*, group_id: int | None, target: str, percent: int) -> int:
    """The highest escalation level a group's points reach at a threshold (0: none)."""
    levels = cached("escalation-levels", _escalation_levels_load)
    return levels.get((group_id, target, percent), 0)


def _escalation_levels_load() -> dict[tuple[int | None, str, int], int]:
    levels: dict[tuple[int | None, str, int], int] = {}
    for group_id, target, percent, level in EscalationPoint.objects.values_list(
        "group_id", "target", "percent", "level"
    ):
        key = (group_id, target, percent)
        levels[key] = max(levels.get(key, 0), level)
    return levels


def major_policy_slug(*, cache: dict[Any, Any] | None = None) -> str:
    """The policy of a declared major incident, or "" when none is configured.

    It wins over whatever policy selection would choose: a selector of policies asks this first
    for an incident whose ``major_incident`` is set.
    """
    cache = _scope_cache() if cache is None else cache
    if "major-policy" not in cache:
        cache["major-policy"] = MAJOR_POLICY_SLUG if MAJOR_POLICY_SLUG in _policies() else ""
    return cache["major-policy"]
