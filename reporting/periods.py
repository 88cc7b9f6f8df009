"""Calendar months in the organisation's time zone (``settings.TIME_ZONE``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class BadMonth(ValueError):
    """A month that is not YYYY-MM, or is out of range."""


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, value: str) -> Month:
        match = MONTH_RE.match(value or "")
        if not match:
            raise BadMonth(f"{value!r} is not a month: write it as YYYY-MM, e.g. 2026-10.")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < 2000:
            raise BadMonth(f"{value!r} is not a month: the month is 01 to 12 and the year 2000 or later.")
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def current(cls) -> Month:
        return cls.of(timezone.localdate(timezone=timezone.get_default_timezone()))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def start(self) -> datetime:
        """Midnight of the 1st in the organisation's zone (whoever reads it in whatever zone), aware."""
        return timezone.make_aware(
            datetime.combine(self.first_day, time.min), timezone.get_default_timezone()
        )

    @property
    def end(self) -> datetime:
        """Local midnight of the next month's 1st (exclusive)."""
        return self.next().start

    @property
    def label(self) -> str:
        return self.first_day.strftime("%B %Y")

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def year_before(self) -> Month:
        return Month(self.year - 1, self.month)

    def is_future(self) -> bool:
        return self.start > timezone.now()

    def is_complete(self) -> bool:
        return self.end <= timezone.now()
