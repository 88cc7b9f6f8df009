"""Due times applied to incidents by the services, on the default policy (SPEC §6)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from escalation.models import SLATarget
from incidents import services
from incidents.models import SlaState
from tests.factories import group, make_incident

from .conftest import london

pytestmark = pytest.mark.django_db

FRIDAY_BEFORE_DST = london(2026, 3, 27, 17, 0)


@pytest.mark.parametrize(
    ("impact", "urgency", "priority", "response_due", "resolution_due"),
    [
        # P1 runs around the clock: 15 min / 4 h.
        (1, 1, 1, london(2026, 3, 27, 17, 15), london(2026, 3, 27, 21, 0)),
        # P2 30 min / 8 business hours: 1 h on Friday, the weekend and the clock change skipped.
        (1, 2, 2, london(2026, 3, 27, 17, 30), london(2026, 3, 30, 15, 0)),
        # P3 4 h / 3 business days.
        (2, 2, 3, london(2026, 3, 30, 11, 0), london(2026, 4, 1, 17, 0)),
        # P4 1 / 5 business days: Good Friday and Easter Monday are holidays.
        (2, 3, 4, london(2026, 3, 30, 17, 0), london(2026, 4, 7, 17, 0)),
        # P5 2 / 10 business days.
        (3, 3, 5, london(2026, 3, 31, 17, 0), london(2026, 4, 14, 17, 0)),
    ],
)
def test_due_times_for_every_priority_across_weekend_holidays_and_dst(
    agent, alice, impact, urgency, priority, response_due, resolution_due
):
    incident = make_incident(actor=agent, caller=alice, impact=impact, urgency=urgency, now=FRIDAY_BEFORE_DST)

    assert incident.priority == priority
    assert incident.sla_policy_slug == "default"
    assert incident.response_due_at == response_due
    assert incident.resolution_due_at == resolution_due
    assert incident.sla_state == SlaState.ON_TRACK
    # the first threshold is the response warning at 75 %
    assert incident.sla_next_check_at is not None and incident.sla_next_check_at < response_due


def test_a_pause_awaiting_the_caller_across_a_weekend_keeps_the_time_left(agent, alice):
    incident = make_incident(
        actor=agent, caller=alice, impact=2, urgency=2, assigned_to=agent, now=london(2026, 3, 19, 10, 0)
    )
    assert incident.resolution_due_at == london(2026, 3, 24, 10, 0)

    incident = services.incident_hold(
        actor=agent,
        incident=incident,
        expected_version=None,
        reason="awaiting_caller",
        now=london(2026, 3, 20, 10),
    )
    assert incident.sla_state == SlaState.PAUSED
    assert incident.sla_next_check_at is None

    incident = services.incident_resume(
        actor=agent, incident=incident, expected_version=None, now=london(2026, 3, 23, 10, 0)
    )
    # 10 business hours on hold (Friday 8 h, Monday 2 h): 20 h were left, so Wednesday 10:00.
    assert incident.sla_paused_seconds == 10 * 3600
    assert incident.resolution_due_at == london(2026, 3, 25, 10, 0)
    assert incident.sla_state == SlaState.ON_TRACK


def test_a_hold_awaiting_a_vendor_does_not_stop_the_clock(agent, alice):
    incident = make_incident(
        actor=agent, caller=alice, impact=2, urgency=2, assigned_to=agent, now=london(2026, 3, 19, 10, 0)
    )
    incident = services.incident_hold(
        actor=agent,
        incident=incident,
        expected_version=None,
        reason="awaiting_vendor",
        now=london(2026, 3, 20, 10),
    )
    assert incident.sla_state == SlaState.ON_TRACK
    assert incident.resolution_due_at == london(2026, 3, 24, 10, 0)


def test_a_priority_change_half_way_keeps_the_elapsed_time(agent, alice):
    incident = make_incident(actor=agent, caller=alice, impact=2, urgency=2, now=london(2026, 3, 23, 8, 0))
    assert incident.resolution_due_at == london(2026, 3, 25, 18, 0)

    incident = services.incident_update(
        actor=agent,
        incident=incident,
        expected_version=incident.version,
        urgency=1,
        now=london(2026, 3, 23, 13),
    )
    # 5 of P2's 8 business hours are gone: due at 16:00; its 30-minute response is overdue.
    assert incident.priority == 2
    assert incident.resolution_due_at == london(2026, 3, 23, 16, 0)
    assert incident.response_due_at == london(2026, 3, 23, 8, 30)
    assert incident.sla_state == SlaState.BREACHED
    assert incident.sla_next_check_at == london(2026, 3, 23, 8, 22, 30)  # response 75 %, not fired yet


def test_a_reopen_starts_a_new_cycle_with_fresh_targets(agent, alice):
    incident = make_incident(
        actor=agent, caller=alice, impact=1, urgency=2, assigned_to=agent, now=london(2026, 3, 23, 8, 0)
    )
    incident = services.incident_resolve(
        actor=agent,
        incident=incident,
        expected_version=None,
        resolution_code="workaround",
        resolution_notes="Restarted.",
        now=london(2026, 3, 23, 10, 0),
    )
    assert incident.sla_state == SlaState.MET
    assert incident.sla_next_check_at is None

    incident = services.incident_reopen(
        actor=alice,
        incident=incident,
        expected_version=None,
        reason="Broken again",
        now=london(2026, 3, 24, 9),
    )
    assert incident.sla_cycle == 2
    assert incident.sla_started_at == london(2026, 3, 24, 9, 0)
    assert incident.resolution_due_at == london(2026, 3, 24, 17, 0)
    assert incident.response_due_at == london(2026, 3, 23, 8, 30)  # met in the first cycle, kept
    assert incident.sla_state == SlaState.ON_TRACK


def test_ola_due_follows_the_current_tier(agent, netops, alice):
    incident = make_incident(actor=agent, caller=alice, impact=2, urgency=2, now=london(2026, 3, 23, 8, 0))
    assert incident.ola_due_at == london(2026, 3, 23, 8, 30)  # tier 1: 30 min

    incident = services.incident_escalate(
        actor=agent,
        incident=incident,
        expected_version=None,
        assignment_group=group("network"),
        reason="Switch fault",
        now=london(2026, 3, 23, 9, 0),
    )
    assert incident.ola_due_at == london(2026, 3, 25, 9, 0)  # tier 3: two business days


def test_recompute_applies_a_changed_policy_to_open_incidents(agent, alice):
    incident = make_incident(actor=agent, caller=alice, impact=2, urgency=2, now=london(2026, 3, 23, 8, 0))
    SLATarget.objects.filter(policy__slug="default", priority=3).update(resolution_minutes=60)

    call_command("sla_recompute")

    incident.refresh_from_db()
    assert incident.resolution_due_at == london(2026, 3, 23, 9, 0)
