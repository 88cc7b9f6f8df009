"""The sweep fires every threshold once, however often and however concurrently it runs."""

from __future__ import annotations

import threading

import pytest
import redis
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from incidents.models import Handoff, Incident, IncidentEvent, Notification, SlaState, SlaThresholdFire
from incidents.sla import clocks
from incidents.sla.sweep import sla_sweep
from servicedesk import celery_app
from tests.factories import group, make_incident, make_user
from tests.workers import app_broker, dedicated_broker_url

from .conftest import deliver, london

MONDAY = london(2026, 3, 23, 8, 0)
EVENING = london(2026, 3, 23, 18, 0)  # a P2's 8 business hours are over


def p2_for_network(actor, caller, **kw):
    return make_incident(
        actor=actor, caller=caller, impact=1, urgency=2, assignment_group=group("network"), now=MONDAY, **kw
    )


@pytest.mark.django_db
def test_breach_is_notified_once_when_sweep_runs_twice(
    agent, netops, netops2, incident_manager, manager, alice
):
    incident = p2_for_network(agent, alice, assigned_to=netops)  # assigned to a person: response met

    first = sla_sweep(now=EVENING)
    second = sla_sweep(now=EVENING)

    assert (first.fired, second.fired) == (3, 0)
    assert list(SlaThresholdFire.objects.values_list("target", "percent", "level").order_by("percent")) == [
        ("resolution", 75, 1),
        ("resolution", 90, 2),
        ("resolution", 100, 3),
    ]
    incident.refresh_from_db()
    assert incident.sla_state == SlaState.BREACHED
    assert incident.escalation_level == 3
    # the SLA has nothing left to fire; the network tier's OLA (2 business days) is at 75 % then
    assert incident.sla_next_check_at == london(2026, 3, 24, 13, 0)
    assert IncidentEvent.objects.filter(kind="sla_escalation").count() == 3

    deliver()
    deliver()
    sla_notes = Notification.objects.filter(event__kind__startswith="sla_")
    got = sorted(sla_notes.values_list("recipient__username", "kind", "key"))
    assert got == sorted(
        [
            ("im1", "sla_escalation", "resolution:75:1"),
            ("netops1", "sla_warning", "resolution:75:1"),
            ("netops2", "sla_warning", "resolution:75:1"),
            ("im1", "sla_escalation", "resolution:90:1"),
            ("netops1", "sla_warning", "resolution:90:1"),
            ("netops2", "sla_warning", "resolution:90:1"),
            ("mgr1", "sla_escalation", "resolution:100:1"),
            ("netops1", "sla_breach", "resolution:100:1"),
            ("netops2", "sla_breach", "resolution:100:1"),
        ]
    )
    assert sla_notes.filter(emailed_at__isnull=False).count() == 9
    assert (
        len(
            [
                m
                for m in mail.outbox
                if m.subject.startswith(f"[{incident.number}] ")
                and ("SLA" in m.subject or "Escalation" in m.subject)
            ]
        )
        == 9
    )
    assert "SLA breached" in next(
        m.subject for m in mail.outbox if m.to == ["netops1@example.org"] and "breached" in m.subject
    )


@pytest.mark.django_db
def test_thresholds_fire_at_their_time_and_not_before(agent, netops, alice):
    incident = p2_for_network(agent, alice)
    assert incident.sla_next_check_at == london(2026, 3, 23, 8, 22, 30)  # response 75 % of 30 min

    assert sla_sweep(now=london(2026, 3, 23, 8, 22)).fired == 0
    assert sla_sweep(now=london(2026, 3, 23, 8, 23)).fired == 1
    incident.refresh_from_db()
    assert incident.sla_state == SlaState.WARNING
    assert incident.sla_next_check_at == london(2026, 3, 23, 8, 27)


@pytest.mark.django_db
def test_an_unresolved_p2_leaves_tier_1_after_30_minutes_by_rule(agent, alice):
    incident = make_incident(actor=agent, caller=alice, impact=1, urgency=2, assigned_to=agent, now=MONDAY)

    sla_sweep(now=london(2026, 3, 23, 8, 29))
    incident.refresh_from_db()
    assert incident.assignment_group.slug == "service-desk"

    result = sla_sweep(now=london(2026, 3, 23, 8, 31))
    sla_sweep(now=london(2026, 3, 23, 8, 32))

    incident.refresh_from_db()
    assert result.escalated == 1
    assert incident.assignment_group.slug == "technical-support"
    assert incident.escalation_level == 1
    assert incident.max_tier_reached == 2
    event = IncidentEvent.objects.get(incident=incident, kind="escalated")
    assert event.actor is None and "rule" in event.body
    assert Handoff.objects.get(incident=incident, ended_at__isnull=True).by_rule == "p2-leaves-tier-1"


@pytest.mark.django_db
def test_thresholds_and_a_rule_due_in_one_check_are_written_in_their_order(agent, alice):
    # given an unassigned P2 at 08:31: its response (30 min) has passed 75, 90 and 100 %, and the rule
    # that moves a P2 out of tier 1 after 30 minutes is due
    incident = make_incident(actor=agent, caller=alice, impact=1, urgency=2, now=MONDAY)

    result = sla_sweep(now=london(2026, 3, 23, 8, 31))

    # then the batch wrote the thresholds' events and fires before the escalation read the incident:
    # the timeline has them first, each event with its fire, and the incident moved on with its state
    assert (result.fired, result.escalated) == (3, 1)
    kinds = list(
        IncidentEvent.objects.filter(incident=incident).order_by("pk").values_list("kind", flat=True)
    )
    fired = [n for n, kind in enumerate(kinds) if kind.startswith("sla_")]
    assert len(fired) == 3 and kinds.index("escalated") > max(fired)
    assert not IncidentEvent.objects.filter(
        incident=incident, kind__startswith="sla_", sla_fire__isnull=True
    ).exists()
    incident.refresh_from_db()
    assert incident.assignment_group.slug == "technical-support"
    assert incident.sla_state == SlaState.BREACHED


@pytest.fixture
def own_broker():
    """The test process's Celery app on the Redis database this test process claimed (no other
    suite on the machine uses it), emptied before and after."""
    url = dedicated_broker_url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    with app_broker(celery_app, url):
        yield client
    client.flushdb()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_notify_each_threshold_once(own_broker):
    agent = make_user("agent1", groups=["service-desk"])
    netops = make_user("netops1", groups=["network"])
    make_user("im1", roles=["Incident manager"])
    alice = make_user("alice1")
    for _ in range(30):
        p2_for_network(agent, alice, assigned_to=netops)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait()
            results.append(sla_sweep(now=EVENING, batch_size=5))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert not errors
    assert sum(r.fired for r in results) == 30 * 3
    assert SlaThresholdFire.objects.count() == 30 * 3
    assert IncidentEvent.objects.filter(kind__startswith="sla_").count() == 30 * 3
    deliver()
    # netops1 (assignee and member) and im1 at 75 and 90 %; netops1 at 100 % (no Manager user exists)
    sla_notes = Notification.objects.filter(event__kind__startswith="sla_")
    assert sla_notes.count() == 30 * 5
    assert sla_notes.values("event", "recipient").distinct().count() == 30 * 5


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing(own_broker):
    agent = make_user("agent1", groups=["service-desk"])
    netops = make_user("netops1", groups=["network"])
    alice = make_user("alice1")
    mail.outbox.clear()

    with pytest.raises(RuntimeError), transaction.atomic():
        p2_for_network(agent, alice, assigned_to=netops)
        assert sla_sweep(now=EVENING).fired == 3
        raise RuntimeError("the request failed after the sweep")

    assert Incident.objects.count() == 0
    assert SlaThresholdFire.objects.count() == 0
    assert own_broker.llen("celery") == 0  # no task was queued
    deliver()
    assert Notification.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_backlog_asks_once_for_helpers_and_a_small_sweep_does_not(agent, netops, alice):
    for _ in range(3):
        p2_for_network(agent, alice, assigned_to=netops)
    calls: list[int] = []

    small = sla_sweep(now=EVENING, batch_size=4, on_backlog=lambda: calls.append(1))
    assert (small.incidents, calls) == (3, [])  # one batch held it all: no backlog

    for _ in range(5):
        p2_for_network(agent, alice, assigned_to=netops)
    backlog = sla_sweep(now=EVENING, batch_size=2, on_backlog=lambda: calls.append(1))
    assert backlog.incidents >= 5
    assert calls == [1]  # asked once, after the first full batch
    assert backlog.fired == 5 * 3


@pytest.mark.django_db
def test_a_sweep_reads_the_fired_thresholds_once_per_batch(agent, netops, alice):
    for _ in range(4):
        p2_for_network(agent, alice, assigned_to=netops)
    sla_sweep(
        now=london(2026, 3, 23, 9, 0)
    )  # warm the configuration cache; nothing of the resolution due yet
    with CaptureQueriesContext(connection) as queries:
        assert sla_sweep(now=EVENING).fired == 12
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    # what fired (SLA and OLA) and the open hand-offs: read once for the batch, not once an incident
    assert sum('FROM "incidents_slathresholdfire"' in sql for sql in reads) == 1
    assert sum('FROM "incidents_handoff"' in sql for sql in reads) == 1
    assert sum('FROM "incidents_olathresholdfire"' in sql for sql in reads) == 1
    # 4 incidents × 3 thresholds: per incident one save, per threshold one savepoint with the event and
    # the fire (four statements); plus the claim, the version, the three reads, the escalation points
    # and the batch's own savepoint
    assert len(queries) <= 1 + 1 + 3 + 1 + 2 + 4 * (1 + 3 * 4)


@pytest.mark.django_db
def test_a_batch_writes_its_events_fires_and_clocks_together(agent, netops, alice):
    """A batch's writes do not grow with its incidents: its events, its fires and its incidents' clocks
    are written with one statement each (issue 25 §5: five statements an incident were most of the
    catch-up's time)."""
    sla_sweep(now=london(2026, 3, 23, 9, 0))  # warm the configuration cache

    def writes_of_a_sweep(incidents: int) -> list[str]:
        for _ in range(incidents):
            p2_for_network(agent, alice, assigned_to=netops)
        with CaptureQueriesContext(connection) as queries:
            assert sla_sweep(now=EVENING).fired == incidents * 3
        written = []
        for q in queries.captured_queries:
            words = q["sql"].split()
            if words[0] in ("INSERT", "UPDATE"):  # and the table
                written.append(f"{words[0]} {words[2] if words[0] == 'INSERT' else words[1]}")
            elif words[0] in ("SAVEPOINT", "RELEASE"):
                written.append(words[0])
        return sorted(written)

    two, six = writes_of_a_sweep(2), writes_of_a_sweep(6)
    assert two == six
    assert sum(sql.startswith("INSERT") for sql in six) == 2  # the events, then their fires
    assert sum(sql.startswith("UPDATE") for sql in six) == 1  # the incidents' clocks
    # and what they wrote is what a check one incident at a time writes (the first test of this module)
    for incident in Incident.objects.all():
        assert incident.sla_state == SlaState.BREACHED
        assert incident.escalation_level == 3
        assert incident.sla_next_check_at == london(2026, 3, 24, 13, 0)
        fires = SlaThresholdFire.objects.filter(incident=incident).order_by("percent")
        assert [(f.percent, f.level, f.event.kind) for f in fires] == [
            (75, 1, "sla_escalation"),
            (90, 2, "sla_escalation"),
            (100, 3, "sla_escalation"),
        ]


@pytest.mark.django_db
def test_a_threshold_fired_behind_the_batchs_back_fires_nothing_twice(
    agent, netops, alice, monkeypatch, caplog
):
    """The unique key stays the last line of defence of a batch written together: a fire that appears
    after the batch read what had fired (impossible while the sweep holds the rows; forced here) undoes
    the batch's writes, and the batch is checked again one incident at a time. Nothing fires twice, no
    event is left without its fire, and every clock is saved."""
    first = p2_for_network(agent, alice, assigned_to=netops)
    second = p2_for_network(agent, alice, assigned_to=netops)
    real = clocks.fired_remember_all

    def and_behind_its_back(batch):
        real(batch)
        if not SlaThresholdFire.objects.exists():
            SlaThresholdFire.objects.create(
                incident=first,
                cycle=first.sla_cycle,
                target="resolution",
                percent=75,
                level=1,
                group=group("network"),
                fired_at=EVENING,
                due_at=EVENING,
            )

    monkeypatch.setattr(clocks, "fired_remember_all", and_behind_its_back)

    assert sla_sweep(now=EVENING).fired == 2 + 3
    assert "checked again one by one" in caplog.text
    assert SlaThresholdFire.objects.filter(incident=first).count() == 3
    assert SlaThresholdFire.objects.filter(incident=second).count() == 3
    events = IncidentEvent.objects.filter(kind__startswith="sla_")
    assert (events.filter(incident=first).count(), events.filter(incident=second).count()) == (2, 3)
    assert not events.filter(sla_fire__isnull=True).exists()
    for incident in (first, second):
        incident.refresh_from_db()
        assert (incident.sla_state, incident.escalation_level) == (SlaState.BREACHED, 3)
        assert incident.sla_next_check_at == london(2026, 3, 24, 13, 0)
