"""Permission-checked reads: who may see reports, the archive, the live dashboard and drill-down links."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from core.replica import replica_reads
from escalation import business_time as bt
from escalation.access import Access
from escalation.choices import Role
from escalation.policies import calendar_default
from incidents.models import OPEN_STATUSES, Incident, SlaState
from incidents.selectors import incidents_for_totals, incidents_not_visible_count, incidents_visible_to

from . import metrics
from .models import DashboardSnapshot, MonthlyReport, ReviewAction, ReviewNote
from .periods import Month

ABOUT_TO_BREACH_SECONDS = 4 * 3600  # business time
LIST_LIMIT = 25
AGEING = [("under_1_day", 0, 1), ("days_1_3", 1, 3), ("days_3_7", 3, 7), ("over_7_days", 7, None)]


def can_view_reports(access: Access) -> bool:
    """Managers, incident managers and administrators."""
    return access.is_manager or Role.ADMINISTRATOR in access.roles


def check_can_view(access: Access) -> None:
    if not can_view_reports(access):
        raise PermissionDenied(gettext("Reports are for managers, incident managers and administrators."))


def latest_reports() -> list[MonthlyReport]:
    """The newest snapshot of every month, newest month first."""
    seen: set[Any] = set()
    out = []
    for report in MonthlyReport.objects.defer("data").order_by("-month", "-created_at", "-id"):
        if report.month not in seen:
            seen.add(report.month)
            out.append(report)
    return out


def report_latest(month: Month) -> MonthlyReport | None:
    return MonthlyReport.objects.filter(month=month.first_day).first()


def month_reviews(month: Month) -> dict[str, Any]:
    return {
        "notes": list(ReviewNote.objects.filter(month=month.first_day).select_related("author")),
        "actions": list(ReviewAction.objects.filter(month=month.first_day).select_related("owner")),
    }


# --- drill-down links to the queue ----------------------------------------------------------------

QUEUE_PATH = "/incidents/"


def _day(d: Any) -> str:
    return d.isoformat()


def drill_params(month: Month, population: str, **extra: Any) -> dict[str, Any]:
    """Queue filters that select exactly a figure's incidents (``incidents.filters.IncidentFilter``)."""
    first, last = _day(month.first_day), _day(month.last_day)
    params: dict[str, Any] = {"queue": "all"}
    if population == "logged":
        params.update(created_after=first, created_before=last)
    elif population == "resolved":
        params.update(resolved_after=first, resolved_before=last)
    elif population == "closed":
        params.update(closed_after=first, closed_before=last)
    elif population == "backlog_end":
        params.update(backlog_on=last)
    elif population == "first_contact":
        params.update(resolved_after=first, resolved_before=last, first_contact="yes")
    elif population == "reopened":
        params.update(resolved_after=first, resolved_before=last, reopened="yes")
    params.update({k: v for k, v in extra.items() if v is not None})
    return params


def drill_url(month: Month, population: str, **extra: Any) -> str:
    return f"{QUEUE_PATH}?{urlencode(drill_params(month, population, **extra))}"


DIMENSION_PARAM = {
    "priority": "priority",
    "category": "category",
    "channel": "channel",
    "group": "group",
    "tier": "tier",
}


# --- the live dashboard ---------------------------------------------------------------------------


FIGURES_MAX_AGE = timedelta(minutes=15)  # beat refreshes every 5 minutes (dashboard_refresh_task)


def dashboard(*, access: Access, now: datetime | None = None) -> dict[str, Any]:
    """The dashboard: month-to-date figures from the stored snapshot when it is fresh (computed here
    otherwise, with ``computed`` set so that the caller stores them), the breached and
    about-to-breach lists live, as the person (``access``) may see them; read from the replica if
    there is one."""
    now = now or timezone.now()
    month = Month.of(timezone.localdate(now, timezone.get_default_timezone()))
    with replica_reads():
        snapshot = DashboardSnapshot.objects.filter(key=DashboardSnapshot.CURRENT).first()
        computed = snapshot is None or not snapshot.is_fresh(
            month=str(month), now=now, max_age=FIGURES_MAX_AGE
        )
        if computed:
            figures, as_of = dashboard_figures(now=now), now
        else:
            assert snapshot is not None
            figures, as_of = snapshot.data, snapshot.computed_at
        lists = dashboard_lists(access=access, now=now)
    mtd = figures["mtd"]
    return {
        "now": now,
        "as_of": as_of,
        "computed": computed,
        "figures": figures,
        "month": month,
        "mtd": mtd,
        "targets": targets(),
        **lists,
        "by_group": figures["by_group"],
        "backlog": figures["backlog"],
        "trend": trend(month, mtd),
    }


def dashboard_figures(*, now: datetime) -> dict[str, Any]:
    """The month-to-date figures: scans of the month's incidents and of the open ones."""
    month = Month.of(timezone.localdate(now, timezone.get_default_timezone()))
    start = month.start
    qs = incidents_for_totals()
    mtd: dict[str, Any] = {}
    mtd.update(metrics.counts(qs, start, now))
    mtd.update(metrics.sla(qs, start, now))
    mtd.update(metrics.escalation(qs, start, now))
    open_qs = qs.filter(status__in=OPEN_STATUSES)
    by_group = list(
        qs.filter(resolved_at__gte=start, resolved_at__lt=now)
        .values(slug=F("assignment_group__slug"), name=F("assignment_group__name"))
        .annotate(
            resolved=Count("pk"),
            met=Count("pk", filter=Q(resolved_at__lte=F("resolution_due_at"))),
            total=Count("pk", filter=Q(resolution_due_at__isnull=False)),
        )
        .order_by("name")
    )
    for row in by_group:
        row["rate"] = round(row["met"] / row["total"], 4) if row["total"] else None
    ageing_counts = {
        name: Count(
            "pk",
            filter=Q(created_at__lte=now - timedelta(days=lo))
            & (Q(created_at__gt=now - timedelta(days=hi)) if hi is not None else Q()),
        )
        for name, lo, hi in AGEING
    }
    backlog = list(
        open_qs.values(
            tier=F("assignment_group__tier"),
            slug=F("assignment_group__slug"),
            name=F("assignment_group__name"),
        )
        .annotate(total=Count("pk"), **ageing_counts)
        .order_by("tier", "name")
    )
    return {"month": str(month), "mtd": mtd, "by_group": by_group, "backlog": backlog}


def dashboard_lists(*, access: Access, now: datetime) -> dict[str, Any]:
    """Breached and about to breach, live, as the person may see them: index look-ups
    (``inc_sla_state_status``, ``inc_open_resolution_due``), at most ``LIST_LIMIT`` each. The
    figures count every incident (the aggregate rule); so the lists say how many they leave out."""
    breached = Q(status__in=OPEN_STATUSES, sla_state=SlaState.BREACHED)
    horizon = bt.add(calendar_default(), now, ABOUT_TO_BREACH_SECONDS)
    at_risk = Q(
        status__in=["new", "assigned", "in_progress"],
        resolution_due_at__gt=now,
        resolution_due_at__lte=horizon,
    ) & ~Q(sla_state=SlaState.BREACHED)
    visible = (
        incidents_visible_to(access).select_related("assignment_group").order_by("resolution_due_at", "id")
    )
    return {
        "breached": list(visible.filter(breached)[:LIST_LIMIT]),
        "at_risk": list(visible.filter(at_risk)[:LIST_LIMIT]),
        "breached_not_listed": incidents_not_visible_count(access, breached, limit=LIST_LIMIT),
        "at_risk_not_listed": incidents_not_visible_count(access, at_risk, limit=LIST_LIMIT),
    }


def month_incidents(*, access: Access, month: Month) -> QuerySet[Incident]:
    """The incidents logged in the month that the person may see (the month's incident export)."""
    return (
        incidents_visible_to(access)
        .select_related(None)
        .filter(created_at__gte=month.start, created_at__lt=month.end)
        .order_by("created_at", "id")
    )


def month_tagged(*, access: Access, month: Month, tag: str) -> dict[str, int]:
    """The month's four populations (``metrics.populations``) among the incidents with the tag
    ``tag`` (as stored) that the person may see: one aggregate query. Unlike the report's figures,
    which count every incident, these are live and counted only over what the reader may open, so
    that narrowing by a tag tells nothing of the incidents hidden from them."""
    pops = metrics.populations(month.start, month.end)
    tagged = incidents_visible_to(access).select_related(None).filter(tag_links__tag__name=tag)
    found = tagged.aggregate(**{name: Count("pk", filter=q) for name, q in pops.items()})
    return {name: int(found[name] or 0) for name in pops}


def month_incidents_not_listed(*, access: Access, month: Month) -> int:
    """How many of the month's incidents, counted in its figures, the person's export leaves out."""
    return incidents_not_visible_count(access, Q(created_at__gte=month.start, created_at__lt=month.end))


def targets() -> dict[str, float]:
    return dict(getattr(settings, "REPORTING_TARGETS", {}))


def trend(month: Month, mtd: dict[str, Any]) -> list[dict[str, Any]]:
    """The last 12 months from their snapshots, then this month to date."""
    months = []
    m = month
    for _ in range(11):
        m = m.previous()
        months.append(m)
    months.reverse()
    snapshots = {
        r.month: r
        for r in MonthlyReport.objects.filter(month__in=[x.first_day for x in months]).order_by(
            "month", "created_at"
        )
    }  # the newest per month wins: later rows overwrite earlier ones
    rows = []
    for x in months:
        data = snapshots[x.first_day].data if x.first_day in snapshots else None
        rows.append(_trend_row(x, data))
    rows.append(_trend_row(month, mtd, partial=True))
    return rows


def _trend_row(month: Month, data: dict[str, Any] | None, *, partial: bool = False) -> dict[str, Any]:
    get = (data or {}).get
    return {
        "month": str(month),
        "label": month.first_day.strftime("%b %Y") + (" (to date)" if partial else ""),
        "logged": get("logged"),
        "resolved": get("resolved"),
        "sla_resolution_compliance": get("sla_resolution_compliance"),
        "first_contact_resolution_rate": get("first_contact_resolution_rate"),
        "has_report": data is not None and not partial,
    }
