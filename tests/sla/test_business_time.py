"""business_time against a brute-force reference that walks the clock one minute at a time."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from escalation import business_time as bt

LONDON = "Europe/London"
OFFICE = bt.Calendar(
    time_zone=LONDON,
    hours=dict.fromkeys(range(5), ((8 * 60, 18 * 60),)),
    holidays=frozenset({date(2026, 4, 3), date(2026, 4, 6), date(2026, 12, 25)}),
)


def is_working_minute(cal: bt.Calendar, utc_minute: datetime) -> bool:
    if cal.is_24x7:
        return True
    local = utc_minute.astimezone(ZoneInfo(cal.time_zone))
    if local.date() in cal.holidays:
        return False
    m = local.hour * 60 + local.minute
    return any(a <= m < b for a, b in cal.hours.get(local.weekday(), ()))


def reference_add(
    cal: bt.Calendar, start: datetime, target_minutes: int, horizon_minutes: int
) -> datetime | None:
    moment, counted = start.astimezone(UTC), 0
    if target_minutes == 0:
        return start
    for _ in range(horizon_minutes):
        if is_working_minute(cal, moment):
            counted += 1
            if counted == target_minutes:
                return moment + timedelta(minutes=1)
        moment += timedelta(minutes=1)
    return None


def reference_between(cal: bt.Calendar, start: datetime, end: datetime) -> int:
    moment, counted = start.astimezone(UTC), 0
    while moment < end:
        counted += is_working_minute(cal, moment)
        moment += timedelta(minutes=1)
    return counted * 60


# Period bounds on quarter hours, none strictly inside the hours when clocks change (01:00-03:00).
bounds = st.sampled_from([m for m in range(0, 1441, 15) if not 60 < m < 180])


@st.composite
def periods(draw) -> tuple[tuple[int, int], ...]:
    cuts = sorted(set(draw(st.lists(bounds, min_size=0, max_size=4))))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    return tuple((cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2))


around_dst = st.sampled_from([date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 8), date(2026, 11, 1)])


@st.composite
def calendars(draw) -> bt.Calendar:
    if draw(st.integers(0, 9)) == 0:
        return bt.Calendar(time_zone=draw(st.sampled_from([LONDON, "UTC"])), is_24x7=True)
    hours = {d: draw(periods()) for d in range(7)}
    anchor = draw(around_dst)
    near = st.integers(-6, 8).map(lambda n: anchor + timedelta(days=n))
    holidays = frozenset(draw(st.lists(near, max_size=3)))
    return bt.Calendar(
        time_zone=draw(st.sampled_from([LONDON, LONDON, "America/New_York", "UTC"])),
        hours=hours,
        holidays=holidays,
    )


@st.composite
def instants(draw) -> datetime:
    anchor = draw(around_dst)
    offset = draw(st.integers(-5 * 1440, 3 * 1440))
    moment = datetime.combine(anchor, time(0), tzinfo=UTC) + timedelta(minutes=offset)
    # Callers pass local times too: the arithmetic must not be fooled by wall-clock subtraction.
    return moment.astimezone(ZoneInfo(draw(st.sampled_from(["UTC", LONDON, "America/New_York"]))))


def weekly_minutes(cal: bt.Calendar) -> int:
    return sum(b - a for ps in cal.hours.values() for a, b in ps)


# CI replays a fixed sequence so that a landing is never decided by the draw; people running
# the suite locally explore new examples every time.
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)


@SETTINGS
@given(cal=calendars(), start=instants(), target=st.integers(0, 8 * 60))
def test_add_matches_minute_by_minute_reference(cal, start, target):
    assume(cal.is_24x7 or weekly_minutes(cal) >= 240)
    expected = reference_add(cal, start, target, horizon_minutes=6 * 7 * 1440)
    assume(expected is not None)
    # Compare instants: Python never calls an ambiguous local time (the repeated hour of
    # October) equal to a time in another zone, even when they are the same instant.
    assert bt.add(cal, start, target * 60).timestamp() == expected.timestamp()


@SETTINGS
@given(cal=calendars(), start=instants(), length=st.integers(0, 6 * 1440))
def test_between_matches_minute_by_minute_reference(cal, start, length):
    end = start + timedelta(minutes=length)
    assert bt.between(cal, start, end) == reference_between(cal, start, end)


@SETTINGS
@given(cal=calendars(), start=instants(), target=st.integers(1, 8 * 60))
def test_between_undoes_add(cal, start, target):
    assume(cal.is_24x7 or weekly_minutes(cal) >= 240)
    due = bt.add(cal, start, target * 60)
    assert bt.between(cal, start, due) == target * 60


@SETTINGS
@given(cal=calendars(), start=instants(), first=st.integers(0, 600), second=st.integers(0, 600))
def test_a_pause_free_clock_adds_up(cal, start, first, second):
    """Adding in two steps lands where adding at once does: what a paused clock relies on."""
    assume(cal.is_24x7 or weekly_minutes(cal) >= 240)
    in_two_steps = bt.add(cal, bt.add(cal, start, first * 60), second * 60)
    if second:
        assert in_two_steps.timestamp() == bt.add(cal, start, (first + second) * 60).timestamp()


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(LONDON))


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        # Friday 17:30 + 1 h → Monday 08:30 (weekend skipped)
        (london(2026, 3, 20, 17, 30), 60, london(2026, 3, 23, 8, 30)),
        # Saturday → Monday 08:00 + target
        (london(2026, 3, 28, 10, 0), 30, london(2026, 3, 30, 8, 30)),
        # Thursday before Easter 17:00 + 2 h → Tuesday 09:00 (Good Friday, weekend, Easter Monday)
        (london(2026, 4, 2, 17, 0), 120, london(2026, 4, 7, 9, 0)),
        # across the clocks going back: Friday 17:00 + 2 h → Monday 09:00 local, GMT now
        (london(2026, 10, 23, 17, 0), 120, london(2026, 10, 26, 9, 0)),
    ],
)
def test_office_hours_examples(start, minutes, due):
    assert bt.add(OFFICE, start, minutes * 60) == due


def test_24x7_counts_real_elapsed_time_across_dst():
    cal = bt.Calendar(time_zone=LONDON, is_24x7=True)
    start = london(2026, 3, 29, 0, 30)
    assert bt.add(cal, start, 3600 * 2) == london(2026, 3, 29, 3, 30)  # 00:30 GMT + 2 h = 03:30 BST


def test_a_working_day_is_an_hour_longer_when_the_clocks_go_back():
    cal = bt.Calendar(time_zone=LONDON, hours={6: ((0, 1440),)})
    assert bt.between(cal, london(2026, 10, 24, 12), london(2026, 10, 27, 12)) == 25 * 3600


def test_subtract_days_skips_weekends_and_holidays():
    assert bt.subtract_days(OFFICE, london(2026, 4, 7, 10), 3) == london(2026, 3, 31, 10)


def test_a_calendar_without_working_hours_is_refused():
    with pytest.raises(ValueError):
        bt.add(bt.Calendar(time_zone=LONDON), london(2026, 1, 1), 60)
