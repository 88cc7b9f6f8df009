"""Every write of the reporting app: snapshots, circulation records, review notes and actions."""

from __future__ import annotations

import functools
import subprocess
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from core.queueing import enqueue_on_commit
from core.replica import replica_reads
from escalation.access import access_for
from escalation.choices import Role
from staffing.selectors import dashboard_refresh as staffing_dashboard_refresh

from . import metrics
from .models import DashboardSnapshot, MonthlyReport, ReportDelivery, ReviewAction, ReviewNote, Subscriber
from .periods import Month
from .selectors import dashboard_figures

User = get_user_model()

# ``reporting.tasks.report_delivery_send_task``, queued by name: the task imports this module.
DELIVERY_SEND_TASK = "reporting.tasks.report_delivery_send_task"


@functools.cache
def code_version() -> str:
    """``git describe`` of the running code, or the package version where there is no checkout."""
    root = Path(settings.BASE_DIR)
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        if out:
            return f"git:{out}"[:80]
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return f"servicedesk {metadata.version('servicedesk')}"
    except metadata.PackageNotFoundError:
        return "unknown"


def report_figures(month: Month) -> dict[str, Any]:
    with replica_reads():  # a finished month: the replica's lag cannot change it
        data = metrics.month_figures(month.start, month.end)
    return {
        "month": str(month),
        "period_start": month.start.isoformat(),
        "period_end": month.end.isoformat(),
        "time_zone": settings.TIME_ZONE,
        **data,
    }


def report_generate(*, month: Month, actor: Any = None, automatic: bool = False) -> MonthlyReport | None:
    """Compute a month and store it as a new snapshot.

    ``automatic`` snapshots exist once per month: when one exists already (another beat, a retried
    task, an earlier API request), this stores nothing and returns None.
    """
    if month.is_future():
        raise ValidationError(
            gettext("%(label)s has not started yet: there is nothing to report.") % {"label": month.label}
        )
    if automatic and MonthlyReport.objects.filter(month=month.first_day, automatic=True).exists():
        return None
    data = report_figures(month)
    try:
        with transaction.atomic():
            return MonthlyReport.objects.create(
                month=month.first_day,
                data=data,
                code_version=code_version(),
                automatic=automatic,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        if automatic:  # another worker stored it between our check and our insert
            return None
        raise


def report_for_month(*, month: Month) -> MonthlyReport:
    """The month's newest snapshot, computed and stored on first request."""
    existing = MonthlyReport.objects.filter(month=month.first_day).first()
    if existing is not None:
        return existing
    made = report_generate(month=month, automatic=True)
    return made or MonthlyReport.objects.filter(month=month.first_day).first()  # type: ignore[return-value]


# --- the dashboard's stored figures ---------------------------------------------------------------


def dashboard_snapshot_store(*, figures: dict[str, Any], computed_at: Any) -> None:
    """Replace the dashboard's stored figures: one upsert of the single row, so that two refreshes
    at once, or a page and the beat, leave one row with one of their (equally fresh) results."""
    DashboardSnapshot.objects.bulk_create(
        [DashboardSnapshot(key=DashboardSnapshot.CURRENT, computed_at=computed_at, data=figures)],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["computed_at", "data"],
    )


def dashboard_refresh(*, now: Any = None) -> None:
    """Compute the month-to-date figures now and store them (beat, every five minutes)."""
    now = now or timezone.now()
    with replica_reads():
        figures = dashboard_figures(now=now)
        staffing_dashboard_refresh()  # the dashboard's staffing table, stored like the figures
    dashboard_snapshot_store(figures=figures, computed_at=now)


# --- circulation ---------------------------------------------------------------------------------


def subscribers() -> list[Any]:
    """Managers, incident managers and the users an administrator added, with an email address."""
    by_role = User.objects.filter(
        groups__name__in=[Role.MANAGER, Role.INCIDENT_MANAGER], is_active=True
    ).values_list("pk", flat=True)
    added = Subscriber.objects.values_list("user_id", flat=True)
    return list(
        User.objects.filter(pk__in=set(by_role) | set(added), is_active=True)
        .exclude(email="")
        .order_by("username")
    )


def subscriber_add(*, actor: Any, user: Any) -> Subscriber:
    if not getattr(actor, "is_superuser", False):
        raise ValidationError(gettext("Only an administrator adds subscribers."))
    sub, _ = Subscriber.objects.get_or_create(user=user, defaults={"added_by": actor})
    return sub


# Tries before a delivery is given up (reporting.tasks.report_deliveries_flush_task).
DELIVERY_MAX_ATTEMPTS = 8
# The fewest days retention keeps a month's deliveries: the month before must always be circulable.
DELIVERY_RETENTION_MIN_DAYS = 90


def delivery_retention_cutoff(now: Any = None) -> Any:
    """The time before which sent deliveries may be purged (operations/retention.py), or None (kept)."""
    days = settings.RETENTION_DAYS.get("report_deliveries", 0)
    if days <= 0:
        return None
    return (now or timezone.now()) - timedelta(days=max(days, DELIVERY_RETENTION_MIN_DAYS))


def report_circulate(*, report: MonthlyReport) -> int:
    """Record one delivery per subscriber for the report's month (none twice) and queue the sending.

    A month that began before the deliveries' retention cut-off is not circulated: its deliveries, the
    "sent once" records, may have been purged, and circulating it again would mail it twice."""
    cut = delivery_retention_cutoff()
    if cut is not None and Month.of(report.month).start < cut:
        return 0
    made = 0
    for user in subscribers():
        with transaction.atomic():
            delivery, created = ReportDelivery.objects.get_or_create(
                month=report.month, user=user, defaults={"report": report, "email": user.email}
            )
            if created:
                made += 1
                enqueue_on_commit(DELIVERY_SEND_TASK, delivery.pk)
    return made


def delivery_claim(*, delivery_id: int, seconds: int = 300) -> ReportDelivery | None:
    """Claim an unsent delivery for sending (a conditional update: one sender at a time)."""
    now = timezone.now()
    claimed = (
        ReportDelivery.objects.filter(pk=delivery_id, sent_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + timedelta(seconds=seconds))
    )
    if claimed != 1:
        return None
    return ReportDelivery.objects.select_related("report", "user").get(pk=delivery_id)


def delivery_mark(*, delivery: ReportDelivery, error: str = "") -> None:
    fields: dict[str, Any] = {"attempts": delivery.attempts + 1}
    if error:
        fields.update(last_error=error[:2000], claimed_until=timezone.now() + timedelta(minutes=5))
    else:
        fields.update(sent_at=timezone.now(), last_error="")
    ReportDelivery.objects.filter(pk=delivery.pk).update(**fields)


# --- reviews --------------------------------------------------------------------------------------


def _check_reviewer(actor: Any) -> None:
    if not access_for(actor).is_manager:
        raise ValidationError(gettext("Only managers and incident managers write reviews."))


@transaction.atomic
def review_note_add(*, actor: Any, month: Month, body: str) -> ReviewNote:
    _check_reviewer(actor)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": gettext("Write the note.")})
    if len(body) > ReviewNote.BODY_MAX_LENGTH:
        raise ValidationError(
            {
                "body": gettext("At most %(BODY_MAX_LENGTH)s characters.")
                % {"BODY_MAX_LENGTH": ReviewNote.BODY_MAX_LENGTH}
            }
        )
    return ReviewNote.objects.create(month=month.first_day, author=actor, body=body)


@transaction.atomic
def review_action_add(*, actor: Any, month: Month, title: str, owner: Any, due_date: date) -> ReviewAction:
    _check_reviewer(actor)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": gettext("Say what was agreed.")})
    return ReviewAction.objects.create(
        month=month.first_day,
        title=title[: ReviewAction.TITLE_MAX_LENGTH],
        owner=owner,
        due_date=due_date,
        created_by=actor,
    )


@transaction.atomic
def review_action_set_status(*, actor: Any, action: ReviewAction, status: str) -> ReviewAction:
    _check_reviewer(actor)
    if status not in ReviewAction.Status.values:
        raise ValidationError({"status": gettext("Choose open, done or dropped.")})
    ReviewAction.objects.filter(pk=action.pk).update(status=status, updated_at=timezone.now())
    action.refresh_from_db()
    return action
