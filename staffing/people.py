"""Who can work a group's incidents, hour by hour: the group's members on shift, by the assigner's own
definition (``toolkit.shifts``: not absent, inside their own working hours), so that the grid and
automatic assignment agree on who is at work. A member with no working hours of their own is counted in
the business calendar's hours (the assigner treats them as working at any time: for planning a week,
the organisation's hours are the honest guess).

Per-person absences and time worked are recorded by the agent's toolkit (toolkit/: the absence
calendar in the admin, time worked on the incident page); where nobody records time, ``time_worked``
is None and the pages say that time worked is not recorded.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from escalation import business_time as bt
from escalation.models import Membership
from escalation.policies import calendar_default
from toolkit.selectors import minutes_worked
from toolkit.shifts import shifts_of


def time_worked(*, group_id: int, start: datetime, end: datetime) -> float | None:
    """Hours the group's members recorded on incidents in [start, end), or None where nobody records."""
    minutes = minutes_worked(group_id=group_id, start=start, end=end)
    return None if minutes is None else minutes / 60


def members(group_ids: list[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {g: set() for g in group_ids}
    for group_id, user_id in Membership.objects.filter(
        group_id__in=group_ids, user__is_active=True
    ).values_list("group_id", "user_id"):
        out[group_id].add(user_id)
    return out


def calendar() -> bt.Calendar:
    """The business calendar whose working hours the support groups keep (the default policy's)."""
    return calendar_default()


def working(cal: bt.Calendar, weekday: int, hour: int) -> bool:
    """Whether the calendar works during that hour of the week (weekday 0 = Monday, local time)."""
    if cal.is_24x7:
        return True
    start, end = hour * 60, hour * 60 + 60
    return any(a < end and b > start for a, b in cal.hours.get(weekday, ()))


def on_shift_by_hour(
    group_id: int, group_members: set[int], *, start: datetime, end: datetime, cal: bt.Calendar
) -> dict[tuple[int, int], int]:
    """People on shift at the start of each (weekday, hour) of the week beginning at ``start`` (a local
    Monday 00:00): members not absent then, inside their own working hours (or the calendar's)."""
    shifts = shifts_of(group_members, start=start, end=end)
    day0 = start.astimezone(cal.tz).date()
    out: dict[tuple[int, int], int] = {}
    for d in range(7):
        for h in range(24):
            at = datetime.combine(day0 + timedelta(days=d), time(h), tzinfo=cal.tz)
            calendar_hour = working(cal, d, h)
            out[(d, h)] = sum(
                1
                for user_id in group_members
                if not shifts.absent(user_id, at)
                and (own if (own := shifts.in_hours(user_id, at)) is not None else calendar_hour)
            )
    return out
