"""Thin Celery tasks of mail delivery (their names kept from ``incidents.tasks``: see
``incidents.records.tasks``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from ..records.outbox import event_publish, outbox_due
from .delivery import EMAIL_TASK, emails_due, notification_email_send

log = logging.getLogger(__name__)


@shared_task(name=EMAIL_TASK, acks_late=True)
def notification_email_task(notification_id: int) -> bool:
    """Send one email. A failed send is not retried here: the row keeps its backoff and the flush
    retries it when due, so that the retry survives a lost task or a broker outage."""
    try:
        return notification_email_send(notification_id)
    except Exception:
        log.warning(
            "email for notification %s not sent; the flush retries it", notification_id, exc_info=True
        )
        return False


@shared_task(name="incidents.tasks.notifications_flush_task", acks_late=True)
def notifications_flush_task(batch_size: int = 200) -> int:
    """Catch up on what a broker outage, a crashed worker or a failure left behind (beat, every minute).

    Publishes events still pending and sends emails still due, each in its own short transaction:
    nothing is held across an SMTP conversation. Returns how many emails it sent.
    """
    now = timezone.now()
    grace = timedelta(seconds=30)  # what the tasks queued on commit are about to do anyway
    for event_id in outbox_due(now=now, older_than=grace, batch_size=batch_size):
        event_publish(event_id)
    sent = 0
    for notification_id in emails_due(now=timezone.now(), older_than=grace, batch_size=batch_size):
        try:
            sent += notification_email_send(notification_id)
        except Exception:  # the mail server is down: the row backs off and a later flush retries
            log.warning("email for notification %s not sent", notification_id, exc_info=True)
    return sent
