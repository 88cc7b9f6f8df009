"""Business-time arithmetic: the one place that knows working hours, holidays and time zones.

A ``Calendar`` is a plain value (no database): ``escalation.calendars`` builds one from the
``BusinessCalendar`` tables. Every instant taken or returned is timezone-aware.

A working period runs from the instant the local wall clock first shows its start to the
instant it first shows its end, so a period that spans a DST change is one hour shorter or
longer in real time. Bounds that fall inside the skipped or repeated hour of a DST change are
not supported (nobody starts work at 01:30 on the night the clocks go back).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A search horizon: a calendar with no working time left within it is a configuration error.
MAX_DAYS = 3 * 366

Period = tuple[int, int]  # minutes since local midnight, end exclusive, 1440 = midnight


@dataclass(frozen=True)
class Calendar:
    time_zone: str = "UTC"
    is_24x7: bool = False
    # weekday (Monday 0) → working periods in local minutes
    hours: Mapping[int, tuple[Period, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


TWENTY_FOUR_SEVEN = Calendar(is_24x7=True)


def minutes(t: time, *, end: bool = False) -> int:
    """A wall time as minutes since midnight; an end of 00:00 means the end of the day."""
    m = t.hour * 60 + t.minute
    return 1440 if end and m == 0 else m


def _local(day: date, minute: int, tz: ZoneInfo) -> datetime:
    if minute >= 1440:
        day, minute = day + timedelta(days=1), minute - 1440
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz).astimezone(UTC)


def working_periods(
    cal: Calendar, start: datetime, end: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """Working periods (UTC) that end after ``start``, in order, clipped to [start, end)."""
    tz = cal.tz
    start = start.astimezone(UTC)
    end = end.astimezone(UTC) if end is not None else None
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = day + timedelta(days=MAX_DAYS)
    if end is not None:
        last = min(last, end.astimezone(tz).date() + timedelta(days=1))
    while day <= last:
        if day not in cal.holidays:
            for first, stop in cal.hours.get(day.weekday(), ()):
                a, b = max(_local(day, first, tz), start), _local(day, stop, tz)
                if end is not None:
                    b = min(b, end)
                if b > a:
                    yield a, b
        day += timedelta(days=1)


def add(cal: Calendar, start: datetime, seconds: float) -> datetime:
    """The instant at which ``seconds`` of business time have passed since ``start``."""
    # Python subtracts and adds aware datetimes of one zone in wall-clock time: work in UTC.
    start = start.astimezone(UTC)
    if seconds <= 0:
        return start
    if cal.is_24x7:
        return start + timedelta(seconds=seconds)
    left = timedelta(seconds=seconds)
    for a, b in working_periods(cal, start):
        if left <= b - a:
            return a + left
        left -= b - a
    raise ValueError(f"the calendar has no working time within {MAX_DAYS} days of {start:%Y-%m-%d}")


def between(cal: Calendar, start: datetime, end: datetime) -> float:
    """Business seconds in [start, end); 0 when end is not after start."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    if cal.is_24x7:
        return (end - start).total_seconds()
    return sum((b - a).total_seconds() for a, b in working_periods(cal, start, end))


def subtract_days(cal: Calendar, moment: datetime, days: int) -> datetime:
    """``moment`` moved back by ``days`` working days (days with working time, holidays skipped)."""
    tz = cal.tz
    local = moment.astimezone(tz)
    day = local.date()
    left = days
    while left > 0:
        day -= timedelta(days=1)
        if cal.is_24x7 or (day not in cal.holidays and cal.hours.get(day.weekday())):
            left -= 1
        if (local.date() - day).days > MAX_DAYS:
            raise ValueError("the calendar has no working days")
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
