"""The load on a group, counted in SQL: arrivals per hour of the week over the last weeks, arrivals
per week, the work in hand; and a seasonal forecast of the coming weeks with its error on past ones.

Arrivals are the incidents logged into the group (its assignment group now) -- counts only, under
the aggregate rule (``incidents.selectors.incidents_for_totals``): no incident is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone

from incidents.models import OPEN_STATUSES
from incidents.selectors import incidents_for_totals

WEEKS = 8
FORECAST_WEEKS = 4
# The season: a week is forecast from the same week of the previous periods of four weeks.
PERIOD_WEEKS = 4
PERIODS = 2


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def arrivals_by_hour(
    group_ids: list[int], *, start: datetime, end: datetime, tz: ZoneInfo
) -> dict[int, dict[tuple[int, int], int]]:
    """Per group, incidents logged into it in [start, end) by (weekday 0 = Monday, hour), local
    time: one query for every group."""
    rows = (
        incidents_for_totals()
        .filter(assignment_group_id__in=group_ids, created_at__gte=start, created_at__lt=end)
        .annotate(
            weekday=ExtractIsoWeekDay("created_at", tzinfo=tz), hour=ExtractHour("created_at", tzinfo=tz)
        )
        .values("assignment_group_id", "weekday", "hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    out: dict[int, dict[tuple[int, int], int]] = {g: {} for g in group_ids}
    for r in rows:
        out[r["assignment_group_id"]][(r["weekday"] - 1, r["hour"])] = r["n"]
    return out


def arrivals_by_week(
    group_ids: list[int], *, first_week: date, weeks: int, tz: ZoneInfo
) -> dict[int, list[int]]:
    """Per group, incidents logged into it in each week (Monday to Sunday, local) from ``first_week``."""
    start = datetime.combine(first_week, datetime.min.time(), tzinfo=tz)
    end = start + timedelta(weeks=weeks)
    rows = (
        incidents_for_totals()
        .filter(assignment_group_id__in=group_ids, created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("assignment_group_id", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    out = {g: [0] * weeks for g in group_ids}
    for r in rows:
        out[r["assignment_group_id"]][(r["day"] - first_week).days // 7] += r["n"]
    return out


def work_in_hand(group_ids: list[int]) -> dict[int, int]:
    rows = (
        incidents_for_totals()
        .filter(assignment_group_id__in=group_ids, status__in=OPEN_STATUSES)
        .values("assignment_group_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    out = dict.fromkeys(group_ids, 0)
    out.update({r["assignment_group_id"]: r["n"] for r in rows})
    return out


def seasonal_forecast(history: list[int], *, weeks: int = FORECAST_WEEKS) -> list[float | None]:
    """Each coming week: the mean of the same week in the previous ``PERIODS`` periods of
    ``PERIOD_WEEKS`` weeks (those the history reaches); None without any."""
    out: list[float | None] = []
    series: list[float] = [float(n) for n in history]
    for _ in range(weeks):
        t = len(series)
        same = [series[t - PERIOD_WEEKS * k] for k in range(1, PERIODS + 1) if t - PERIOD_WEEKS * k >= 0]
        value = sum(same) / len(same) if same else None
        out.append(value)
        series.append(value if value is not None else 0.0)
    return out


@dataclass(frozen=True)
class Backtest:
    """The forecast's error on past weeks: each forecast from the weeks before it only."""

    weeks: int
    mean_absolute_error: float | None
    mean_absolute_percent: float | None


def backtest(history: list[int], *, weeks: int = FORECAST_WEEKS) -> Backtest:
    errors, percents = [], []
    for t in range(max(len(history) - weeks, 0), len(history)):
        [predicted] = seasonal_forecast(history[:t], weeks=1)
        if predicted is None:
            continue
        errors.append(abs(predicted - history[t]))
        if history[t]:
            percents.append(abs(predicted - history[t]) / history[t] * 100)
    return Backtest(
        weeks=len(errors),
        mean_absolute_error=sum(errors) / len(errors) if errors else None,
        mean_absolute_percent=sum(percents) / len(percents) if percents else None,
    )


def as_of_default() -> datetime:
    return timezone.now()
