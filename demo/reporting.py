"""Demo data for reporting: a snapshot of every past month of the demo history, and a review."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents.models import Incident
from reporting.models import MonthlyReport, ReviewAction, ReviewNote
from reporting.periods import Month
from reporting.services import report_generate


def load_demo() -> int:
    """One automatic snapshot per complete month since the first demo incident. Returns how many."""
    first = Incident.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return 0
    month = Month.of(timezone.localdate(first))
    current = Month.current()
    made = 0
    last = None
    while month != current:
        report = report_generate(month=month, automatic=True)
        made += report is not None
        last = month
        month = month.next()
    User = get_user_model()
    manager = User.objects.filter(username="manager").first()
    owner = User.objects.filter(username="incidentmgr").first()
    if last is not None and manager and owner and not ReviewNote.objects.exists():
        ReviewNote.objects.create(
            month=last.first_day,
            author=manager,
            body="Resolution SLA for P3 slipped while the network team was short-staffed. "
            "Tier 1 first-contact resolution is steady.",
        )
        ReviewAction.objects.create(
            month=last.first_day,
            title="Publish a knowledge article for the VPN reconnect fault",
            owner=owner,
            due_date=timezone.localdate() + timedelta(days=14),
            created_by=manager,
        )
    return made if MonthlyReport.objects.exists() else 0
