"""One watcher per process: it reads the shared cursor and wakes the requests waiting on it.

Every change to an incident writes an ``IncidentEvent`` row (``incidents.records.events``) in the
same transaction, whichever process makes it (a web worker, a Celery worker on any host): the
event table is the one thing every process shares on the embedded default (SQLite) and in
production (PostgreSQL). So the change feed waits on that table, not on a message bus.

A waiting request costs nothing: one thread per process asks the database for its signature every
``LIVE_POLL_INTERVAL`` seconds, and only while someone waits; the waiting requests sleep on a
condition until it changes. The signature is

- the newest event id, and how many events the last ``WINDOW`` ids hold: on PostgreSQL an id is
  taken at insert and seen at commit, so a transaction that commits after a newer one adds an
  event below the newest id; counting the window catches it;
- the newest notification id (the bell);
- the presence version (someone opened, left or started typing on an incident page);
- the saved views' version (someone saved or deleted a view: the navigation's list changes).
- the standing version (someone's roles or groups changed: the feed reads the standings it keeps
  again, ``live.views.StandingCache``).

It also hands each new event's kind and changed fields to the saved views' count board
(``live/counts.py``), which turns them into a new count generation at most once a second; the pages
that show counts are woken by that, and only the views the changes may touch are recounted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from escalation.access import STANDING_VERSION_KEY
from incidents.records.selectors import (
    WINDOW,
    change_signature,
    events_with_kinds_after,
    notifications_after,
)

from . import counts, presence
from .standings import standings

logger = logging.getLogger(__name__)

# How long the thread keeps polling after the last waiter has gone (a page re-asks at once).
IDLE_STOP_S = 30.0


class Signature(NamedTuple):
    newest_event: int
    window_count: int
    newest_notification: int
    presence: int
    views: int = 0
    standing: int = 0  # the version of everyone's roles and groups (escalation.access)


def read_signature() -> Signature:
    """One query and one cache round trip (this is most of what the open pages cost while idle)."""
    newest, count, notified = change_signature()
    versions = cache.get_many([presence.VERSION_KEY, counts.VERSION_KEY, STANDING_VERSION_KEY])
    return Signature(
        newest,
        count,
        notified,
        int(versions.get(presence.VERSION_KEY) or 0),
        int(versions.get(counts.VERSION_KEY) or 0),
        int(versions.get(STANDING_VERSION_KEY) or 0),
    )


@dataclass(frozen=True)
class Interest:
    """What one waiting page shows: it is woken only by a change to that (the others keep sleeping)."""

    user_id: int | None
    incident_id: int | None = None  # an incident's page (staff or portal): its events and presence
    all_events: bool = False  # a queue or the dashboard: every event (the visibility check comes after)
    # The count generation of the saved views' counts the page shows (None: it shows none).
    counts_generation: int | None = None


# Events and notifications remembered per process, to tell which waiters a change concerns.
REMEMBERED = 4096


class Watcher:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._signature: Signature | None = None
        # (event id, incident id, generation) and (notification id, recipient id, generation) of the
        # rows read, the generation counting the signature's changes: a page asks about the rows read
        # since it began to wait.
        self._events: deque[tuple[int, int, int]] = deque(maxlen=REMEMBERED)
        self._notifications: deque[tuple[int, int, int]] = deque(maxlen=REMEMBERED)
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._waiters = 0
        self._last_waiter_at = 0.0
        self._stopping = threading.Event()

    def wait(
        self, seen: Signature | None, timeout: float, interest: Interest | None = None
    ) -> Signature | None:
        """Block until a change concerns ``interest`` (any, without one) or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        with self._condition:
            self._waiters += 1
            self._ensure_running()
            try:
                since: int | None = None  # the generation from which rows are new to this page
                while not self._stopping.is_set():
                    current = self._signature
                    if (
                        interest is not None
                        and interest.counts_generation is not None
                        and counts.board.generation > interest.counts_generation
                    ):
                        return current or seen  # a change may have moved the page's counts: recount
                    if current is not None:
                        if since is None:
                            if current != seen:
                                return current  # it changed before this page began to wait: look
                            since = self._generation
                        elif current != seen:
                            if self._concerns(interest, seen, current, since):
                                return current
                            seen, since = current, self._generation  # nothing this page shows: sleep on
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._condition.wait(left)
                return self._signature
            finally:
                self._waiters -= 1
                self._last_waiter_at = time.monotonic()

    def _concerns(
        self, interest: Interest | None, seen: Signature | None, now: Signature, since: int
    ) -> bool:
        """Whether the rows read after generation ``since`` may be ones the page shows (unsure: yes)."""
        if interest is None or seen is None:
            return True
        if (self._events and self._events[0][2] > since) or (
            self._notifications and self._notifications[0][2] > since
        ):
            return True  # rows were forgotten during the wait
        if any(gen > since and user == interest.user_id for _, user, gen in self._notifications):
            return True
        if now.presence != seen.presence and interest.incident_id is not None:
            return True
        if now.views != seen.views and interest.counts_generation is not None:
            return True
        if now[:2] != seen[:2]:
            if interest.all_events:
                return True
            if interest.incident_id is not None:
                return any(gen > since and inc == interest.incident_id for _, inc, gen in self._events)
        return False

    def waiting(self) -> int:
        """How many requests are parked in :meth:`wait` (they hold no database connection)."""
        with self._condition:
            return self._waiters

    def snapshot(self) -> Signature | None:
        """The last signature the thread read (``None`` before its first read)."""
        with self._condition:
            return self._signature

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (tests, between two test databases); the next wait starts it again."""
        with self._condition:
            thread = self._thread
            self._stopping.set()
            self._condition.notify_all()
        if thread is not None:
            thread.join(timeout)
        with self._condition:
            self._stopping.clear()
        counts.board.reset()
        standings.clear()

    def _read_rows(
        self, signature: Signature
    ) -> tuple[list[tuple[int, int, str, tuple[str, ...]]], list[tuple[int, int]]]:
        """Which incidents the new events touch and whom the new notifications are for (only this
        thread changes ``_signature``, so it reads it without the lock)."""
        previous = self._signature
        events: list[tuple[int, int, str, tuple[str, ...]]] = []
        notifications: list[tuple[int, int]] = []
        if previous is None or previous[:2] != signature[:2]:
            after = (previous.newest_event if previous else signature.newest_event) - WINDOW
            events = events_with_kinds_after(after)
        if previous is None or previous.newest_notification != signature.newest_notification:
            after = previous.newest_notification if previous else signature.newest_notification
            notifications = notifications_after(after)
        return events, notifications

    def _ensure_running(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            counts.board.reset()  # what happened while nobody watched: every count is recounted
            self._thread = threading.Thread(target=self._run, name="live-watcher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        interval = settings.LIVE_POLL_INTERVAL
        try:
            while True:
                events: list[tuple[int, int, str, tuple[str, ...]]] = []
                notifications: list[tuple[int, int]] = []
                try:
                    signature: Signature | None = read_signature()
                    if signature is not None and signature != self._signature:
                        events, notifications = self._read_rows(signature)
                except Exception:  # a database restart: keep the waiters, try again
                    logger.exception("live: reading the change signature failed")
                    connection.close()
                    signature = None
                if connection.settings_dict.get("OPTIONS", {}).get("pool"):
                    # Back to the process's small pool between reads: the woken requests need it.
                    connection.close()
                with self._condition:
                    if signature is not None and signature != self._signature:
                        self._generation += 1
                        gen = self._generation
                        known = {row[0] for row in self._events}
                        new = [row for row in events if row[0] not in known]
                        self._events.extend((pk, inc, gen) for pk, inc, _, _ in new)
                        self._notifications.extend((pk, user, gen) for pk, user in notifications)
                        counts.board.note(counts.event_aspects(kind, fields) for _, _, kind, fields in new)
                        self._signature = signature
                        self._condition.notify_all()
                    if counts.board.tick():  # at most once a second: the pages showing counts recount
                        self._condition.notify_all()
                    idle = self._waiters == 0 and time.monotonic() - self._last_waiter_at > IDLE_STOP_S
                    if idle or self._stopping.is_set():
                        self._thread = None
                        self._signature = None
                        self._events.clear()
                        self._notifications.clear()
                        return
                self._stopping.wait(interval)
        finally:
            connection.close()


watcher = Watcher()
