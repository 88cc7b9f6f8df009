"""Optimistic locking and the activity log (SPEC §2)."""

import threading

import pytest
from django.db import connections

from incidents import services
from incidents.errors import VersionConflict
from incidents.models import Incident, IncidentEvent
from tests.factories import group, make_incident, make_user


@pytest.mark.django_db
def test_a_stale_version_is_refused_with_who_changed_what(agent, tech, alice):
    incident = make_incident(actor=agent, caller=alice)
    seen_by_both = incident.version
    services.incident_escalate(
        actor=agent,
        incident=incident,
        expected_version=seen_by_both,
        assignment_group=group("technical-support"),
        reason="Hardware fault",
    )
    with pytest.raises(VersionConflict) as excinfo:
        services.incident_update(
            actor=agent, incident=incident, expected_version=seen_by_both, title="Changed"
        )
    conflict = excinfo.value
    assert conflict.expected == 1 and conflict.current == 2
    assert agent.username in conflict.message
    assert "Assignment group" in conflict.message  # the field as people read it, in their language
    incident.refresh_from_db()
    assert incident.title != "Changed"


@pytest.mark.django_db
def test_every_change_bumps_the_version_and_logs_old_and_new_values(agent, tech, alice):
    incident = make_incident(actor=agent, caller=alice, impact=2, urgency=2)
    incident = services.incident_update(
        actor=agent, incident=incident, expected_version=1, title="VPN drops every hour", urgency=1
    )
    incident = services.incident_escalate(
        actor=agent,
        incident=incident,
        expected_version=2,
        assignment_group=group("technical-support"),
        reason="Needs tier 2",
    )
    incident = services.incident_start(actor=tech, incident=incident, expected_version=3)
    assert incident.version == 4
    events = list(IncidentEvent.objects.filter(incident=incident).order_by("id"))
    assert [e.kind for e in events] == ["created", "updated", "escalated", "started"]
    assert [e.version for e in events] == [1, 2, 3, 4]
    assert events[1].changes == {
        "title": {"old": "Printer on floor 3 does not print", "new": "VPN drops every hour"},
        "urgency": {"old": 2, "new": 1},
        "priority": {"old": 3, "new": 2},
    }
    assert events[2].changes["assignment_group"] == {"old": "service-desk", "new": "technical-support"}
    assert events[2].changes["escalation_level"] == {"old": 0, "new": 1}
    assert events[2].body == "Needs tier 2"
    assert events[3].changes == {
        "status": {"old": "assigned", "new": "in_progress"},
        "assigned_to": {"old": None, "new": tech.username},
    }
    assert all(e.actor_id for e in events)


@pytest.mark.django_db
def test_the_activity_log_is_append_only(agent, alice):
    event = make_incident(actor=agent, caller=alice).events.get()
    event.body = "rewritten history"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


@pytest.mark.django_db(transaction=True)
def test_two_agents_saving_the_same_version_at_once_lose_no_update():
    agent_a = make_user("agent-a", groups=["service-desk"])
    agent_b = make_user("agent-b", groups=["service-desk"])
    caller = make_user("caller-c")
    incident = make_incident(actor=agent_a, caller=caller)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(actor, title):
        try:
            barrier.wait()
            services.incident_update(
                actor=actor, incident=Incident.objects.get(pk=incident.pk), expected_version=1, title=title
            )
            outcomes[title] = "saved"
        except VersionConflict:
            outcomes[title] = "conflict"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(agent_a, "Title from A")),
        threading.Thread(target=save, args=(agent_b, "Title from B")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(title for title, outcome in outcomes.items() if outcome == "saved")
    incident.refresh_from_db()
    assert incident.title == winner and incident.version == 2
    assert IncidentEvent.objects.filter(incident=incident, kind="updated").count() == 1


@pytest.mark.django_db
def test_a_colleagues_comment_does_not_refuse_an_edit_in_progress(agent, tech, alice):
    incident = make_incident(actor=agent, caller=alice)
    seen = incident.version
    services.incident_comment(actor=agent, incident=incident, body="Called the caller back", public=True)
    services.incident_consult(
        actor=agent, incident=incident, expected_version=seen, group=group("access"), question="Locked?"
    )
    resolved = services.incident_resolve(
        actor=agent,
        incident=incident,
        expected_version=seen,
        resolution_code="workaround",
        resolution_notes="Unlocked the account",
    )
    assert resolved.status == "resolved" and resolved.version == seen + 1
