"""Staffing against the load, for the managers: per support group, arrivals by hour of the week,
people on shift, where arrivals outrun them, the work in hand, and the forecast with its error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR

from escalation.access import Access
from escalation.choices import Role
from escalation.models import SupportGroup

from . import load, people

# New incidents an hour that one person on shift takes on; above it, arrivals outrun the people.
ARRIVALS_PER_PERSON_HOUR = 1.0
HISTORY_WEEKS = load.PERIOD_WEEKS * load.PERIODS + load.FORECAST_WEEKS


def can_view_staffing(access: Access) -> bool:
    return access.is_manager or Role.ADMINISTRATOR in access.roles


@dataclass(frozen=True)
class Slot:
    weekday: int
    hour: int
    arrivals: float  # mean per week over the window
    on_shift: int

    @property
    def shortfall(self) -> bool:
        return self.arrivals > self.on_shift * ARRIVALS_PER_PERSON_HOUR


@dataclass(frozen=True)
class GroupLoad:
    group: SupportGroup
    window_start: date
    window_end: date  # exclusive
    members: int
    work_in_hand: int
    time_worked: float | None
    slots: list[Slot]
    weeks: list[tuple[date, int]]  # past weeks and their arrivals
    forecast: list[tuple[date, float | None]]
    backtest: load.Backtest

    @property
    def shortfall_slots(self) -> list[Slot]:
        return [s for s in self.slots if s.shortfall]

    @property
    def rows(self) -> list[tuple[int, list[Slot]]]:
        """The grid by hour (rows) and weekday (columns)."""
        by = {(s.weekday, s.hour): s for s in self.slots}
        return [(h, [by[(d, h)] for d in range(7)]) for h in range(24)]

    @property
    def peak(self) -> Slot:
        return max(self.slots, key=lambda s: (s.arrivals, -s.weekday, -s.hour))


def group_loads(groups: list[SupportGroup], *, as_of: datetime | None = None) -> list[GroupLoad]:
    """The last ``load.WEEKS`` complete weeks before ``as_of`` (local weeks, Monday first), for
    every group at once: a handful of queries whatever the number of groups."""
    cal = people.calendar()
    tz = cal.tz
    as_of = as_of or timezone.now()
    this_week = load.week_start(as_of.astimezone(tz).date())
    window_start = this_week - timedelta(weeks=load.WEEKS)
    start = datetime.combine(window_start, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(this_week, datetime.min.time(), tzinfo=tz)
    ids = [g.pk for g in groups]
    arrivals = load.arrivals_by_hour(ids, start=start, end=end, tz=tz)
    first = this_week - timedelta(weeks=HISTORY_WEEKS)
    history = load.arrivals_by_week(ids, first_week=first, weeks=HISTORY_WEEKS, tz=tz)
    in_hand = load.work_in_hand(ids)
    members = people.members(ids)
    out = []
    for group in groups:
        shift = people.on_shift_by_hour(
            group.pk, members[group.pk], start=end, end=end + timedelta(weeks=1), cal=cal
        )
        slots = [
            Slot(d, h, arrivals[group.pk].get((d, h), 0) / load.WEEKS, shift[(d, h)])
            for d in range(7)
            for h in range(24)
        ]
        weekly = history[group.pk]
        out.append(
            GroupLoad(
                group=group,
                window_start=window_start,
                window_end=this_week,
                members=len(members[group.pk]),
                work_in_hand=in_hand[group.pk],
                time_worked=people.time_worked(group_id=group.pk, start=start, end=end),
                slots=slots,
                weeks=[(first + timedelta(weeks=i), n) for i, n in enumerate(weekly)],
                forecast=[
                    (this_week + timedelta(weeks=i), v) for i, v in enumerate(load.seasonal_forecast(weekly))
                ],
                backtest=load.backtest(weekly),
            )
        )
    return out


def group_load(group: SupportGroup, *, as_of: datetime | None = None) -> GroupLoad:
    [one] = group_loads([group], as_of=as_of)
    return one


def groups() -> list[SupportGroup]:
    return list(SupportGroup.objects.filter(is_active=True, kind=SupportGroup.Kind.SUPPORT))


def overview(*, access: Access, as_of: datetime | None = None) -> list[GroupLoad]:
    if not can_view_staffing(access):
        return []
    return group_loads(groups(), as_of=as_of)


# The dashboard's copy: the dashboard serves stored figures between refreshes (no scan of the
# incidents on every view), and staffing moves by the hour, not the minute.
# The beat's dashboard refresh (every 5 minutes) rewrites it; it lasts two refreshes.
DASHBOARD_CACHE_KEY = "staffing:dashboard"
DASHBOARD_CACHE_SECONDS = 600


def dashboard_refresh() -> list[GroupLoad]:
    loads = group_loads(groups())
    cache.set(DASHBOARD_CACHE_KEY, loads, DASHBOARD_CACHE_SECONDS)
    return loads


def overview_for_dashboard(*, access: Access) -> list[GroupLoad]:
    if not can_view_staffing(access):
        return []
    loads: list[GroupLoad] | None = cache.get(DASHBOARD_CACHE_KEY)
    return loads if loads is not None else dashboard_refresh()


def staffing_group_get(*, access: Access, slug: str) -> SupportGroup | None:
    if not can_view_staffing(access):
        return None
    return SupportGroup.objects.filter(slug=slug, is_active=True, kind=SupportGroup.Kind.SUPPORT).first()


def weekday_names() -> list[Any]:
    return [WEEKDAYS_ABBR[d] for d in range(7)]
