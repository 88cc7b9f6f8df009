"""The SLA clocks applied to an incident (SPEC §6).

Services call these with the incident row locked, before they save it. They only set
fields on the instance; the caller saves ``SLA_FIELDS`` and records events.

The clock of a cycle starts at ``sla_started_at`` (creation, then every reopen starts a new
cycle with fresh targets). Elapsed time is business time on the priority's calendar minus
``sla_paused_seconds`` (business seconds spent on hold awaiting the caller), so a due time is
``start + target + paused`` in business time: a priority change keeps the time already
elapsed, and a resume keeps the time that was left. The sweep (``incidents.sla.sweep``) fires the
thresholds at the fractions of ``settings.SLA_WARNING_FRACTIONS`` and at 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from escalation import business_time as bt
from escalation.models import EscalationRule
from escalation.policies import Targets, batch_cache, escalation_rules_active, major_policy_slug, targets_for

from ..records.models import HoldReason, Incident, SlaState, Status
from .models import Handoff, OlaThresholdFire, SlaThresholdFire
from .rules import rule_for

SLA_FIELDS = [
    "sla_policy",
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
    "ola_state",
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


def policy_select(incident: Incident) -> None:
    """Choose the incident's SLA policy by the rules (``incidents.sla.rules``).

    With no rule matching, ``refresh`` records the default policy. Call ``refresh`` next: it
    recomputes the clocks under the policy as ``sla_recompute`` does (fired thresholds stay fired).
    """
    if incident.major_incident:
        major = major_policy_slug()
        if major:  # a declared major incident keeps the major-incident policy, whatever the rules say
            if incident.sla_policy_slug != major:
                incident.sla_policy_id, incident.sla_policy_slug = None, major
            return
    rule = rule_for(incident)
    incident.sla_policy_id, incident.sla_policy_slug = (
        (rule.policy_id, rule.policy_slug) if rule else (None, "")
    )


def acknowledge(incident: Incident, *, now: datetime) -> None:
    """Response is met at the first acknowledgement: assignment to a person or a first public reply.

    The same moment is when the group holding the incident accepted it (its OLA).
    """
    if incident.responded_at is None:
        incident.responded_at = now
    handoff = current_handoff(incident)
    if (
        handoff is not None
        and handoff.accepted_at is None
        and handoff.group_id == incident.assignment_group_id
    ):
        handoff.accepted_at = now
        Handoff.objects.filter(pk=handoff.pk).update(accepted_at=now)


def pause(incident: Incident, *, now: datetime) -> None:
    if incident.hold_reason == HoldReason.AWAITING_CALLER and incident.on_hold_since is None:
        incident.on_hold_since = now


def resume(incident: Incident, *, now: datetime) -> None:
    """Count the business time spent on hold, so that the due times move by exactly that much."""
    if incident.on_hold_since is not None:
        calendar = targets(incident).calendar
        seconds = int(bt.between(calendar, incident.on_hold_since, now))
        incident.sla_paused_seconds += seconds
        incident.on_hold_since = None
        handoff = current_handoff(incident)
        if handoff is not None and seconds:
            handoff.paused_seconds += seconds
            Handoff.objects.filter(pk=handoff.pk).update(paused_seconds=handoff.paused_seconds)


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
    """The thresholds of the current cycle fired already (remembered on the instance by the sweep,
    which holds the row lock and records each fire it makes with ``fired_add``)."""
    if incident.pk is None:
        return set()
    known = getattr(incident, "_fired", None)
    if known is not None and known[0] == incident.sla_cycle:
        return set(known[1])
    rows = SlaThresholdFire.objects.filter(incident=incident, cycle=incident.sla_cycle)
    return set(rows.values_list("target", "percent"))


def fired_remember(incident: Incident) -> None:
    """Read the fired thresholds once for the rest of this instance's check (call with the row locked)."""
    incident._fired = (incident.sla_cycle, fired(incident))  # type: ignore[attr-defined]
    handoff = current_handoff(incident)
    if handoff is not None:
        handoff._fired = ola_fired(handoff)  # type: ignore[attr-defined]


def fired_remember_all(incidents: list[Incident]) -> None:
    """``fired_remember`` for a batch of incidents the sweep holds locked, in three queries in all
    rather than up to three an incident: their fired SLA thresholds of the current cycle, their open
    hand-offs, and those hand-offs' fired OLA thresholds (issue 25 §5: the catch-up's round trips)."""
    by_pk = {i.pk: i for i in incidents if i.pk is not None}
    if not by_pk:
        return
    done: dict[int, set[tuple[str, int]]] = {pk: set() for pk in by_pk}
    for incident_id, cycle, target, percent in SlaThresholdFire.objects.filter(
        incident_id__in=list(by_pk)
    ).values_list("incident_id", "cycle", "target", "percent"):
        if cycle == by_pk[incident_id].sla_cycle:
            done[incident_id].add((target, percent))
    handoffs: dict[int, Handoff] = {}
    for handoff in Handoff.objects.filter(incident_id__in=list(by_pk), ended_at__isnull=True).order_by("pk"):
        handoffs.setdefault(handoff.incident_id, handoff)  # the first, as ``current_handoff`` reads it
    ola_done: dict[int, set[tuple[str, int]]] = {h.pk: set() for h in handoffs.values()}
    for handoff_id, target, percent in OlaThresholdFire.objects.filter(
        handoff_id__in=list(ola_done)
    ).values_list("handoff_id", "target", "percent"):
        ola_done[handoff_id].add((target, percent))
    for pk, incident in by_pk.items():
        incident._fired = (incident.sla_cycle, done[pk])  # type: ignore[attr-defined]
        current = handoffs.get(pk)
        incident._current_handoff = current  # type: ignore[attr-defined]
        if current is not None:
            current._fired = ola_done[current.pk]  # type: ignore[attr-defined]


def fired_add(incident: Incident, target: str, percent: int) -> None:
    known = getattr(incident, "_fired", None)
    if known is not None and known[0] == incident.sla_cycle:
        known[1].add((target, percent))


def pending_thresholds(incident: Incident, t: Targets) -> list[Threshold]:
    done = fired(incident)
    return [th for th in thresholds(incident, t) if (th.target, th.percent) not in done]


_UNSET: Any = object()


def current_handoff(incident: Incident) -> Handoff | None:
    """The open hand-off (the current group's period), read once per instance."""
    if incident.pk is None:
        return None
    cached = getattr(incident, "_current_handoff", _UNSET)
    if cached is _UNSET or (cached is not None and cached.group_id != incident.assignment_group_id):
        cached = Handoff.objects.filter(incident=incident, ended_at__isnull=True).first()
        incident._current_handoff = cached  # type: ignore[attr-defined]
    return cached


def handoff_opened(incident: Incident, handoff: Handoff) -> None:
    incident._current_handoff = handoff  # type: ignore[attr-defined]


def tier_started_at(incident: Incident, *, now: datetime) -> datetime:
    handoff = current_handoff(incident)
    return (handoff.started_at if handoff else None) or incident.created_at or now


@dataclass(frozen=True)
class OlaClock:
    """The current tier's operational-level clock: from the open hand-off, or, before the first
    hand-off row exists (while the incident is being logged), from the incident itself."""

    handoff: Handoff | None
    tier: int
    started_at: datetime
    paused_seconds: int
    accepted: bool


def ola_clock(incident: Incident, *, now: datetime) -> OlaClock:
    handoff = current_handoff(incident)
    if handoff is not None:
        return OlaClock(
            handoff, handoff.tier, handoff.started_at, handoff.paused_seconds, handoff.accepted_at is not None
        )
    tier = incident.assignment_group.tier or 1
    return OlaClock(None, tier, incident.created_at or now, 0, incident.assigned_to_id is not None)


def ola_dues(clock: OlaClock, t: Targets) -> tuple[datetime | None, datetime | None]:
    """When the tier had to accept (None once accepted, or without a target) and to hand back."""
    accept = t.ola_accept_minutes.get(clock.tier)
    minutes = t.ola_minutes.get(clock.tier)
    paused = clock.paused_seconds
    accept_due = bt.add(t.calendar, clock.started_at, accept * 60 + paused) if accept else None
    due = bt.add(t.calendar, clock.started_at, minutes * 60 + paused) if minutes else None
    return accept_due, due


def ola_thresholds(clock: OlaClock, t: Targets) -> list[Threshold]:
    accept = t.ola_accept_minutes.get(clock.tier)
    minutes = t.ola_minutes.get(clock.tier)
    out = []
    targets_of_tier = [(OlaThresholdFire.HANDBACK, minutes)] if minutes else []
    if accept and not clock.accepted:
        targets_of_tier.insert(0, (OlaThresholdFire.ACCEPT, accept))
    for name, target_minutes in targets_of_tier:
        for percent in percents():
            at = bt.add(
                t.calendar, clock.started_at, target_minutes * 60 * percent / 100 + clock.paused_seconds
            )
            out.append(Threshold(name, percent, at))
    return sorted(out, key=lambda th: (th.at, th.target == OlaThresholdFire.HANDBACK, th.percent))


def ola_fired(handoff: Handoff) -> set[tuple[str, int]]:
    """The hand-off's OLA thresholds fired already (remembered by the sweep, see ``fired_remember``)."""
    known = getattr(handoff, "_fired", None)
    if known is not None:
        return set(known)
    return set(OlaThresholdFire.objects.filter(handoff=handoff).values_list("target", "percent"))


def ola_fired_add(handoff: Handoff, target: str, percent: int) -> None:
    known = getattr(handoff, "_fired", None)
    if known is not None:
        known.add((target, percent))


def ola_pending(clock: OlaClock, t: Targets) -> list[Threshold]:
    done = ola_fired(clock.handoff) if clock.handoff is not None else set()
    return [th for th in ola_thresholds(clock, t) if (th.target, th.percent) not in done]


def _ola_refresh(incident: Incident, t: Targets, *, now: datetime) -> list[datetime]:
    """Set the current tier's OLA on the row and its hand-off; return its pending threshold times."""
    clock = ola_clock(incident, now=now)
    accept_due, due = ola_dues(clock, t)
    if clock.handoff is not None and clock.accepted:
        accept_due = clock.handoff.accept_due_at  # settled when accepted: a later pause does not move it
    incident.ola_due_at = due
    incident.ola_accept_due_at = accept_due  # type: ignore[attr-defined]  # for the hand-off being opened
    handoff = clock.handoff
    if handoff is not None and (handoff.accept_due_at, handoff.due_at) != (accept_due, due):
        handoff.accept_due_at, handoff.due_at = accept_due, due
        Handoff.objects.filter(pk=handoff.pk).update(accept_due_at=accept_due, due_at=due)
    if incident.on_hold_since is not None:
        incident.ola_state = SlaState.PAUSED
        return []
    passed = [th for th in ola_thresholds(clock, t) if th.at <= now]
    incident.ola_state = (
        SlaState.BREACHED
        if any(th.is_breach for th in passed)
        else SlaState.WARNING
        if passed
        else SlaState.ON_TRACK
    )
    if clock.handoff is None:
        # Only the hand-off's thresholds fire (``sweep._fire_ola_due``). Without one (the moment an
        # incident is being logged, or an open incident from before hand-offs were recorded), a passed
        # threshold would bring the sweep back every minute for ever (``RETRY_LATER``): only those
        # still ahead are looked at again.
        return [th.at for th in ola_pending(clock, t) if th.at > now]
    return [th.at for th in ola_pending(clock, t)]


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
    cache = batch_cache() if cache is None else cache
    if not incident.sla_policy_slug or incident.sla_policy_id is None:
        found = targets(incident, cache=cache)
        incident.sla_policy_slug, incident.sla_policy_id = found.policy_slug, found.policy_id
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
        incident.ola_state = SlaState.BREACHED if incident.ola_state == SlaState.BREACHED else SlaState.MET
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
    ola_moments = _ola_refresh(incident, t, now=now)

    incident.sla_state = state_at(incident, t, now=now)
    if incident.on_hold_since is not None:
        incident.sla_next_check_at = None
        return
    moments = [th.at for th in pending_thresholds(incident, t)] + ola_moments
    moments += [due for _, due in rules_due(incident, t, now=now, cache=cache)]
    incident.sla_next_check_at = min(moments, default=None)
