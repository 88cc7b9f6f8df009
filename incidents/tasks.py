"""Thin Celery tasks: they take ids, call a service and own their retry policy."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

from core.queueing import enqueue_on_commit

log = logging.getLogger(__name__)


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=300, max_retries=8
)
def event_notify_task(event_id: int) -> int:
    from .notifications import event_fan_out

    ids = event_fan_out(event_id)
    for notification_id in ids:
        enqueue_on_commit(notification_email_task, notification_id)
    return len(ids)


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=10, retry_backoff_max=600, max_retries=10
)
def notification_email_task(notification_id: int) -> bool:
    from .notifications import notification_email_send

    return notification_email_send(notification_id)


@shared_task(acks_late=True)
def notifications_flush_task(batch_size: int = 200) -> int:
    """Catch up on what a broker outage or a crashed worker left behind (beat, every minute)."""
    from .notifications import event_fan_out, notification_email_send, notifications_pending

    events, emails = notifications_pending(older_than=timedelta(seconds=30), batch_size=batch_size)
    done = 0
    for event_id in events:
        emails.extend(event_fan_out(event_id))
    for notification_id in dict.fromkeys(emails):
        try:
            done += notification_email_send(notification_id)
        except Exception:  # the mail server is down: the row stays pending for the next flush
            log.warning("email for notification %s not sent", notification_id, exc_info=True)
    return done


@shared_task(acks_late=True)
def incidents_autoclose_task() -> int:
    from .services import incidents_autoclose

    return incidents_autoclose()


@shared_task(acks_late=True)
def sla_sweep_task(batch_size: int = 100) -> int:
    """Fire due SLA thresholds and escalation rules (beat, every minute). Safe to run twice at once."""
    from .sweep import sla_sweep

    return sla_sweep(batch_size=batch_size).fired
