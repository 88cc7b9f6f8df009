"""People on shift in the staffing grid are the assigner's (toolkit.shifts): own working hours and
absences hour by hour; the business calendar only for members with no hours of their own."""

from __future__ import annotations

from datetime import datetime, time

import pytest
import time_machine

from staffing import people
from staffing.selectors import group_load
from tests.factories import group, make_user
from toolkit.models import Absence, WorkingHours
from toolkit.routing import people_on_shift

pytestmark = pytest.mark.django_db


def test_the_grid_counts_who_the_assigner_would_find_at_work(db):
    cal = people.calendar()
    network = group("network")
    make_user("netops7", groups=["network"])  # no hours of their own: the calendar's
    early = make_user("netops8", groups=["network"])  # Mondays 06:00-08:00 only
    away = make_user("netops9", groups=["network"])  # absent on Monday 16 November 10:00-12:00
    WorkingHours.objects.create(user=early, weekday=0, starts=time(6), ends=time(8))
    monday = datetime(2026, 11, 16, tzinfo=cal.tz)
    Absence.objects.create(user=away, starts_at=monday.replace(hour=10), ends_at=monday.replace(hour=12))
    assert people.working(cal, 0, 10) and people.working(cal, 0, 12) and not people.working(cal, 0, 7)

    with time_machine.travel(datetime(2026, 11, 18, 12, 0, tzinfo=cal.tz), tick=False):
        on_shift = {(s.weekday, s.hour): s.on_shift for s in group_load(network).slots}
        at_ten = {u.username for u in people_on_shift(network, monday.replace(hour=10))}
        at_seven = {u.username for u in people_on_shift(network, monday.replace(hour=7))}

    # Monday 10:00: netops7 by the calendar; netops8 outside their hours; netops9 away.
    assert on_shift[(0, 10)] == 1
    assert at_ten == {"netops7"}
    # Monday 07:00: only netops8's own hours (the calendar is closed; the assigner has netops7 at any time).
    assert on_shift[(0, 7)] == 1
    assert at_seven == {"netops7", "netops8", "netops9"}
    # Monday 12:00: netops9 is back.
    assert on_shift[(0, 12)] == 2
