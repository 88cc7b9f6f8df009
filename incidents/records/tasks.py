"""Thin Celery tasks of the incident record: publishing the event hook and the auto-close.

The tasks keep the names they had before ``incidents/`` got sub-packages (``incidents.tasks.*``): beat
schedules, routes and messages already queued in a broker name them."""

from __future__ import annotations

import logging

from celery import shared_task

from .. import services
from .outbox import PUBLISH_TASK, PUBLISH_TOGETHER_TASK, event_publish, events_publish

log = logging.getLogger(__name__)


@shared_task(
    name=PUBLISH_TASK,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def event_publish_task(event_id: int) -> int:
    """Run the event hook's subscribers for one committed event (``incidents.records.hooks``).

    A subscriber's own failure is recorded on its delivery and retried by the flush with backoff;
    this task retries only when the dispatcher itself fails (the database is away).
    """
    return event_publish(event_id)


@shared_task(
    name=PUBLISH_TOGETHER_TASK,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def events_publish_task(event_ids: list[int]) -> int:
    """``event_publish_task`` for the events one transaction recorded together (a batch of the SLA
    sweep, a chunk of the flush): one message instead of a hundred, one transaction for all their
    deliveries (``outbox.events_publish``). Each event is published at most once, so a retry after a
    failure part-way through runs only what is left."""
    from ..notifications.delivery import emails_together, notifications_together

    with emails_together():  # one mail per person for the batch (a digest where several reach them)
        return events_publish(event_ids, within=notifications_together)


@shared_task(name="incidents.tasks.incidents_autoclose_task", acks_late=True)
def incidents_autoclose_task() -> int:
    return services.incidents_autoclose()
