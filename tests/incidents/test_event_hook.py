"""The event hook (incidents.records.hooks, outbox): subscribers per kind, isolated, retried, idempotent."""

from __future__ import annotations

import ast
import logging
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from incidents.models import Counter, EventDelivery, IncidentEvent, Notification
from incidents.notifications.delivery import notify_lifecycle
from incidents.notifications.tasks import notifications_flush_task
from incidents.records import hooks
from incidents.records.events import event_record
from incidents.records.outbox import event_publish, events_publish, outbox_due
from tests.factories import make_incident

pytestmark = pytest.mark.django_db
HELD = IncidentEvent.Kind.HELD  # a kind no built-in subscriber takes


@pytest.fixture
def subscribed():
    """Subscribe test functions for the length of a test: ``subscribed(kinds, name, fn)``."""
    names: list[str] = []

    def add(kinds, name, fn, **kwargs):
        names.append(name)
        return hooks.subscribe(kinds, name, fn, **kwargs)

    yield add
    for name in names:
        hooks.unsubscribe(name)


def _held_event(incident):
    return event_record(incident=incident, kind=HELD, actor=None, now=timezone.now())


def test_every_subscriber_of_a_kind_runs_in_registration_order(subscribed, agent, alice):
    calls: list[tuple[str, int]] = []
    subscribed([HELD], "test.first", lambda e: calls.append(("first", e.pk)))
    subscribed([HELD, IncidentEvent.Kind.RESUMED], "test.second", lambda e: calls.append(("second", e.pk)))
    event = _held_event(make_incident(actor=agent, caller=alice))
    assert event.notified_at is None  # it has subscribers: pending until they are done

    assert event_publish(event.pk) == 2

    assert calls == [("first", event.pk), ("second", event.pk)]
    event.refresh_from_db()
    assert event.notified_at is not None
    assert set(EventDelivery.objects.filter(event=event).values_list("subscriber", flat=True)) == {
        "test.first",
        "test.second",
    }


def test_an_event_no_subscriber_takes_is_born_published(agent, alice):
    event = _held_event(make_incident(actor=agent, caller=alice))
    assert event.notified_at is not None
    assert not EventDelivery.objects.filter(event=event).exists()


def test_a_redelivered_event_runs_no_subscriber_twice(subscribed, agent, alice):
    calls: list[int] = []
    subscribed([HELD], "test.once", lambda e: calls.append(e.pk))
    event = _held_event(make_incident(actor=agent, caller=alice))
    event_publish(event.pk)
    event_publish(event.pk)  # a retried or redelivered task
    assert calls == [event.pk]


def test_the_notifications_subscriber_is_idempotent_on_its_own(agent, agent2, alice):
    incident = make_incident(actor=agent, caller=alice)
    event = IncidentEvent.objects.select_related("incident", "actor").get(incident=incident)
    notify_lifecycle(event)
    first = sorted(Notification.objects.filter(event=event).values_list("pk", flat=True))
    notify_lifecycle(event)  # what a crash between the work and its mark replays
    assert sorted(Notification.objects.filter(event=event).values_list("pk", flat=True)) == first
    assert len(first) == 2  # alice and agent2; the agent who logged it is not told


def test_a_failing_subscriber_stops_no_other_and_is_retried_with_backoff(subscribed, agent, alice):
    calls: list[str] = []
    broken = {"yes": True}

    def flaky(event):
        Counter.objects.create(name="flaky-wrote", value=1)  # rolled back with the failure
        if broken["yes"]:
            raise RuntimeError("search index unavailable")
        calls.append("flaky")

    subscribed([HELD], "test.flaky", flaky)
    subscribed([HELD], "test.steady", lambda e: calls.append("steady"))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        event = _held_event(make_incident(actor=agent, caller=alice))
        # When the first subscriber raises
        assert event_publish(event.pk) == 1
    # then the second still ran, the first's writes were rolled back, and it waits for its retry.
    assert calls == ["steady"]
    assert not Counter.objects.filter(name="flaky-wrote").exists()
    flaky_delivery = EventDelivery.objects.get(event=event, subscriber="test.flaky")
    assert flaky_delivery.attempts == 1 and "search index unavailable" in flaky_delivery.last_error
    assert flaky_delivery.next_attempt_at == start + timedelta(minutes=1)
    event.refresh_from_db()
    assert event.notified_at is None

    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert event.pk not in outbox_due(now=timezone.now(), older_than=timedelta(0), batch_size=10)
        event_publish(event.pk)  # not due yet: nothing runs
    assert calls == ["steady"]

    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        # still failing: the next wait doubles
        assert event.pk in outbox_due(now=timezone.now(), older_than=timedelta(0), batch_size=10)
        notifications_flush_task()
    flaky_delivery.refresh_from_db()
    assert flaky_delivery.attempts == 2
    assert flaky_delivery.next_attempt_at == start + timedelta(minutes=1 + 2)

    broken["yes"] = False
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        notifications_flush_task()  # beat's catch-up runs the due retry
    assert calls == ["steady", "flaky"]  # the steady subscriber did not run again
    assert Counter.objects.filter(name="flaky-wrote").exists()
    event.refresh_from_db()
    assert event.notified_at is not None


@override_settings(EVENT_DELIVERY_MAX_ATTEMPTS=2)
def test_a_subscriber_that_keeps_failing_is_given_up_with_an_error_log(subscribed, agent, alice, caplog):
    def broken(event):
        raise RuntimeError("never works")

    subscribed([HELD], "test.broken", broken)
    start = timezone.now()
    event = _held_event(make_incident(actor=agent, caller=alice))
    event_publish(event.pk, now=start)
    with caplog.at_level(logging.ERROR, logger="incidents.records.outbox"):
        event_publish(event.pk, now=start + timedelta(minutes=5))
    delivery = EventDelivery.objects.get(event=event, subscriber="test.broken")
    assert delivery.attempts == 2 and delivery.given_up_at is not None
    assert "test.broken gave up on event" in caplog.text
    event.refresh_from_db()
    assert event.notified_at is not None  # it no longer holds the outbox
    assert event.pk not in outbox_due(now=start + timedelta(hours=2), older_than=timedelta(0), batch_size=10)


def test_a_second_subscriber_on_resolved_does_not_drop_the_resolution_email(subscribed, agent, alice):
    from incidents import services

    surveys: list[int] = []
    subscribed([IncidentEvent.Kind.RESOLVED], "test.surveys", lambda e: surveys.append(e.pk))
    incident = make_incident(actor=agent, caller=alice)
    incident = services.incident_resolve(
        actor=agent,
        incident=incident,
        expected_version=None,
        resolution_code="workaround",
        resolution_notes="Restarted the spooler.",
    )
    resolved = incident.events.get(kind="resolved")
    event_publish(resolved.pk)
    assert surveys == [resolved.pk]
    assert Notification.objects.filter(event=resolved, recipient=alice, kind="incident_resolved").exists()


def test_a_batch_runs_each_events_subscribers_in_order_in_one_transaction(subscribed, agent, alice):
    # given two events of two subscribers, one of which reads for the whole batch first
    calls: list[tuple[str, int]] = []
    prepared: list[list[int]] = []
    subscribed(
        [HELD],
        "test.first",
        lambda e: calls.append(("first", e.pk)),
        prepare=lambda events: prepared.append([e.pk for e in events]),
    )
    subscribed([HELD], "test.second", lambda e: calls.append(("second", e.pk)))
    one, two = (_held_event(make_incident(actor=agent, caller=alice)) for _ in range(2))

    # when they are published as one batch
    assert events_publish([one.pk, two.pk]) == 4

    # then each event's subscribers ran in registration order, the batch was prepared once, both
    # events are published, and a redelivered batch runs nothing again
    assert calls == [("first", one.pk), ("second", one.pk), ("first", two.pk), ("second", two.pk)]
    assert prepared == [[one.pk, two.pk]]
    assert IncidentEvent.objects.filter(pk__in=[one.pk, two.pk], notified_at__isnull=True).count() == 0
    assert EventDelivery.objects.filter(event__in=[one, two], done_at__isnull=False).count() == 4
    assert events_publish([one.pk, two.pk]) == 0
    assert len(calls) == 4


def test_a_subscriber_failing_in_a_batch_rolls_it_back_and_the_batch_goes_event_by_event(
    subscribed, agent, alice
):
    # given a batch of two events whose second one a subscriber cannot take
    failing: list[int] = []

    def flaky(event):
        Counter.objects.create(name=f"flaky-{event.pk}", value=1)
        if event.pk in failing:
            raise RuntimeError("search index unavailable")

    subscribed([HELD], "test.steady", lambda e: Counter.objects.create(name=f"steady-{e.pk}", value=1))
    subscribed([HELD], "test.flaky", flaky)
    one, two = (_held_event(make_incident(actor=agent, caller=alice)) for _ in range(2))
    failing.append(two.pk)
    start = timezone.now()

    # when the batch is published
    assert events_publish([one.pk, two.pk], now=start) == 3

    # then what the batch's transaction wrote was rolled back and written again event by event (each
    # row once); only the failing delivery waits for its retry, and only its event stays pending
    assert sorted(
        Counter.objects.filter(name__regex=r"^(flaky|steady)-").values_list("name", flat=True)
    ) == sorted([f"steady-{one.pk}", f"flaky-{one.pk}", f"steady-{two.pk}"])
    failed = EventDelivery.objects.get(event=two, subscriber="test.flaky")
    assert failed.attempts == 1 and "search index unavailable" in failed.last_error
    assert failed.next_attempt_at == start + timedelta(minutes=1)
    assert EventDelivery.objects.get(event=two, subscriber="test.steady").done_at == start
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.notified_at == start and two.notified_at is None


# The import graph: no circle inside incidents/, and events.py imports only models (and the registry).

INCIDENTS = Path(__file__).resolve().parents[2] / "incidents"


def _module_level_imports(path: Path) -> set[str]:
    """The incidents modules a file imports when it is loaded (not inside functions, not for typing)."""
    tree = ast.parse(path.read_text())
    package = "incidents" + "".join(f".{p}" for p in path.relative_to(INCIDENTS).parent.parts)
    found: set[str] = set()

    def visit(stmts):
        for node in stmts:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(getattr(node, "orelse", []))
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("incidents"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    module = f"{base}.{node.module}" if node.module else base
                else:
                    module = node.module or ""
                if not module.startswith("incidents"):
                    continue
                for alias in node.names:
                    candidate = f"{module}.{alias.name}"
                    as_path = INCIDENTS.parent / Path(*candidate.split("."))
                    found.add(
                        candidate if as_path.with_suffix(".py").exists() or as_path.is_dir() else module
                    )

    visit(tree.body)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in INCIDENTS.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(INCIDENTS.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        graph[name] = {m.removesuffix(".__init__") for m in _module_level_imports(path)} - {name}
    return graph


def test_events_imports_only_the_models_and_the_hook_registry():
    graph = _graph()
    assert graph["incidents.records.events"] == {
        "incidents.records.models",
        "incidents.records.hooks",
        "incidents.records.texts",  # the system's messages: it imports nothing of the project
    }
    assert graph["incidents.records.hooks"] == set()
    assert graph["incidents.records.texts"] == set()


def test_there_is_no_import_circle_inside_incidents():
    graph = _graph()
    state: dict[str, int] = {}

    def walk(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                raise AssertionError(" → ".join([*trail, node, nxt]))
            if nxt not in state:
                walk(nxt, [*trail, node])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [])
