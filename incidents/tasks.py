"""Thin Celery tasks: they take ids, call a service and own their retry policy."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=300, max_retries=8
)
def event_publish_task(event_id: int) -> int:
    """Run the event hook's subscribers for one committed event (``incidents.hooks``).

    A subscriber's own failure is recorded on its delivery and retried by the flush with backoff;
    this task retries only when the dispatcher itself fails (the database is away).
    """
    from .outbox import event_publish

    return event_publish(event_id)


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=300, max_retries=8
)
def events_publish_task(event_ids: list[int]) -> int:
    """``event_publish_task`` for the events one transaction recorded together (a batch of the SLA
    sweep): one message instead of a hundred. Each event is published at most once, so a retry
    after a failure part-way through runs only what is left."""
    from .outbox import event_publish

    return sum(event_publish(event_id) for event_id in event_ids)


@shared_task(acks_late=True)
def notification_email_task(notification_id: int) -> bool:
    """Send one email. A failed send is not retried here: the row keeps its backoff and the flush
    retries it when due, so that the retry survives a lost task or a broker outage."""
    from .notifications import notification_email_send

    try:
        return notification_email_send(notification_id)
    except Exception:
        log.warning(
            "email for notification %s not sent; the flush retries it", notification_id, exc_info=True
        )
        return False


@shared_task(acks_late=True)
def notifications_flush_task(batch_size: int = 200) -> int:
    """Catch up on what a broker outage, a crashed worker or a failure left behind (beat, every minute).

    Publishes events still pending and sends emails still due, each in its own short transaction:
    nothing is held across an SMTP conversation. Returns how many emails it sent.
    """
    from django.utils import timezone

    from .notifications import emails_due, notification_email_send
    from .outbox import event_publish, outbox_due

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


@shared_task(acks_late=True)
def incidents_autoclose_task() -> int:
    from .services import incidents_autoclose

    return incidents_autoclose()


@shared_task(acks_late=True)
def sla_sweep_task(batch_size: int = 100, helpers: int | None = None) -> int:
    """Fire due SLA thresholds and escalation rules (beat, every minute). Safe to run twice at once.

    With a backlog (the first batch was full), it queues ``SLA_SWEEP_PARALLEL - 1`` helpers on
    the sweep queue, so that several workers share the catch-up; helpers start no helpers. They
    claim other rows (``SKIP LOCKED``), and the unique fire rows keep every threshold once.
    """
    from django.conf import settings

    from .sweep import sla_sweep

    count = max(0, settings.SLA_SWEEP_PARALLEL - 1) if helpers is None else helpers

    def start_helpers() -> None:
        for _ in range(count):
            try:
                sla_sweep_task.apply_async(kwargs={"batch_size": batch_size, "helpers": 0})
            except Exception:  # the broker is away: this sweep and the next beat carry on alone
                log.warning("could not queue an SLA sweep helper", exc_info=True)
                return

    return sla_sweep(batch_size=batch_size, on_backlog=start_helpers if count else None).fired
