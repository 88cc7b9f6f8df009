"""Side effects leave only after commit, through a real broker and a real worker (SPEC §7)."""

import time

import pytest
import redis
from django.conf import settings

from incidents.models import Incident, IncidentEvent, Notification
from servicedesk import celery_app
from tests.factories import make_incident, make_user
from tests.workers import app_broker, dedicated_broker_url


def _queued_messages(broker_url: str) -> int:
    """Messages waiting on every queue of CELERY_TASK_ROUTES (tasks are routed by kind), at every
    priority (kombu keeps each in a list of its own: the queue's name, then name\x06\x16N)."""
    client = redis.Redis.from_url(broker_url)
    return sum(
        client.llen(f"{queue}\x06\x16{step}" if step else queue)
        for queue in (*settings.TASK_QUEUES, "celery")
        for step in (0, 3, 6, 9)
    )


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_queues_no_task():
    from django.db import transaction

    agent = make_user("agent-rb", groups=["service-desk"])
    caller = make_user("caller-rb")
    broker = dedicated_broker_url()
    redis.Redis.from_url(broker).flushdb()
    with app_broker(celery_app, broker):
        # Given a creation that fails after the incident and its event were written
        with pytest.raises(RuntimeError), transaction.atomic():
            make_incident(actor=agent, caller=caller)
            raise RuntimeError("something later in the request failed")
        # then nothing was queued and nothing was stored
        assert _queued_messages(broker) == 0
        assert Incident.objects.count() == 0
        assert IncidentEvent.objects.count() == 0

        # while the same creation, committed, does queue its notification task.
        make_incident(actor=agent, caller=caller)
        assert _queued_messages(broker) == 1
    redis.Redis.from_url(broker).flushdb()


def _wait_for(predicate, *, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_logging_an_incident_notifies_the_caller_and_the_group_once_through_a_real_worker(
    celery_worker_process,
):
    agent = make_user("agent-w", groups=["service-desk"])
    colleague = make_user("agent-w2", groups=["service-desk"])
    caller = make_user("caller-w")

    incident = make_incident(actor=agent, caller=caller)

    def delivered() -> bool:
        return Notification.objects.filter(incident=incident, emailed_at__isnull=False).count() >= 2

    assert _wait_for(delivered), celery_worker_process.log()
    rows = Notification.objects.filter(incident=incident).order_by("recipient__username")
    assert [(n.recipient.username, n.kind) for n in rows] == [
        (colleague.username, "group_new_incident"),
        (caller.username, "incident_logged"),
    ]  # the agent who logged it is not told of their own action
    assert rows.get(recipient=caller).subject.startswith(f"[{incident.number}]")
    assert IncidentEvent.objects.get(incident=incident).notified_at is not None

    # A second delivery of the same task (a retry, a redelivery) changes nothing.
    from incidents.records.tasks import event_publish_task

    event_publish_task.delay(IncidentEvent.objects.get(incident=incident).pk)
    time.sleep(0)  # yield; the assertion below polls with a deadline
    assert not _wait_for(lambda: Notification.objects.filter(incident=incident).count() > 2, timeout=3)


@pytest.mark.django_db(transaction=True)
def test_events_recorded_together_go_to_the_broker_as_one_task():
    """The SLA sweep's batches (``outbox.published_together``): one message for all their events,
    after the commit; none when the block fails."""
    import json

    from django.db import transaction

    from incidents.records import outbox

    agent = make_user("agent-tg", groups=["service-desk"])
    caller = make_user("caller-tg")
    broker = dedicated_broker_url()
    client = redis.Redis.from_url(broker)
    client.flushdb()
    with app_broker(celery_app, broker):
        with pytest.raises(RuntimeError), outbox.published_together(), transaction.atomic():
            make_incident(actor=agent, caller=caller)
            raise RuntimeError("the batch failed")
        assert _queued_messages(broker) == 0

        with outbox.published_together(), transaction.atomic():
            made = [make_incident(actor=agent, caller=caller, title=f"Printer {n}") for n in range(3)]
            assert _queued_messages(broker) == 0  # not before the commit
        assert _queued_messages(broker) == 1
        # below the mail on its queue (issue 25 §5): kombu's list of priority 6
        message = json.loads(client.lindex("notifications\x06\x166", 0))
        assert message["headers"]["task"] == "incidents.tasks.events_publish_task"
        body = json.loads(__import__("base64").b64decode(message["body"]))
        events = IncidentEvent.objects.filter(incident__in=made).values_list("pk", flat=True)
        assert sorted(body[0][0]) == sorted(events)
    client.flushdb()
