"""List endpoints run a bounded number of queries whatever the page size (SPEC §13: at most 10)."""

from __future__ import annotations

import pytest

from incidents.models import Notification
from incidents.services import incident_assign, incident_comment
from tests.factories import group, make_incident

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10


@pytest.fixture
def busy(people):
    """Thirty incidents with assignees, callers, parents and comments, and notifications for the agent."""
    agent, alice, bob = people["agent"], people["alice"], people["bob"]
    parent = make_incident(actor=agent, caller=alice)
    for n in range(30):
        incident = make_incident(
            actor=agent,
            caller=alice if n % 2 else bob,
            parent=parent if n % 3 == 0 else None,
            assignment_group=group("network") if n % 4 == 0 else None,
        )
        if n % 5 == 0 and incident.assignment_group.slug == "service-desk":
            incident_assign(
                actor=agent, incident=incident, expected_version=incident.version, assigned_to=agent
            )
        incident_comment(actor=agent, incident=parent, body=f"Update {n}", public=n % 2 == 0)
        Notification.objects.create(recipient=agent, incident=incident, kind="x", subject=f"News {n}")
    return parent


@pytest.mark.parametrize("page_size", [1, 25, 100])
@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("agent", "/api/v1/incidents/"),
        ("alice", "/api/v1/incidents/"),
        ("agent", "/api/v1/incidents/?status=new&priority=3&caller=alice&q=printer&ordering=-updated_at"),
        ("agent", "/api/v1/incidents/{parent}/comments/"),
        ("alice", "/api/v1/incidents/{parent}/comments/"),
        ("agent", "/api/v1/notifications/"),
        ("agent", "/api/v1/groups/"),
        ("agent", "/api/v1/escalation-register/"),
        ("agent", "/api/v1/sla-policies/"),
    ],
)
def test_a_list_page_costs_a_bounded_number_of_queries(
    clients, busy, role, path, page_size, django_assert_max_num_queries
):
    url = path.format(parent=busy.number)
    url += ("&" if "?" in url else "?") + f"page_size={page_size}"
    with django_assert_max_num_queries(MAX_QUERIES):
        response = clients[role].get(url)
    assert response.status_code == 200
    assert len(response.json()["results"]) >= 1
