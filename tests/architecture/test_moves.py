"""One table of lifecycle moves (incidents.actions.MOVES) behind both the web and the API."""

from __future__ import annotations

import pytest

from incidents.models import TRANSITIONS, Status
from incidents.records import actions, apis, views
from tests.api.conftest import client_for as api_client_for
from tests.factories import make_incident
from tests.ui.conftest import client_for as web_client_for


def test_both_surfaces_offer_exactly_the_moves_of_the_table() -> None:
    assert set(apis.ACTION_VIEWS) == set(actions.MOVES)
    assert set(actions.MOVES) <= set(views.ACTIONS)
    # every move is a lifecycle transition (the web's extra entries are not: take, link, …)
    assert set(actions.MOVES) <= set(TRANSITIONS)


@pytest.mark.django_db
def test_a_reference_the_user_cannot_resolve_gets_the_same_message_on_both_surfaces(agent, alice) -> None:
    web_incident = make_incident(actor=agent, caller=alice)
    api_incident = make_incident(actor=agent, caller=alice)
    message = "There is no incident INC9999999."

    web = web_client_for(agent).post(
        f"/incidents/{web_incident.number}/cancel/",
        {"version": web_incident.version, "reason": "dup", "duplicate_of": "INC9999999"},
    )
    assert web.status_code == 400
    assert message in web.content.decode()

    api = api_client_for(agent).post(
        f"/api/v1/incidents/{api_incident.number}/cancel/",
        {"version": api_incident.version, "reason": "dup", "duplicate_of": "INC9999999"},
        format="json",
    )
    assert api.status_code == 400
    assert api.json() == {"detail": f"duplicate_of: {message}", "duplicate_of": [message]}
    web_incident.refresh_from_db()
    api_incident.refresh_from_db()
    assert web_incident.status == api_incident.status == Status.NEW


@pytest.mark.django_db
def test_a_move_does_the_same_through_either_surface(agent, alice) -> None:
    web_incident = make_incident(actor=agent, caller=alice)
    api_incident = make_incident(actor=agent, caller=alice)
    web = web_client_for(agent).post(
        f"/incidents/{web_incident.number}/escalate/",
        {"version": web_incident.version, "assignment_group": "network", "reason": "Switch port dead"},
    )
    assert web.status_code == 302
    api = api_client_for(agent).post(
        f"/api/v1/incidents/{api_incident.number}/escalate/",
        {"version": api_incident.version, "assignment_group": "network", "reason": "Switch port dead"},
        format="json",
    )
    assert api.status_code == 200, api.content
    web_incident.refresh_from_db()
    api_incident.refresh_from_db()
    for incident in (web_incident, api_incident):
        assert incident.assignment_group.slug == "network"
        assert incident.version == 2
