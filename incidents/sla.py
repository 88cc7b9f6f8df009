"""The SLA clocks applied to an incident (SPEC §6).

Services call these with the incident row locked, before they save it. They only set
fields on the instance; the caller saves ``SLA_FIELDS`` and records events.

The clock of a cycle starts at ``sla_started_at`` (creation, then every reopen starts a new
cycle with fresh targets). Elapsed time is business time on the priority's calendar minus
``sla_paused_seconds`` (business seconds spent on hold awaiting the caller), so a due time is
``start + target + paused`` in business time: a priority change keeps the time already
elapsed, and a resume keeps the time that was left. The sweep (``incidents.sweep``) fires the
thresholds at the fractions of ``settings.SLA_WARNING_FRACTIONS`` and at 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from escalation import business_time as bt
from escalation.models import EscalationRule
from escalation.policies import Targets, escalation_rules_active, targets_for

from .models import Handoff, HoldReason, Incident, SlaState, SlaThresholdFire, Status

SLA_FIELDS = [
    "sla_policy_slug",
    "response_due_at",
    "resolution_due_at",
    "responded_at",
    "on_hold_since",
    "sla_paused_seconds",
    "sla_state",
    "sla_next_check_at",
    "sla_cycle",
    "sla_started_at",
    "ola_due_at",
]
RESPONSE, RESOLUTION = "response", "resolution"
CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)


@dataclass(frozen=True)
class Threshold:
    target: str  # response or resolution
    percent: int
    at: datetime

    @property
    def is_breach(self) -> bool:
        return self.percent >= 100


def percents() -> list[int]:
    fractions = getattr(settings, "SLA_WARNING_FRACTIONS", (0.75, 0.9))
    return sorted({round(f * 100) for f in fractions if 0 < f < 1} | {100})


def targets(incident: Incident, *, cache: dict[Any, Any] | None = None) -> Targets:
    return targets_for(priority=incident.priority, policy_slug=incident.sla_policy_slug, cache=cache)


def acknowledge(incident: Incident, *, now: datetime) -> None:
    """Response is met at the first acknowledgement: assignment to a person or a first public reply."""
    if incident.responded_at is None:
        incident.responded_at = now


def pause(incident: Incident, *, now: datetime) -> None:
    if incident.hold_reason == HoldReason.AWAITING_CALLER and incident.on_hold_since is None:
        incident.on_hold_since = now


def resume(incident: Incident, *, now: datetime) -> None:
    """Count the business time spent on hold, so that the due times move by exactly that much."""
    if incident.on_hold_since is not None:
        calendar = targets(incident).calendar
        incident.sla_paused_seconds += int(bt.between(calendar, incident.on_hold_since, now))
        incident.on_hold_since = None


def thresholds(incident: Incident, t: Targets) -> list[Threshold]:
    """Every threshold of the current cycle, response ones only while nobody has responded."""
    start = incident.sla_started_at or incident.created_at
    paused = incident.sla_paused_seconds
    out = []
    targets_of_cycle = [(RESOLUTION, t.resolution_minutes)]
    if incident.responded_at is None and incident.sla_cycle == 1:
        targets_of_cycle.insert(0, (RESPONSE, t.response_minutes))
    for name, target_minutes in targets_of_cycle:
        for percent in percents():
            out.append(
                Threshold(
                    name, percent, bt.add(t.calendar, start, target_minutes * 60 * percent / 100 + paused)
                )
            )
    return sorted(out, key=lambda th: (th.at, th.target == RESOLUTION, th.percent))


def fired(incident: Incident) -> set[tuple[str, int]]:
    if incident.pk is None:
        return set()
    return set(
        SlaThresholdFire.objects.filter(incident=incident, cycle=incident.sla_cycle).values_list(
            "target", "percent"
        )
    )


def pending_thresholds(incident: Incident, t: Targets) -> list[Threshold]:
    done = fired(incident)
    return [th for th in thresholds(incident, t) if (th.target, th.percent) not in done]


def tier_started_at(incident: Incident, *, now: datetime) -> datetime:
    if incident.pk is None:
        return now
    started = (
        Handoff.objects.filter(incident=incident, ended_at__isnull=True)
        .values_list("started_at", flat=True)
        .first()
    )
    return started or incident.created_at or now


def rules_due(
    incident: Incident, t: Targets, *, now: datetime, cache: dict[Any, Any] | None = None
) -> list[tuple[EscalationRule, datetime]]:
    """Escalation rules that apply to the incident's current group, with the time each is due."""
    group = incident.assignment_group
    matching = [
        rule
        for rule in escalation_rules_active(cache=cache)
        if rule.matches(priority=incident.priority, group_id=group.pk, tier=group.tier)
    ]
    if not matching:
        return []
    since = tier_started_at(incident, now=now)
    return sorted(
        ((rule, bt.add(t.calendar, since, rule.after_minutes * 60)) for rule in matching), key=lambda r: r[1]
    )


def state_at(incident: Incident, t: Targets, *, now: datetime) -> str:
    if incident.on_hold_since is not None:
        return SlaState.PAUSED
    if (
        incident.responded_at
        and incident.response_due_at
        and incident.responded_at > incident.response_due_at
    ):
        return SlaState.BREACHED
    passed = [th for th in thresholds(incident, t) if th.at <= now]
    if any(th.is_breach for th in passed):
        return SlaState.BREACHED
    return SlaState.WARNING if passed else SlaState.ON_TRACK


def refresh(incident: Incident, *, now: datetime, cache: dict[Any, Any] | None = None) -> None:
    """Recompute due times, state and the next time the sweep must look at the incident."""
    if not incident.sla_policy_slug:
        incident.sla_policy_slug = targets(incident, cache=cache).policy_slug
    cycle = incident.reopen_count + 1
    if incident.sla_cycle != cycle:  # reopened: a new cycle with fresh targets
        incident.sla_cycle = cycle
        incident.sla_started_at = now
        incident.sla_paused_seconds = 0
        incident.on_hold_since = None
    if incident.sla_started_at is None:
        incident.sla_started_at = incident.created_at or now
    t = targets(incident, cache=cache)

    if incident.status in CLOSED_STATUSES:
        incident.sla_next_check_at = None
        incident.ola_due_at = None
        end = incident.resolved_at or now
        late = (incident.resolution_due_at and end > incident.resolution_due_at) or (
            incident.response_due_at and (incident.responded_at or end) > incident.response_due_at
        )
        incident.sla_state = (
            SlaState.BREACHED if late or incident.sla_state == SlaState.BREACHED else SlaState.MET
        )
        return

    start = incident.sla_started_at
    if incident.on_hold_since is None:
        paused = incident.sla_paused_seconds
        if incident.sla_cycle == 1:
            incident.response_due_at = bt.add(t.calendar, start, t.response_minutes * 60 + paused)
        incident.resolution_due_at = bt.add(t.calendar, start, t.resolution_minutes * 60 + paused)
    tier = incident.assignment_group.tier or 1
    ola = t.ola_minutes.get(tier)
    incident.ola_due_at = bt.add(t.calendar, tier_started_at(incident, now=now), ola * 60) if ola else None

    incident.sla_state = state_at(incident, t, now=now)
    if incident.on_hold_since is not None:
        incident.sla_next_check_at = None
        return
    moments = [th.at for th in pending_thresholds(incident, t)]
    moments += [due for _, due in rules_due(incident, t, now=now, cache=cache)]
    incident.sla_next_check_at = min(moments, default=None)
