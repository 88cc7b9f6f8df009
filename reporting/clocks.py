"""Per-incident times to respond and to resolve, as the SLA module's clocks count them.

Business time uses the incident's SLA calendar (``escalation.policies.targets_for``, which
``incidents.sla.targets`` reads) and the working periods of ``escalation.business_time``, exactly
as ``incidents.sla.resume`` counts paused time, and subtracts ``sla_paused_seconds`` (business
seconds on hold awaiting the caller). The resolution clock is the SLA clock of the incident's last
cycle: it starts at ``sla_started_at`` (creation, or the last reopen). The response clock starts
at creation. Wall-clock times are the plain differences (response from creation, resolution from
creation).

A month has up to 100,000 incidents or more: ``business_time.between`` walks the calendar day by
day for every pair, so a month cost over a minute. ``Ledger`` walks each calendar once over the
whole span of the batch, with the same ``working_periods``, and keeps the running total of
business time at the start of every period: the business time between two instants is then the
difference of two look-ups (a bisection each). Nothing is stored: the report reads the incidents
and aggregates the values (``reporting.metrics.times``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q

from escalation import business_time as bt
from escalation.policies import targets_for
from incidents.selectors import incidents_for_totals

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WINDOW = timedelta(days=365)  # under business_time.MAX_DAYS: one call never hits its horizon
FIELDS = (
    "priority",
    "sla_policy_slug",
    "created_at",
    "responded_at",
    "resolved_at",
    "sla_started_at",
    "sla_paused_seconds",
)


_HORIZON = (bt.MAX_DAYS - 2) * 86_400 * 1_000_000


def _moment(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _us(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class Ledger:
    """Business time of one calendar between any two instants of [``lo``, ``hi``] (epoch microseconds)."""

    def __init__(self, cal: bt.Calendar, lo: int, hi: int) -> None:
        self.cal = cal
        self.lo, self.hi = lo, hi
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.before: list[int] = []  # business microseconds before each period
        if cal.is_24x7:
            return
        total = 0
        window, last = _moment(lo), _moment(hi)
        while window < last:
            stop = min(window + _WINDOW, last)
            for a, b in bt.working_periods(cal, window, stop):
                a_us, b_us = _us(a), _us(b)
                self.starts.append(a_us)
                self.ends.append(b_us)
                self.before.append(total)
                total += b_us - a_us
            window = stop

    def _upto(self, t: int) -> int:
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        return self.before[i] + min(t, self.ends[i]) - self.starts[i]

    def between(self, start: int, end: int) -> float:
        """``business_time.between(cal, start, end)`` in seconds, for instants within the ledger's span."""
        if end <= start:
            return 0.0
        if self.cal.is_24x7:
            return (end - start) / 1_000_000
        if start < self.lo or end > self.hi:
            raise ValueError("outside the ledger's span")
        if end - start > _HORIZON:  # between() stops counting at its search horizon: so do we
            return bt.between(self.cal, _moment(start), _moment(end))
        return (self._upto(end) - self._upto(start)) / 1_000_000


@dataclass
class Times:
    """Seconds to respond (incidents responded to in the period) and to resolve (resolved in it)."""

    respond_wall: list[int] = field(default_factory=list)
    respond_business: list[int] = field(default_factory=list)
    resolve_wall: list[int] = field(default_factory=list)
    resolve_business: list[int] = field(default_factory=list)


def times_of(rows: Iterable[tuple[Any, ...]], start: datetime, end: datetime) -> Times:
    """The clocks of rows of ``FIELDS``, with one ledger per calendar over the rows' whole span."""
    cache: dict[Any, Any] = {}
    calendars: dict[int, bt.Calendar] = {}
    spans: dict[int, tuple[int, int]] = {}
    items = []
    for priority, slug, created, responded, resolved, started, paused in rows:
        cal = targets_for(priority=priority, policy_slug=slug, cache=cache).calendar
        key = id(cal)
        calendars[key] = cal
        c = _us(created)
        r = _us(responded) if responded is not None else None
        v = _us(resolved) if resolved is not None else None
        s = _us(started) if started is not None else c
        moments = [m for m in (c, r, v, s) if m is not None]
        lo, hi = spans.get(key, (c, c))
        spans[key] = (min(lo, *moments), max(hi, *moments))
        items.append((key, c, r, v, s, paused))
    ledgers = {key: Ledger(calendars[key], lo, hi) for key, (lo, hi) in spans.items()}
    a, b = _us(start), _us(end)
    out = Times()
    for key, c, r, v, s, paused in items:
        ledger = ledgers[key]
        if r is not None and a <= r < b:
            out.respond_wall.append(max(0, int((r - c) / 1_000_000)))
            out.respond_business.append(int(ledger.between(c, r)))
        if v is not None and a <= v < b:
            out.resolve_wall.append(max(0, int((v - c) / 1_000_000)))
            out.resolve_business.append(max(0, int(ledger.between(s, v)) - paused))
    return out


def times_for_period(start: datetime, end: datetime) -> Times:
    """The clocks of the incidents responded to or resolved in [start, end)."""
    rows = (
        incidents_for_totals()
        .filter(
            Q(responded_at__gte=start, responded_at__lt=end) | Q(resolved_at__gte=start, resolved_at__lt=end)
        )
        .values_list(*FIELDS)
    )
    return times_of(rows.iterator(chunk_size=5000), start, end)
