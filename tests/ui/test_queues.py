"""Queues: which incidents each queue holds, filters, search, sorting, keyset pages, bulk moves."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from incidents.records import ordering
from tests.factories import group, make_incident
from tests.ui.conftest import client_for


def numbers(response) -> list[str]:
    return [i.number for i in response.context["page"].rows]


@pytest.fixture
def board(agent, agent2, tech, alice):
    """One incident per situation."""
    now = timezone.now()
    mine = make_incident(actor=agent, caller=alice, title="Mine", assigned_to=agent)
    unassigned = make_incident(actor=agent, caller=alice, title="Unassigned", impact=1, urgency=1)
    colleague = make_incident(actor=agent, caller=alice, title="Colleague", assigned_to=agent2)
    escalated = make_incident(actor=agent, caller=alice, title="Escalated")
    services.incident_escalate(
        actor=agent,
        incident=escalated,
        expected_version=1,
        assignment_group=group("technical-support"),
        reason="tier 2",
    )
    held = make_incident(actor=agent, caller=alice, title="Held", assigned_to=agent)
    services.incident_hold(
        actor=agent, incident=held, expected_version=held.version, reason="awaiting_vendor"
    )
    resolved = make_incident(actor=agent, caller=alice, title="Resolved")
    services.incident_resolve(
        actor=agent,
        incident=resolved,
        expected_version=1,
        resolution_code="user_guidance",
        resolution_notes="Explained",
        now=now,
    )
    return {k: v.number for k, v in locals().items() if isinstance(v, Incident)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("mine", {"mine", "held"}),
        ("groups", {"mine", "unassigned", "colleague", "held"}),
        ("unassigned", {"unassigned"}),
        ("open", {"mine", "unassigned", "colleague", "escalated", "held"}),
        ("on_hold", {"held"}),
        ("resolved", {"resolved"}),
    ],
)
def test_each_queue_holds_its_incidents(agent, board, queue, expected):
    response = client_for(agent).get("/incidents/", {"queue": queue})
    assert response.status_code == 200
    assert set(numbers(response)) == {board[k] for k in expected}


@pytest.mark.django_db
def test_tier_two_lands_on_its_groups_queue(tech, board):
    client = client_for(tech)
    assert client.get("/").url == "/incidents/?queue=groups"
    assert set(numbers(client.get("/incidents/?queue=groups"))) == {board["escalated"]}


@pytest.mark.django_db
def test_agents_land_on_the_service_desk_queue(agent, board):
    client = client_for(agent)
    assert client.get("/").url == "/incidents/"
    response = client.get("/incidents/")
    assert response.context["queue"].slug == "groups"
    assert board["escalated"] not in numbers(response)


@pytest.mark.django_db
def test_filters_narrow_the_queue(agent, board):
    client = client_for(agent)
    assert numbers(client.get("/incidents/", {"queue": "all", "priority": 1})) == [board["unassigned"]]
    assert numbers(client.get("/incidents/", {"queue": "all", "group": "technical-support"})) == [
        board["escalated"]
    ]
    assert set(numbers(client.get("/incidents/", {"queue": "all", "assignee": "agent2"}))) == {
        board["colleague"]
    }
    assert set(numbers(client.get("/incidents/", {"queue": "all", "status": "on_hold"}))) == {board["held"]}
    today = timezone.localdate()
    assert len(numbers(client.get("/incidents/", {"queue": "all", "created_after": today}))) == 6
    assert (
        numbers(client.get("/incidents/", {"queue": "all", "created_before": today - timedelta(days=1)}))
        == []
    )


@pytest.mark.django_db
def test_full_text_search(agent, alice, board):
    make_incident(actor=agent, caller=alice, title="Outlook crashes on start", description="mailbox corrupt")
    client = client_for(agent)
    found = numbers(client.get("/incidents/", {"queue": "all", "q": "outlook"}))
    assert len(found) == 1
    assert numbers(client.get("/incidents/", {"queue": "all", "q": board["held"]})) == [board["held"]]


@pytest.mark.django_db
def test_keyset_pages_walk_every_incident_once_in_order(agent, alice):
    start = timezone.now() - timedelta(hours=1)
    made = [
        make_incident(actor=agent, caller=alice, title=f"n{i}", now=start + timedelta(minutes=i % 7)).number
        for i in range(60)
    ]
    client = client_for(agent)
    for sort in ordering.QUEUE_SORTS:
        seen: list[str] = []
        params = {"queue": "all", "sort": sort}
        while True:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get("/incidents/", params)
            assert not any("OFFSET" in q["sql"] for q in ctx.captured_queries)
            seen += numbers(response)
            cursor = response.context["page"].next_cursor
            if not cursor:
                break
            params["cursor"] = cursor
        assert sorted(seen) == sorted(made), sort
        assert len(seen) == len(set(seen)) == 60, sort
        back = numbers(response)  # the "Previous page" links walk the same pages back to the first
        while cursor := response.context["page"].previous_cursor:
            response = client.get("/incidents/", {**params, "cursor": cursor})
            back = numbers(response) + back
        assert back == seen, sort


@pytest.mark.django_db
def test_a_forged_cursor_starts_again_from_the_top(agent, board):
    response = client_for(agent).get("/incidents/", {"queue": "all", "cursor": "not-a-cursor!!"})
    assert response.status_code == 200
    assert len(numbers(response)) == 6
    assert "That page link is not valid" in response.content.decode()


@pytest.mark.django_db
def test_bulk_assign_reports_each_incident(agent, agent2, board):
    unassigned = Incident.objects.get(number=board["unassigned"])
    escalated = Incident.objects.get(number=board["escalated"])
    response = client_for(agent).post(
        "/incidents/bulk/",
        {
            "operation": "assign",
            "assigned_to": "agent2",
            "selected": [
                f"{unassigned.number}:{unassigned.version}",
                f"{escalated.number}:{escalated.version}",
            ],
        },
        follow=True,
    )
    body = response.content.decode()
    unassigned.refresh_from_db()
    assert unassigned.assigned_to == agent2
    assert f"{unassigned.number} assigned to agent2" in body
    assert f"Not changed: {escalated.number}" in body


@pytest.mark.django_db
def test_bulk_move_with_a_stale_version_changes_only_the_fresh_ones(agent, board):
    held = Incident.objects.get(number=board["mine"])
    other = Incident.objects.get(number=board["colleague"])
    response = client_for(agent).post(
        "/incidents/bulk/",
        {
            "operation": "move",
            "assignment_group": "network",
            "selected": [f"{held.number}:{held.version - 1 or 99}", f"{other.number}:{other.version}"],
        },
        follow=True,
    )
    body = response.content.decode()
    assert Incident.objects.get(pk=other.pk).assignment_group.slug == "network"
    assert Incident.objects.get(pk=held.pk).assignment_group.slug == "service-desk"
    assert f"Not changed: {held.number}" in body and "was changed after you opened it" in body


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["//evil.example/phish", "https://evil.example/", "javascript:alert(1)"])
def test_bulk_actions_never_redirect_off_site(agent, board, target):
    unassigned = Incident.objects.get(number=board["unassigned"])
    response = client_for(agent).post(
        "/incidents/bulk/",
        {
            "operation": "assign",
            "assigned_to": "agent2",
            "selected": [f"{unassigned.number}:{unassigned.version}"],
            "next": target,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
