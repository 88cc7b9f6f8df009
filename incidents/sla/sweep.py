"""The SLA sweep (SPEC §6): fire due thresholds once and apply escalation rules.

Beat runs it every minute (``sla_sweep_task``); it can also run by hand (``manage.py sla_sweep``)
and any number of copies may run at once. Its cost follows the number of thresholds due: it
reads only rows whose ``sla_next_check_at`` has passed, through the partial index on that
column, and claims them in batches with ``FOR UPDATE SKIP LOCKED`` so that two sweeps never
work on one incident. Each threshold is a ``SlaThresholdFire`` row with a unique key: a retry,
a second beat or a crashed worker's redelivered task cannot record it twice, and a crash
before commit records nothing. Notifications leave through the event outbox after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.rows import rows_update
from escalation import config_cache
from escalation.policies import escalation_level

from ..errors import TransitionNotAllowed
from ..records import outbox, texts
from ..records.events import EventFields, event_build, event_record, events_record
from ..records.models import OPEN_STATUSES, Incident, IncidentEvent, SlaState
from ..records.services.lifecycle import incident_escalate
from . import clocks as sla
from .models import OlaThresholdFire, SlaThresholdFire

log = logging.getLogger(__name__)
# When a due rule cannot be applied (an inactive target group, say), look again this much later.
RETRY_LATER = timedelta(minutes=1)


@dataclass
class SweepResult:
    incidents: int = 0
    fired: int = 0
    escalated: int = 0
    ola_fired: int = 0


def sla_sweep(
    *,
    now: datetime | None = None,
    batch_size: int = 100,
    max_batches: int | None = 50,
    on_backlog: Callable[[], None] | None = None,
    on_batch: Callable[[SweepResult], None] | None = None,
) -> SweepResult:
    """Process every incident with a due check, one committed batch at a time.

    ``on_backlog`` is called once, after the first batch, when it was full: more is due than one
    batch, so the caller may start helpers (``sla_sweep_task`` queues copies of itself).
    ``on_batch`` is called after each committed batch with the running totals (progress);
    ``max_batches=None`` sweeps until nothing due is left to claim.
    """
    now = now or timezone.now()
    result = SweepResult()
    cache: dict[Any, Any] = {}
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        # A batch's events go to the broker as one task, after its commit (outbox.published_together).
        with outbox.published_together(), config_cache.unit(), transaction.atomic():
            batch = list(
                Incident.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("assignment_group")
                .filter(sla_next_check_at__lte=now)
                .order_by("sla_next_check_at")[:batch_size]
            )
            _check_batch(batch, now=now, cache=cache, result=result)
        result.incidents += len(batch)
        if on_batch is not None:
            on_batch(result)
        if len(batch) < batch_size:
            break
        if on_backlog is not None:
            on_backlog()
            on_backlog = None
    return result


@dataclass
class _Writes:
    """The writes of one batch of the sweep, made together when it has been checked: its events with one
    insert, their SLA and OLA fires with one each, its incidents' clocks with one update (issue 25 §5:
    an incident at a time, five statements each, was most of the catch-up's time).

    Only the sweep defers: it holds every row of the batch locked and has read what already fired
    (``fired_remember_all``), so every fire it records is new. The unique keys of the fires stay the
    last line of defence: should one not be new, ``_check_batch`` checks the batch again one incident
    at a time, each fire in a savepoint of its own.
    """

    fired: list[tuple[IncidentEvent, SlaThresholdFire | OlaThresholdFire]] = field(default_factory=list)
    incidents: dict[int, Incident] = field(default_factory=dict)

    def flush_fires(self) -> None:
        """Write the events and fires recorded so far (before an escalation rule reads the incident)."""
        if not self.fired:
            return
        events_record([event for event, _fire in self.fired])
        sla_fires, ola_fires = [], []
        for event, fire in self.fired:
            fire.event = event
            if isinstance(fire, SlaThresholdFire):
                sla_fires.append(fire)
            else:
                ola_fires.append(fire)
        if sla_fires:
            SlaThresholdFire.objects.bulk_create(sla_fires)
        if ola_fires:
            OlaThresholdFire.objects.bulk_create(ola_fires)
        self.fired = []

    def flush(self) -> None:
        self.flush_fires()
        if self.incidents:
            rows_update(list(self.incidents.values()), [*sla.SLA_FIELDS, "escalation_level"])
            self.incidents = {}


def _check_batch(batch: list[Incident], *, now: datetime, cache: dict[Any, Any], result: SweepResult) -> None:
    """Check a batch the sweep holds locked, its writes together (``_Writes``); should a fire turn out
    to exist already, the batch's writes are undone and it is checked again one incident at a time."""
    sla.fired_remember_all(batch)  # what fired, for the whole batch at once
    attempt, writes = SweepResult(), _Writes()
    try:
        with transaction.atomic():
            for incident in batch:
                incident_sla_check(
                    incident, now=now, cache=cache, result=attempt, remembered=True, writes=writes
                )
            writes.flush()
    except IntegrityError:
        log.warning("a batch of the SLA sweep met a threshold fired already: checked again one by one")
        batch = list(
            Incident.objects.select_related("assignment_group")
            .filter(pk__in=[incident.pk for incident in batch])
            .order_by("sla_next_check_at")
        )
        sla.fired_remember_all(batch)
        for incident in batch:
            incident_sla_check(incident, now=now, cache=cache, result=result, remembered=True)
        return
    result.fired += attempt.fired
    result.escalated += attempt.escalated
    result.ola_fired += attempt.ola_fired


def sla_due_count(*, now: datetime | None = None) -> int:
    """How many incidents have a check due (the partial index ``inc_sla_next_check_due``)."""
    return Incident.objects.filter(sla_next_check_at__lte=now or timezone.now()).count()


def incident_sla_check(
    incident: Incident,
    *,
    now: datetime,
    cache: dict[Any, Any] | None = None,
    result: SweepResult | None = None,
    remembered: bool = False,
    writes: _Writes | None = None,
) -> None:
    """Fire the incident's due thresholds, apply its due escalation rules, schedule its next check.

    Call inside a transaction with the incident row locked; ``remembered``: its fired thresholds were
    read since it was locked (``clocks.fired_remember_all``, the sweep's batch); ``writes``: the
    batch's writes, made when it ends (``_check_batch``).
    """
    result = result if result is not None else SweepResult()
    if not remembered:
        sla.fired_remember(incident)
    if incident.is_open and incident.on_hold_since is None:
        t = sla.targets(incident, cache=cache)
        for threshold in sla.pending_thresholds(incident, t):
            if threshold.at > now:
                break
            result.fired += _fire(incident, threshold, t, now=now, writes=writes)
        result.ola_fired += _fire_ola_due(incident, t, until=now, now=now, writes=writes)
        due_rules = [
            (rule, due) for rule, due in sla.rules_due(incident, t, now=now, cache=cache) if due <= now
        ]
        if due_rules:  # the escalation reads the row: it must hold what fired
            if writes is not None:
                writes.flush_fires()
            incident.save(update_fields=[*sla.SLA_FIELDS, "escalation_level"])
        for rule, _due in due_rules:
            if _escalate_by_rule(incident, rule, now=now):
                result.escalated += 1
                incident = Incident.objects.select_related("assignment_group").get(pk=incident.pk)
                break
    sla.refresh(incident, now=now, cache=cache)
    if incident.sla_next_check_at is not None and incident.sla_next_check_at <= now:
        incident.sla_next_check_at = now + RETRY_LATER
    if writes is not None:
        writes.incidents[incident.pk] = incident
    else:
        incident.save(update_fields=[*sla.SLA_FIELDS, "escalation_level"])


def sla_fire_due(incident: Incident, *, until: datetime, cache: dict[Any, Any] | None = None) -> int:
    """Fire the incident's thresholds that fell due by ``until``, each at its own due time.

    For replaying history (the demo): the events and fires carry the time the threshold fell
    due, as a sweep running then would have written them. Escalation rules are left to the
    sweep. Call inside a transaction with the incident row locked.
    """
    fired = 0
    if incident.is_open and incident.on_hold_since is None:
        t = sla.targets(incident, cache=cache)
        for threshold in sla.pending_thresholds(incident, t):
            if threshold.at > until:
                break
            fired += _fire(incident, threshold, t, now=threshold.at)
        fired += _fire_ola_due(incident, t, until=until, now=None)
        if fired:
            incident.save(update_fields=[*sla.SLA_FIELDS, "escalation_level"])
    return fired


def _record_fire(
    fields: EventFields, fire: SlaThresholdFire | OlaThresholdFire, writes: _Writes | None
) -> bool:
    """Record a threshold's event and its fire together, or neither; False if it had fired already.
    With ``writes``, both are written with the batch's (``_Writes``)."""
    if writes is not None:
        writes.fired.append((event_build(**fields), fire))
        return True
    try:
        with transaction.atomic():
            fire.event = event_record(**fields)
            fire.save()
    except IntegrityError:  # fired already: the unique key is the last line of defence
        return False
    return True


def _fire(
    incident: Incident, threshold: sla.Threshold, t: Any, *, now: datetime, writes: _Writes | None = None
) -> int:
    level = escalation_level(
        group_id=incident.assignment_group_id, target=threshold.target, percent=threshold.percent
    )
    old_state, old_level = incident.sla_state, incident.escalation_level
    new_state = (
        SlaState.BREACHED if threshold.is_breach or old_state == SlaState.BREACHED else SlaState.WARNING
    )
    incident.sla_state, incident.escalation_level = new_state, max(old_level, level)
    changes: dict[str, dict[str, Any]] = {
        "sla_threshold": {"old": None, "new": f"{threshold.target} {threshold.percent}%"}
    }
    if incident.sla_state != old_state:
        changes["sla_state"] = {"old": old_state, "new": incident.sla_state}
    if incident.escalation_level != old_level:
        changes["escalation_level"] = {"old": old_level, "new": incident.escalation_level}
    # Worded when read, in the reader's language and zone (``texts``); the English body is the fallback.
    said = [
        texts.message(f"sla.breached.{threshold.target}", due=threshold.at)
        if threshold.is_breach
        else texts.message(f"sla.reached.{threshold.target}", percent=threshold.percent, due=threshold.at)
    ]
    if level:
        said.append(texts.message("sla.escalated", level=level, group=incident.assignment_group.name))
    body = texts.english(*said)
    changes = texts.with_text(
        changes,
        body=said,
        sla_threshold=texts.message(f"sla.threshold.{threshold.target}", percent=threshold.percent),
    )
    sla.fired_add(incident, threshold.target, threshold.percent)
    fire = SlaThresholdFire(
        incident=incident,
        cycle=incident.sla_cycle,
        target=threshold.target,
        percent=threshold.percent,
        level=level,
        group_id=incident.assignment_group_id,
        fired_at=now,
        due_at=threshold.at,
    )
    kind = IncidentEvent.Kind.SLA_ESCALATION if level else IncidentEvent.Kind.SLA_THRESHOLD
    event = EventFields(incident=incident, kind=kind, actor=None, now=now, body=body, changes=changes)
    if not _record_fire(event, fire, writes):
        incident.sla_state, incident.escalation_level = old_state, old_level
        return 0
    return 1


def _fire_ola_due(
    incident: Incident, t: Any, *, until: datetime, now: datetime | None, writes: _Writes | None = None
) -> int:
    """Fire the current tier's OLA thresholds due by ``until`` (each at its own time if ``now`` is None).

    The same claim as the SLA's: the caller holds the incident row (``SKIP LOCKED`` in the sweep),
    and the unique key of ``OlaThresholdFire`` records each threshold of a hand-off once.
    """
    clock = sla.ola_clock(incident, now=until)
    if clock.handoff is None:
        return 0
    fired = 0
    for threshold in sla.ola_pending(clock, t):
        if threshold.at > until:
            break
        fired += _fire_ola(incident, clock, threshold, now=now or threshold.at, writes=writes)
    return fired


def _fire_ola(
    incident: Incident,
    clock: sla.OlaClock,
    threshold: sla.Threshold,
    *,
    now: datetime,
    writes: _Writes | None = None,
) -> int:
    handoff = clock.handoff
    assert handoff is not None
    old_state = incident.ola_state
    incident.ola_state = (
        SlaState.BREACHED if threshold.is_breach or old_state == SlaState.BREACHED else SlaState.WARNING
    )
    said = texts.message(
        f"ola.{'breached' if threshold.is_breach else 'reached'}.{threshold.target}",
        group=incident.assignment_group.name,
        **({} if threshold.is_breach else {"percent": threshold.percent}),
        tier=handoff.tier,
        due=threshold.at,
    )
    changes: dict[str, dict[str, Any]] = {
        "ola_threshold": {"old": None, "new": f"tier {handoff.tier} {threshold.target} {threshold.percent}%"}
    }
    if incident.ola_state != old_state:
        changes["ola_state"] = {"old": old_state, "new": incident.ola_state}
    changes = texts.with_text(
        changes,
        body=[said],
        ola_threshold=texts.message(
            f"ola.threshold.{threshold.target}", tier=handoff.tier, percent=threshold.percent
        ),
    )
    sla.ola_fired_add(handoff, threshold.target, threshold.percent)
    fire = OlaThresholdFire(
        handoff=handoff,
        incident=incident,
        target=threshold.target,
        percent=threshold.percent,
        group_id=handoff.group_id,
        tier=handoff.tier,
        fired_at=now,
        due_at=threshold.at,
    )
    event = EventFields(
        incident=incident,
        kind=IncidentEvent.Kind.OLA_THRESHOLD,
        actor=None,
        now=now,
        body=texts.english(said),
        changes=changes,
    )
    if not _record_fire(event, fire, writes):
        incident.ola_state = old_state
        return 0
    return 1


def _escalate_by_rule(incident: Incident, rule: Any, *, now: datetime) -> bool:
    said = texts.message(
        "escalation.rule", rule=rule.name, group=incident.assignment_group.name, minutes=rule.after_minutes
    )
    try:
        with transaction.atomic():
            incident_escalate(
                actor=None,
                incident=incident,
                expected_version=None,
                assignment_group=rule.to_group,
                reason=texts.english(said),
                said=said,
                by_rule=rule.slug,
                now=now,
            )
    except (ValidationError, TransitionNotAllowed):
        log.warning("escalation rule %s could not move %s", rule.slug, incident.number, exc_info=True)
        return False
    return True


def sla_recompute(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Recompute the clocks of every open incident, in committed batches (after a configuration change).

    Thresholds already fired stay fired; one whose new time has passed fires at the next sweep.
    """
    now = now or timezone.now()
    cache: dict[Any, Any] = {}
    last_pk, count = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                Incident.objects.select_for_update(of=("self",))
                .select_related("assignment_group")
                .filter(status__in=OPEN_STATUSES, pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            for incident in batch:
                sla.refresh(incident, now=now, cache=cache)
                incident.save(update_fields=sla.SLA_FIELDS)
        if not batch:
            return count
        count += len(batch)
        last_pk = batch[-1].pk
