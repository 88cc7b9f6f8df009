"""OLA per tier (SPEC §6, issue 13): each hand-off's time to accept and to hand back fires its
warnings and breach once, through the SLA sweep's claim; recorded per hand-off for the reports."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from escalation.models import EscalationPoint, Membership
from incidents import services
from incidents.models import Handoff, IncidentEvent, Notification, OlaThresholdFire
from incidents.sla.sweep import sla_sweep
from tests.factories import group, make_incident, make_user

from .conftest import deliver, london
from .test_sweep import own_broker  # noqa: F401 - the fixture

MONDAY = london(2026, 3, 23, 8, 0)


def at(h: int, m: int = 0, day: int = 23):
    return london(2026, 3, day, h, m)


def ola_fires(incident):
    return list(
        OlaThresholdFire.objects.filter(incident=incident)
        .order_by("id")
        .values_list("tier", "target", "percent")
    )


@pytest.fixture
def tech(db):
    return make_user("tech1", groups=["technical-support"])


def escalate(actor, incident, slug, when):
    return services.incident_escalate(
        actor=actor,
        incident=incident,
        expected_version=None,
        assignment_group=group(slug),
        reason="Next tier",
        now=when,
    )


@pytest.mark.django_db
def test_hand_offs_across_three_tiers_with_a_pause_fire_each_tiers_ola_at_its_time(
    agent, tech, netops, alice
):
    incident = make_incident(actor=agent, caller=alice, now=MONDAY)  # P3, tier 1: hand back within 30 min
    incident = services.incident_start(actor=agent, incident=incident, expected_version=None, now=at(8, 10))
    incident = escalate(agent, incident, "technical-support", at(8, 20))  # tier 2: accept 60 min, 4 h in all
    assert incident.ola_due_at == at(12, 20)

    sla_sweep(now=at(9, 10))  # accept at 75 % (09:05) has passed, 90 % (09:14) has not
    incident = services.incident_start(actor=tech, incident=incident, expected_version=None, now=at(9, 12))
    incident = services.incident_hold(
        actor=tech, incident=incident, expected_version=None, reason="awaiting_caller", now=at(9, 30)
    )
    assert sla_sweep(now=at(11, 0)).ola_fired == 0  # paused
    incident = services.incident_resume(actor=tech, incident=incident, expected_version=None, now=at(11, 30))
    assert incident.ola_due_at == at(14, 20)  # two business hours on hold move it on by two hours
    assert sla_sweep(now=at(13, 10)).ola_fired == 0  # hand back at 75 % is 13:20
    assert sla_sweep(now=at(13, 30)).ola_fired == 1
    incident.refresh_from_db()
    assert incident.ola_state == "warning"

    incident = escalate(tech, incident, "network", at(13, 40))  # tier 3: accept 2 h, 2 business days
    assert incident.ola_state == "on_track"
    assert sla_sweep(now=at(15, 41)).ola_fired == 3  # accept 75 %, 90 %, 100 %
    incident.refresh_from_db()
    assert incident.ola_state == "breached"
    services.incident_start(actor=netops, incident=incident, expected_version=None, now=at(16, 0))
    sla_sweep(now=at(16, 30))

    assert ola_fires(incident) == [
        (2, "accept", 75),
        (2, "handback", 75),
        (3, "accept", 75),
        (3, "accept", 90),
        (3, "accept", 100),
    ]
    handoffs = list(
        Handoff.objects.filter(incident=incident).values_list(
            "tier", "accepted_at", "accept_due_at", "due_at", "paused_seconds", "ended_at"
        )
    )
    assert handoffs == [
        (1, at(8, 10), None, at(8, 30), 0, at(8, 20)),
        (2, at(9, 12), at(9, 20), at(14, 20), 2 * 3600, at(13, 40)),
        (3, at(16, 0), at(15, 40), at(13, 40, day=25), 0, None),
    ]
    fires = OlaThresholdFire.objects.filter(incident=incident)
    assert all(f.fired_at == f.due_at or f.fired_at > f.due_at for f in fires)
    assert IncidentEvent.objects.filter(incident=incident, kind="ola_threshold").count() == 5


@pytest.mark.django_db
def test_a_reassignment_mid_threshold_ends_the_old_tiers_clock_and_starts_a_fresh_one(
    agent, incident_manager, alice
):
    incident = make_incident(
        actor=agent, caller=alice, assignment_group=group("technical-support"), now=MONDAY
    )  # tier 2, not accepted: 75 % of the hour at 08:45, 90 % at 08:54
    sla_sweep(now=at(8, 50))
    incident.refresh_from_db()
    assert incident.ola_state == "warning"

    incident = escalate(incident_manager, incident, "network", at(8, 52))
    assert (
        sla_sweep(now=at(9, 30)).ola_fired == 0
    )  # tier 2's 90 % and 100 % went with it; tier 3's 75 % is 10:22
    incident = escalate(
        incident_manager, incident, "technical-support", at(9, 40)
    )  # back to tier 2: a new hand-off
    sla_sweep(now=at(10, 40))

    assert ola_fires(incident) == [
        (2, "accept", 75),
        (2, "accept", 75),
        (2, "accept", 90),
        (2, "accept", 100),
    ]
    first, _, again = Handoff.objects.filter(incident=incident).order_by("id")
    assert set(OlaThresholdFire.objects.filter(handoff=first).values_list("percent", flat=True)) == {75}
    assert OlaThresholdFire.objects.filter(handoff=again).count() == 3
    assert sla_sweep(now=at(10, 40)).ola_fired == 0


@pytest.mark.django_db
def test_the_groups_lead_and_its_ola_points_of_escalation_are_told_once(agent, tech, incident_manager, alice):
    second = make_user("tech2", groups=["technical-support"])
    Membership.objects.filter(user=tech).update(is_lead=True)
    EscalationPoint.objects.create(
        group=group("technical-support"), level=1, target="ola", percent=100, user=incident_manager
    )
    make_incident(actor=agent, caller=alice, assignment_group=group("technical-support"), now=MONDAY)
    sla_sweep(now=at(9, 5))
    sla_sweep(now=at(9, 5))
    deliver()
    deliver()

    got = sorted(Notification.objects.filter(kind="ola_threshold").values_list("recipient__username", "key"))
    keys = [k.split(":", 1)[1] for _, k in got]
    assert [u for u, _ in got].count("tech1") == 3  # the lead hears of 75, 90 and 100 %
    assert [u for u, _ in got].count("im1") == 1 and "accept:100" in keys  # the OLA point only of its percent
    assert not Notification.objects.filter(kind="ola_threshold", recipient=second).exists()
    subject = Notification.objects.filter(kind="ola_threshold", recipient=incident_manager).get().subject
    assert "OLA breached: tier 2 time to accept" in subject


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_fire_each_ola_threshold_once(own_broker):  # noqa: F811
    agent = make_user("agent1", groups=["service-desk"])
    alice = make_user("alice1")
    for _ in range(20):
        make_incident(actor=agent, caller=alice, assignment_group=group("technical-support"), now=MONDAY)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait()
            results.append(sla_sweep(now=at(9, 5), batch_size=3))
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
    assert sum(r.ola_fired for r in results) == 20 * 3
    assert OlaThresholdFire.objects.count() == 20 * 3
    assert IncidentEvent.objects.filter(kind="ola_threshold").count() == 20 * 3


@pytest.mark.django_db(transaction=True)
def test_an_ola_breach_reaches_the_lead_once_through_real_workers(celery_worker_process):
    from datetime import timedelta

    from django.utils import timezone

    from escalation.models import BusinessCalendar, SLAPolicy
    from incidents.notifications.tasks import notifications_flush_task
    from incidents.sla.tasks import sla_sweep_task
    from tests.workers import wait_for

    # around the clock, so that "two hours ago" is two hours of OLA whatever the time of day
    SLAPolicy.objects.filter(slug="default").update(calendar=BusinessCalendar.objects.get(slug="24x7"))
    SLAPolicy.objects.get(slug="default").targets.update(calendar=None)
    agent = make_user("agent1", groups=["service-desk"])
    lead = make_user("tech1", groups=["technical-support"])
    Membership.objects.filter(user=lead).update(is_lead=True)
    alice = make_user("alice1")
    incidents = [
        make_incident(
            actor=agent,
            caller=alice,
            assignment_group=group("technical-support"),
            now=timezone.now() - timedelta(hours=2),
        )
        for _ in range(4)
    ]
    notes = Notification.objects.filter(kind="ola_threshold", recipient=lead)

    def emailed() -> bool:
        """every accept threshold of every incident fired and was emailed to the lead"""
        return notes.filter(emailed_at__isnull=False).count() == 4 * 3

    sla_sweep_task.delay()
    sla_sweep_task.delay()
    wait_for(emailed, deadline_s=60, every=lambda: (sla_sweep_task.delay(), notifications_flush_task.delay()))
    assert OlaThresholdFire.objects.filter(incident__in=incidents).count() == 4 * 3
    assert notes.values("event").distinct().count() == 4 * 3


@pytest.mark.django_db
def test_an_open_incident_without_a_hand_off_is_not_looked_at_every_minute(agent, alice):
    # given an open tier-2 incident whose hand-off row is missing (logged before hand-offs were recorded,
    # or loaded in bulk): its tier's time to accept passed at 08:45, 08:54 and 09:00
    incident = make_incident(
        actor=agent, caller=alice, assignment_group=group("technical-support"), now=MONDAY
    )
    Handoff.objects.filter(incident=incident).delete()

    # when the sweep looks at it after those thresholds
    sla_sweep(now=at(9, 30))

    # then nothing of the OLA fires (only a hand-off's thresholds do), and the sweep does not come back
    # a minute later, nor the minute after, for thresholds it can never fire
    incident.refresh_from_db()
    assert ola_fires(incident) == []
    assert incident.sla_next_check_at > at(9, 31)
    assert sla_sweep(now=at(9, 32)).incidents == 0
