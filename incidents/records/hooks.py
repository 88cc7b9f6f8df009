"""The incident event hook: how notifications, surveys, knowledge and reporting hear of incident events.

The contract, for a subscriber:

- **Registration.** ``subscribe(kinds, name, fn)`` (or ``@subscriber(kinds, name)``) from the subscribing
  app's ``AppConfig.ready()``. ``name`` is stable and unique (it keys the delivery rows, so renaming a
  subscriber re-delivers nothing and loses nothing pending); registering it twice replaces the function,
  so a reloaded module does not run twice. Several subscribers may take one kind: none replaces another.
- **What it receives.** ``fn(event)``: the committed ``IncidentEvent`` (with ``incident`` and ``actor``
  loaded), never an uncommitted one. It reads what it needs from the database; the event row is immutable.
- **When.** After the transaction that recorded the event commits, by a Celery task
  (``incidents.tasks.event_publish_task``); when the broker is down, beat's flush catches up within minutes.
- **Ordering.** For one event, subscribers run in registration order. Across events there is no ordering
  guarantee: a retried subscriber may see a later event before an earlier one.
- **At-least-once, isolated.** Each subscriber runs in a transaction committed together with its delivery
  mark, so its database writes and "done" commit or roll back as one. The events one transaction recorded
  together (a batch of the SLA sweep, a chunk of the flush) are published in one transaction for all their
  subscribers; should any of them raise, that transaction is rolled back and the batch is published again
  event by event, each subscriber in a transaction of its own. A subscriber that raises
  is logged and retried later with exponential backoff (``EVENT_DELIVERY_MAX_ATTEMPTS`` attempts, then it
  is given up with an error log and the delivery keeps its ``last_error``); the others still run. A crash
  between work and mark, or two workers publishing one event at once, may run a subscriber twice: it must be
  idempotent (a unique key on what it writes, as ``Notification`` has) and it must not do network I/O
  itself: queue that on commit (``core.queueing.enqueue_on_commit``).
- **Batches (optional).** ``prepare(events)``, given to ``subscribe``, is called once with the events of a
  batch the subscriber will receive, before any of them: it may read for all of them at once what ``fn``
  would read for each (``incidents.notifications.delivery.batch_memo``). ``fn`` must still work alone.

This module imports nothing of the project, so that ``incidents.records.events`` can ask whether an event has
subscribers without an import circle; the dispatcher is ``incidents.records.outbox``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import IncidentEvent

Handler = Callable[["IncidentEvent"], Any]
Preparer = Callable[[list["IncidentEvent"]], Any]


@dataclass(frozen=True)
class Subscriber:
    name: str
    kinds: frozenset[str]
    fn: Handler
    prepare: Preparer | None = None


_subscribers: dict[str, Subscriber] = {}  # by name, in registration order
_publisher: Callable[[int], None] | None = None


def subscribe(kinds: Iterable[str], name: str, fn: Handler, *, prepare: Preparer | None = None) -> Subscriber:
    kinds = frozenset(kinds)
    if not name or not kinds:
        raise ValueError("a subscriber needs a name and at least one event kind")
    sub = Subscriber(name=name, kinds=kinds, fn=fn, prepare=prepare)
    _subscribers[name] = sub
    return sub


def subscriber(kinds: Iterable[str], name: str) -> Callable[[Handler], Handler]:
    """Decorator form of ``subscribe``."""

    def register(fn: Handler) -> Handler:
        subscribe(kinds, name, fn)
        return fn

    return register


def unsubscribe(name: str) -> None:
    _subscribers.pop(name, None)


def subscribers_of(kind: str) -> list[Subscriber]:
    return [s for s in _subscribers.values() if kind in s.kinds]


def subscriber_named(name: str) -> Subscriber | None:
    return _subscribers.get(name)


def set_publisher(publish_on_commit: Callable[[int], None]) -> None:
    """Installed by ``IncidentsConfig.ready()``: queues publication of an event id after commit."""
    global _publisher
    _publisher = publish_on_commit


def publish_on_commit(event_id: int) -> None:
    # Without a publisher (a script that never loaded the app registry) beat's flush still publishes.
    if _publisher is not None:
        _publisher(event_id)
