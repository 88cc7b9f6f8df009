"""``manage.py report_monthly YYYY-MM``: make a month's report now (a new snapshot)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reporting.periods import BadMonth, Month
from reporting.services import report_circulate, report_generate


class Command(BaseCommand):
    help = "Compute a month's report and store it as a new snapshot (optionally circulate it)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("month", help="YYYY-MM, in the organisation's time zone")
        parser.add_argument(
            "--circulate",
            action="store_true",
            help="Mail it to the subscribers who have not had this month yet.",
        )

    def handle(self, *args: Any, month: str, circulate: bool = False, **options: Any) -> None:
        try:
            m = Month.parse(month)
            report = report_generate(month=m)
        except (BadMonth, ValidationError) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
        assert report is not None
        data = report.data
        self.stdout.write(
            f"{m.label}: logged {data['logged']}, resolved {data['resolved']}, closed {data['closed']}, "
            f"backlog at end {data['backlog_end']} (snapshot {report.pk}, {report.code_version})"
        )
        if circulate:
            self.stdout.write(f"queued {report_circulate(report=report)} mail(s)")
