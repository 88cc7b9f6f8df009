"""The outbox dispatcher: runs the hook's subscribers (``incidents.records.hooks``) for committed events.

``IncidentEvent.notified_at`` is the outbox flag: an event is pending until every subscriber of its
kind has a done (or given-up) ``EventDelivery``. ``event_publish`` runs the pending, due deliveries of
one event, each in its own transaction together with its mark; beat's flush (``outbox_due``) finds
the events a lost task or a broker outage left behind and the deliveries whose retry is due.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from core.queueing import enqueue_on_commit

from . import hooks
from .models import EventDelivery, IncidentEvent

log = logging.getLogger(__name__)

# The tasks that publish (``incidents.records.tasks``), queued by name: they import this module.
PUBLISH_TASK = "incidents.tasks.event_publish_task"
PUBLISH_TOGETHER_TASK = "incidents.tasks.events_publish_task"


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the ``attempts``-th failure: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


_together = threading.local()


def publish_on_commit(event_id: int) -> None:
    collected = getattr(_together, "ids", None)
    if collected is not None:
        collected.append(event_id)
    else:
        enqueue_on_commit(PUBLISH_TASK, event_id)


@contextmanager
def published_together() -> Iterator[None]:
    """The events recorded inside the block are published by one task, queued when the block ends
    without an error (after the commit of the surrounding transaction, if there is one).

    For the SLA sweep, whose batches record up to a hundred events each: one message to the broker
    and one task instead of one per event (SPEC §13: 20,000 thresholds caught up in a minute). Events
    of a savepoint that was rolled back are in the list but not in the database: publishing skips
    them. If the block fails, nothing is queued, as nothing it recorded was committed; should the
    broker be down, beat's flush publishes the events later, as it does for single ones.
    """
    outer = getattr(_together, "ids", None)
    ids: list[int] = []
    _together.ids = ids
    try:
        yield
    finally:
        _together.ids = outer
    if not ids:
        return
    if outer is not None:  # nested: the outer block publishes them with its own
        outer.extend(ids)
    else:
        enqueue_on_commit(PUBLISH_TOGETHER_TASK, ids)


# What a subscriber reads of every event: the incident's group and category (the restricted-incident
# check), its assignee (the SLA recipients and their mail), the actor.
EVENT_JOINED = (
    "incident",
    "incident__assignment_group",
    "incident__category",
    "incident__assigned_to",
    "actor",
)


def events_publish(
    event_ids: list[int],
    *,
    now: datetime | None = None,
    within: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> int:
    """Publish the events one transaction recorded together (a batch of the SLA sweep, a chunk of the
    flush) in one transaction: returns how many deliveries ran.

    The events are read with one query, their deliveries written with one, locked with one and marked
    done with one; each subscriber's ``prepare`` reads for all its events at once; ``within`` wraps the
    subscribers' work inside the transaction (``delivery.notifications_together`` writes the batch's
    notification rows with one insert when it ends). Issue 25 §5: one transaction per event and
    subscriber cost the escalation drain most of its time.

    All or nothing: should any subscriber raise, the transaction is rolled back and the events are
    published one by one (``event_publish``), each subscriber in a transaction of its own, so that the
    failing one is recorded and retried and the others are not held back. A crash before the commit
    leaves every delivery pending, for a retry or for beat's flush. Deliveries another worker holds
    (``SKIP LOCKED``), or waiting for their retry, are left; their events stay pending.

    Call outside a transaction.
    """
    now = now or timezone.now()
    events = list(
        IncidentEvent.objects.select_related(*EVENT_JOINED)
        .filter(pk__in=list(event_ids), notified_at__isnull=True)
        .order_by("pk")
    )
    if not events:
        return 0
    plan = [(event, hooks.subscribers_of(event.kind)) for event in events]
    EventDelivery.objects.bulk_create(
        [EventDelivery(event=event, subscriber=s.name) for event, subs in plan for s in subs],
        ignore_conflicts=True,
    )
    try:
        for sub in {s.name: s for _, subs in plan for s in subs}.values():
            if sub.prepare is not None:
                sub.prepare([event for event in events if event.kind in sub.kinds])
        with transaction.atomic():
            held = {
                (event_id, name): pk
                for pk, event_id, name in EventDelivery.objects.select_for_update(skip_locked=True)
                .filter(event__in=events, done_at__isnull=True, given_up_at__isnull=True)
                .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                .values_list("pk", "event_id", "subscriber")
            }
            done: list[int] = []
            with within():
                for event, subs in plan:
                    for sub in subs:  # in registration order, as for a single event
                        pk = held.get((event.pk, sub.name))
                        if pk is not None:
                            sub.fn(event)
                            done.append(pk)
            EventDelivery.objects.filter(pk__in=done).update(
                done_at=now, attempts=F("attempts") + 1, next_attempt_at=None, last_error=""
            )
            _mark_published(events, now=now)
    except Exception:
        log.warning(
            "a subscriber failed in a batch of %s events: published one by one", len(events), exc_info=True
        )
        return sum(event_publish(event.pk, now=now) for event in events)
    return len(done)


def _mark_published(events: list[IncidentEvent], *, now: datetime) -> None:
    """Mark published those of ``events`` none of whose subscribers has a delivery left (one query for
    each set of subscribers: a batch has one or two)."""
    by_subscribers: dict[frozenset[str], list[int]] = {}
    for event in events:
        names = frozenset(s.name for s in hooks.subscribers_of(event.kind))
        by_subscribers.setdefault(names, []).append(event.pk)
    for names, ids in by_subscribers.items():
        pending = IncidentEvent.objects.filter(pk__in=ids, notified_at__isnull=True)
        if names:
            left = EventDelivery.objects.filter(
                event=OuterRef("pk"), subscriber__in=names, done_at__isnull=True, given_up_at__isnull=True
            )
            pending = pending.exclude(Exists(left))
        pending.update(notified_at=now)


def event_publish(event_id: int, *, now: datetime | None = None) -> int:
    """Run the event's pending, due subscribers; mark it published when none is left. Returns how many ran.

    Call outside a transaction: each subscriber commits on its own.
    """
    now = now or timezone.now()
    event = (
        IncidentEvent.objects.select_related(*EVENT_JOINED)
        .filter(pk=event_id, notified_at__isnull=True)
        .first()
    )
    if event is None:
        return 0  # published already
    subscribers = hooks.subscribers_of(event.kind)
    EventDelivery.objects.bulk_create(
        [EventDelivery(event=event, subscriber=s.name) for s in subscribers], ignore_conflicts=True
    )
    ran = sum(_deliver(event, s, now=now) for s in subscribers)
    left = EventDelivery.objects.filter(
        event=event,
        subscriber__in=[s.name for s in subscribers],
        done_at__isnull=True,
        given_up_at__isnull=True,
    )
    if not left.exists():
        IncidentEvent.objects.filter(pk=event.pk, notified_at__isnull=True).update(notified_at=now)
    return ran


def _deliver(event: IncidentEvent, sub: hooks.Subscriber, *, now: datetime) -> bool:
    try:
        with transaction.atomic():
            delivery = (
                EventDelivery.objects.select_for_update(skip_locked=True)
                .filter(event=event, subscriber=sub.name, done_at__isnull=True, given_up_at__isnull=True)
                .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                .first()
            )
            if delivery is None:
                return False  # done, not due yet, given up, or another worker holds it
            sub.fn(event)
            EventDelivery.objects.filter(pk=delivery.pk).update(
                done_at=now, attempts=F("attempts") + 1, next_attempt_at=None, last_error=""
            )
        return True
    except Exception as exc:
        _failed(event, sub, exc, now=now)
        return False


def _failed(event: IncidentEvent, sub: hooks.Subscriber, exc: Exception, *, now: datetime) -> None:
    max_attempts = settings.EVENT_DELIVERY_MAX_ATTEMPTS
    with transaction.atomic():
        delivery = EventDelivery.objects.select_for_update().get(event=event, subscriber=sub.name)
        delivery.attempts += 1
        delivery.last_error = "".join(traceback.format_exception(exc))[-4000:]
        if delivery.attempts >= max_attempts:
            delivery.given_up_at = now
            delivery.next_attempt_at = None
            log.error(
                "subscriber %s gave up on event %s after %s attempts",
                sub.name,
                event.pk,
                delivery.attempts,
                exc_info=exc,
            )
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
            log.warning(
                "subscriber %s failed on event %s (attempt %s), retry at %s",
                sub.name,
                event.pk,
                delivery.attempts,
                delivery.next_attempt_at,
                exc_info=exc,
            )
        delivery.save(update_fields=["attempts", "last_error", "given_up_at", "next_attempt_at"])


def outbox_due(*, now: datetime, older_than: timedelta, batch_size: int) -> list[int]:
    """Events left pending longer than ``older_than`` whose deliveries are not all waiting for a retry."""
    waiting = EventDelivery.objects.filter(
        event=OuterRef("pk"), done_at__isnull=True, given_up_at__isnull=True, next_attempt_at__gt=now
    )
    return list(
        IncidentEvent.objects.filter(notified_at__isnull=True, created_at__lte=now - older_than)
        .exclude(Exists(waiting))
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch_size]
    )
