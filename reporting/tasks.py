"""Thin Celery tasks: they take ids, call a service and own their retry policy.

Services queue them by name (``core.queueing``); tasks import their services, never the reverse."""

from __future__ import annotations

import logging

from celery import shared_task

from .circulation import report_message
from .models import MonthlyReport, ReportDelivery
from .periods import Month
from .services import (
    DELIVERY_MAX_ATTEMPTS,
    DELIVERY_SEND_TASK,
    dashboard_refresh,
    delivery_claim,
    delivery_mark,
    report_circulate,
    report_generate,
)

log = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def monthly_report_task() -> str:
    """Beat, early on the 1st: the month before, once (the automatic snapshot is unique per month),
    then its circulation (one delivery per subscriber and month)."""
    month = Month.current().previous()
    report_generate(month=month, automatic=True)
    report = MonthlyReport.objects.filter(month=month.first_day, automatic=True).get()
    report_circulate(report=report)
    return str(month)


@shared_task(acks_late=True)
def dashboard_refresh_task() -> None:
    """Beat, every five minutes: the dashboard's month-to-date figures (the ``reports`` queue)."""
    dashboard_refresh()


@shared_task(name=DELIVERY_SEND_TASK, acks_late=True)
def report_delivery_send_task(delivery_id: int) -> bool:
    """Send one subscriber's mail. Network I/O outside any transaction; a failure keeps the row for
    ``report_deliveries_flush_task``."""
    delivery = delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return False
    try:
        report_message(delivery.report, to=delivery.email).send()
    except Exception as error:
        log.warning("monthly report mail %s not sent; retried later", delivery_id, exc_info=True)
        delivery_mark(delivery=delivery, error=str(error))
        return False
    delivery_mark(delivery=delivery)
    return True


@shared_task(acks_late=True)
def report_deliveries_flush_task() -> int:
    """Beat, hourly: send deliveries left behind by a lost task or a failed attempt (up to 8 tries)."""
    sent = 0
    for pk in ReportDelivery.objects.filter(
        sent_at__isnull=True, attempts__lt=DELIVERY_MAX_ATTEMPTS
    ).values_list("pk", flat=True)[:100]:
        sent += report_delivery_send_task(pk)
    return sent
