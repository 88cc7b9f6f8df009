"""Who is at work when: the one definition of a person's shift (issue 23 §2), for the assigner
(``routing.people_on_shift``) and the staffing grid (``staffing.people``).

A person is on shift at an instant when no absence covers it and it falls inside one of their working
hours (``WorkingHours``, in the organisation's time zone). Someone with no working hours set works at
any time for the assigner; ``in_hours`` says None for them, so that a caller planning a week may fall
back on the business calendar instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time

from django.utils import timezone

from .models import Absence, WorkingHours


@dataclass
class Shifts:
    hours: dict[int, dict[int, list[tuple[time, time]]]] = field(default_factory=dict)  # user, weekday
    away: dict[int, list[tuple[datetime, datetime]]] = field(default_factory=dict)

    def absent(self, user_id: int, at: datetime) -> bool:
        return any(starts <= at < ends for starts, ends in self.away.get(user_id, ()))

    def in_hours(self, user_id: int, at: datetime) -> bool | None:
        """Whether ``at`` is inside the person's working hours; None when they have none set."""
        week = self.hours.get(user_id)
        if week is None:
            return None
        local = timezone.localtime(at)
        now = local.time()
        return any(starts <= now < ends for starts, ends in week.get(local.weekday(), ()))

    def on_shift(self, user_id: int, at: datetime) -> bool:
        return not self.absent(user_id, at) and self.in_hours(user_id, at) is not False


def shifts_of(user_ids: Iterable[int], *, start: datetime, end: datetime) -> Shifts:
    """The working hours of these people and their absences overlapping [start, end]: two queries."""
    ids = list(user_ids)
    out = Shifts()
    for user_id, weekday, starts, ends in WorkingHours.objects.filter(user_id__in=ids).values_list(
        "user_id", "weekday", "starts", "ends"
    ):
        out.hours.setdefault(user_id, {}).setdefault(weekday, []).append((starts, ends))
    for user_id, starts_at, ends_at in Absence.objects.filter(
        user_id__in=ids, starts_at__lte=end, ends_at__gt=start
    ).values_list("user_id", "starts_at", "ends_at"):
        out.away.setdefault(user_id, []).append((starts_at, ends_at))
    return out
