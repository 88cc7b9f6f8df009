"""A batch's transaction that loses a deadlock on real PostgreSQL is published again event by event
(``outbox.events_publish``; issue 25 §5).

The batch locks its events' deliveries, runs their subscribers, then marks its events published. Another
transaction (beat's flush, a sweep) may hold one of those event rows and want one of the batch's delivery
rows: a real deadlock, which PostgreSQL breaks after ``deadlock_timeout`` (1 s) by failing the
transaction whose own check finds the cycle first, the one that began waiting first. The test makes the
batch that one: the other transaction asks for the delivery row only once the batch has waited for the
event row for a while (``pg_locks.waitstart``), so that the batch's check runs first by hundreds of
milliseconds. Nothing is forced: the error is PostgreSQL's own.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.queueing import muted
from incidents.models import Counter, EventDelivery, IncidentEvent
from incidents.records import hooks, outbox
from incidents.records.events import event_record
from tests.factories import make_incident, make_user

HELD = IncidentEvent.Kind.HELD  # a kind no built-in subscriber takes
WAITED = 0.25  # seconds the batch waits before the other transaction closes the cycle (deadlock_timeout 1 s)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.fixture
def noted():
    """A subscriber of HELD events that writes a row per event (rolled back with its transaction)."""
    hooks.subscribe([HELD], "test.noted", lambda e: Counter.objects.create(name=f"noted-{e.pk}", value=1))
    yield
    hooks.unsubscribe("test.noted")


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_loses_a_deadlock_on_its_event_rows_is_published_event_by_event(
    noted, monkeypatch, caplog
):
    # given a batch of two events, nothing queued for them (published by hand below)
    agent = make_user("agent1", groups=["service-desk"])
    alice = make_user("alice1")
    with muted():
        incidents = [make_incident(actor=agent, caller=alice) for _ in range(2)]
        one, two = (event_record(incident=i, kind=HELD, actor=None, now=timezone.now()) for i in incidents)
    batch = _backend_pid()
    holding, finished = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other_transaction() -> None:
        """Holds the second event's row, then, once the batch waits for it, wants the first event's
        delivery row, which the batch holds."""
        try:
            with transaction.atomic():
                # as an update of the row would (not of its key: the batch's deliveries may still refer to it)
                IncidentEvent.objects.select_for_update(no_key=True).get(pk=two.pk)
                holding.set()
                deadline = time.monotonic() + 30
                with connection.cursor() as cursor:
                    while True:  # until the batch has waited WAITED seconds for the row held here
                        cursor.execute(
                            "SELECT coalesce(max(extract(epoch FROM clock_timestamp() - waitstart)), -1)"
                            " FROM pg_locks WHERE pid = %s AND NOT granted",
                            [batch],
                        )
                        if cursor.fetchone()[0] >= WAITED:
                            break
                        assert time.monotonic() < deadline, "the batch never waited for the event row"
                list(
                    EventDelivery.objects.select_for_update().filter(event_id=one.pk, subscriber="test.noted")
                )
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            finished.set()
            connection.close()

    # the event-by-event path starts once the other transaction is over (it holds the row until then)
    one_by_one: list[int] = []
    publish_one = outbox.event_publish

    def after_the_winner(event_id: int, **kwargs):
        assert finished.wait(30)
        one_by_one.append(event_id)
        return publish_one(event_id, **kwargs)

    monkeypatch.setattr(outbox, "event_publish", after_the_winner)
    thread = threading.Thread(target=other_transaction)
    thread.start()
    assert holding.wait(30)

    # when the batch is published while the other transaction holds the row
    with caplog.at_level(logging.WARNING, logger=outbox.log.name):
        ran = outbox.events_publish([one.pk, two.pk])
    thread.join(30)

    # then PostgreSQL failed the batch's transaction, not the other one
    assert not errors, errors
    failed = [r for r in caplog.records if "published one by one" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info is not None
    assert "deadlock detected" in str(failed[0].exc_info[1])
    # and the batch went event by event: each subscriber ran once (the batch's writes rolled back),
    # each delivery done at its first attempt, both events published
    assert one_by_one == [one.pk, two.pk]
    assert ran == 2
    assert sorted(Counter.objects.filter(name__startswith="noted-").values_list("name", flat=True)) == sorted(
        [f"noted-{one.pk}", f"noted-{two.pk}"]
    )
    deliveries = EventDelivery.objects.filter(event__in=[one, two], subscriber="test.noted")
    assert [(d.attempts, d.done_at is not None) for d in deliveries] == [(1, True), (1, True)]
    assert not IncidentEvent.objects.filter(pk__in=[one.pk, two.pk], notified_at__isnull=True).exists()
