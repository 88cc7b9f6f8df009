"""Thin Celery tasks of mail delivery (their names kept from ``incidents.tasks``: see
``incidents.records.tasks``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from celery import current_app, shared_task
from django.conf import settings
from django.utils import timezone

from ..records.outbox import PUBLISH_TOGETHER_TASK, event_publish, outbox_due
from .delivery import (
    DIGEST_TASK,
    DIGESTS_TASK,
    EMAIL_TASK,
    EMAILS_TASK,
    emails_due,
    notification_digest_send,
    notification_digests_send,
    notification_email_send,
)

log = logging.getLogger(__name__)

# What the flush does itself; the rest of what it finds goes to the queue in chunks of this size,
# for every notifications worker to share (a catch-up after a crash is drained in parallel).
FLUSH_CHUNK = 50


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


@shared_task(name=EMAILS_TASK, acks_late=True)
def notification_emails_task(notification_ids: list[int]) -> int:
    """``notification_email_task`` for a chunk the flush fanned out. Returns how many it sent."""
    return sum(notification_email_task(pk) for pk in notification_ids)


def _emails_send(notification_ids: list[int]) -> int:
    sent = 0
    for notification_id in notification_ids:
        try:
            sent += notification_email_send(notification_id)
        except Exception:  # the mail server is down: the row backs off and a later flush retries
            log.warning("email for notification %s not sent", notification_id, exc_info=True)
    return sent


def _fan_out(ids: list[int], task_name: str, run_here: Callable[[list[int]], int]) -> int:
    """Run the first chunk here and queue the others; what cannot be queued (the broker is down)
    runs here too. Returns what ``run_here`` returned."""
    chunks = [ids[i : i + FLUSH_CHUNK] for i in range(0, len(ids), FLUSH_CHUNK)]
    here = chunks[:1]
    for n, chunk in enumerate(chunks[1:], start=1):
        try:
            current_app.signature(task_name, args=(chunk,)).apply_async(retry=False)
        except Exception:
            log.warning("broker unavailable: the flush works through its backlog alone", exc_info=True)
            here += chunks[n:]
            break
    return sum(run_here(chunk) for chunk in here)


@shared_task(name="incidents.tasks.notifications_flush_task", acks_late=True)
def notifications_flush_task(batch_size: int | None = None) -> int:
    """Catch up on what a broker outage, a crashed worker or a failure left behind (beat, every
    ``NOTIFICATIONS_FLUSH_INTERVAL`` seconds).

    Publishes events still pending and sends emails still due: the oldest chunk of each here, the
    rest fanned out to the notifications queue in chunks, so that every worker shares a catch-up.
    Each send is its own short transaction: nothing is held across an SMTP conversation. Returns
    how many emails this task sent itself.
    """
    batch_size = batch_size or settings.NOTIFICATIONS_FLUSH_BATCH
    now = timezone.now()
    grace = timedelta(
        seconds=settings.NOTIFICATIONS_FLUSH_GRACE
    )  # what tasks queued on commit are about to do
    events = outbox_due(now=now, older_than=grace, batch_size=batch_size)
    _fan_out(events, PUBLISH_TOGETHER_TASK, lambda chunk: sum(event_publish(pk) for pk in chunk))
    emails = emails_due(now=timezone.now(), older_than=grace, batch_size=batch_size)
    return _fan_out(emails, EMAILS_TASK, _emails_send)


@shared_task(name=DIGEST_TASK, acks_late=True)
def notification_digest_task(notification_ids: list[int]) -> int:
    """One mail for several notifications to one address (``emails_together``). A failed send backs
    off; the flush then retries each notification on its own."""
    try:
        return notification_digest_send(notification_ids)
    except Exception:
        log.warning(
            "digest of notifications %s not sent; the flush retries them", notification_ids, exc_info=True
        )
        return 0


@shared_task(name=DIGESTS_TASK, acks_late=True)
def notification_digests_task(groups: list[list[int]]) -> int:
    """The digests of a batch (``emails_together``), each group one address, through one connection to the
    mail server. A digest that fails backs off on its own; the flush then retries its notifications."""
    try:
        return notification_digests_send(groups)
    except Exception:
        log.warning("digests of notifications %s not sent; the flush retries them", groups, exc_info=True)
        return 0
