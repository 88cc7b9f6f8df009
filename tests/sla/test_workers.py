"""The SLA engine through real Celery workers and a real Redis broker (SPEC §13)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from escalation.models import BusinessCalendar, SLAPolicy, SLATarget
from incidents import services
from incidents.models import Incident, IncidentEvent, Notification, SlaThresholdFire
from incidents.notifications.tasks import notifications_flush_task
from incidents.sla.tasks import sla_sweep_task
from servicedesk import celery_app
from tests import workers
from tests.factories import PASSWORD, group, make_incident, make_user
from tests.workers import CeleryWorker, OwnRedis, app_broker, free_port, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def sla_notifications():
    return Notification.objects.filter(event__kind__startswith="sla_")


def people():
    agent = make_user("agent1", groups=["service-desk"])
    netops = make_user("netops1", groups=["network"])
    make_user("im1", roles=["Incident manager"])
    return agent, netops, make_user("alice1")


def overdue_p1(agent, netops, alice, *, hours: float = 5) -> Incident:
    """A P1 (4 h around the clock) logged ``hours`` ago: its resolution thresholds are all due."""
    return make_incident(
        actor=agent,
        caller=alice,
        impact=1,
        urgency=1,
        assignment_group=group("network"),
        assigned_to=netops,
        now=timezone.now() - timedelta(hours=hours),
    )


def test_a_worker_killed_mid_sweep_leaves_every_threshold_notified_exactly_once(celery_worker_process):
    agent, netops, alice = people()
    count = 120
    for _ in range(count):
        overdue_p1(agent, netops, alice)
    expected = count * 3

    sla_sweep_task.apply_async(kwargs={"batch_size": 4})
    wait_for(lambda: SlaThresholdFire.objects.exists(), deadline_s=60, poll_s=0.02)
    celery_worker_process.kill()  # SIGKILL the process group in the middle of the sweep
    fired_at_kill = SlaThresholdFire.objects.count()
    assert 0 < fired_at_kill < expected

    celery_worker_process.restart()

    def done() -> bool:
        """all thresholds fired, fanned out and emailed"""
        return (
            SlaThresholdFire.objects.count() == expected
            and not IncidentEvent.objects.filter(kind__startswith="sla_", notified_at__isnull=True).exists()
            and sla_notifications().count() == count * 5
            and not sla_notifications().filter(emailed_at__isnull=True).exists()
        )

    def nudge() -> None:
        sla_sweep_task.delay()
        notifications_flush_task.delay()

    wait_for(done, deadline_s=120, every=nudge)
    assert IncidentEvent.objects.filter(kind__startswith="sla_").count() == expected
    assert sla_notifications().values("event", "recipient", "kind").distinct().count() == count * 5
    assert not Incident.objects.filter(sla_next_check_at__lte=timezone.now()).exists()


@pytest.fixture
def own_redis():
    server = OwnRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def timed(fn, *args, **kwargs):
    start = time.monotonic()
    result = fn(*args, **kwargs)
    elapsed = time.monotonic() - start
    assert elapsed < 5, f"{getattr(fn, '__name__', fn)} hung for {elapsed:.1f} s with the broker down"
    return result


def test_with_redis_down_incidents_are_worked_and_thresholds_are_caught_up_when_it_returns(
    own_redis, tmp_path
):
    agent, netops, alice = people()
    with app_broker(celery_app, own_redis.url):
        own_redis.stop()

        incident = timed(make_incident, actor=agent, caller=alice, impact=2, urgency=2)
        incident = timed(
            services.incident_assign, actor=agent, incident=incident, expected_version=None, assigned_to=agent
        )
        incident = timed(services.incident_start, actor=agent, incident=incident, expected_version=None)
        timed(services.incident_comment, actor=agent, incident=incident, body="Looking at it", public=True)
        incident = timed(
            services.incident_resolve,
            actor=agent,
            incident=incident,
            expected_version=None,
            resolution_code="workaround",
            resolution_notes="Cleared the queue.",
        )
        overdue = timed(overdue_p1, agent, netops, alice)
        client = Client()
        assert client.login(username="agent1", password=PASSWORD)
        response = timed(client.get, f"/incidents/{incident.number}/")
        assert response.status_code == 200
        assert timed(client.get, "/escalation/").status_code == 200
        assert not SlaThresholdFire.objects.exists()  # nobody swept while the broker was down

        own_redis.start()
        worker = CeleryWorker(
            database_url=workers.test_database_url(), broker_url=own_redis.url, work_dir=tmp_path / "w"
        )
        worker.start()
        try:
            sla_sweep_task.delay()

            def caught_up() -> bool:
                """the overdue thresholds were fired and emailed"""
                notes = sla_notifications().filter(incident=overdue)
                return notes.count() == 5 and not notes.filter(emailed_at__isnull=True).exists()

            wait_for(caught_up, deadline_s=60)
        except BaseException:
            worker.dump_log()
            raise
        finally:
            worker.stop()
    assert SlaThresholdFire.objects.filter(incident=overdue).count() == 3


def test_a_breach_reaches_its_recipients_once_through_a_worker_with_beat(tmp_path):
    agent, netops, alice = people()
    SLAPolicy.objects.update(is_default=False)
    short = SLAPolicy.objects.create(
        slug="short", name="One minute", calendar=BusinessCalendar.objects.get(slug="24x7"), is_default=True
    )
    for priority in range(1, 6):
        SLATarget.objects.create(policy=short, priority=priority, response_minutes=60, resolution_minutes=1)
    incident = make_incident(
        actor=agent,
        caller=alice,
        assignment_group=group("network"),
        assigned_to=netops,
        now=timezone.now() - timedelta(seconds=50),
    )
    assert incident.sla_policy_slug == "short"
    worker = CeleryWorker(
        database_url=workers.test_database_url(),
        broker_url="redis://127.0.0.1:6379/14",
        work_dir=tmp_path / "beat",
        beat=True,
        extra_env={"SLA_SWEEP_INTERVAL": "2"},
    )
    with app_broker(celery_app, worker.broker_url):
        worker.start()
        try:
            breach = sla_notifications().filter(incident=incident, kind="sla_breach")

            def breach_emailed() -> bool:
                """the breach was emailed to the assignee"""
                return breach.filter(emailed_at__isnull=False).exists()

            wait_for(breach_emailed, deadline_s=60)
            time.sleep(6)  # three more beats: nothing fires twice
        except BaseException:
            worker.dump_log()
            raise
        finally:
            worker.stop()
            worker.purge()
    assert list(breach.values_list("recipient__username", flat=True)) == ["netops1"]
    assert SlaThresholdFire.objects.filter(incident=incident).count() == 3
    assert sla_notifications().filter(incident=incident).count() == 3 + 2  # netops1 ×3, im1 at 75 % and 90 %
