"""One table of the incident's actions (incidents.records.actions.ACTIONS) behind both the web and the API."""

from __future__ import annotations

import ast
import inspect

import pytest

from incidents.models import TRANSITIONS, Status
from incidents.records import actions, apis, views
from tests.api.conftest import client_for as api_client_for
from tests.factories import make_incident
from tests.ui.conftest import client_for as web_client_for


def test_the_api_offers_exactly_the_rows_with_a_serializer_and_each_is_a_lifecycle_move() -> None:
    offered = {name for name, action in actions.ACTIONS.items() if action.serializer is not None}
    assert set(apis.ACTION_VIEWS) == offered
    assert offered <= set(TRANSITIONS)  # the page's own rows (take, link, …) are not moves
    # every row asks for a lifecycle action the permission check knows
    assert {actions.permission_of(name) for name in actions.ACTIONS} <= set(TRANSITIONS)


def test_the_page_dispatches_every_action_through_the_table_and_has_no_table_of_its_own() -> None:
    source = inspect.getsource(views)
    assert not hasattr(views, "ACTIONS") or views.ACTIONS is actions.ACTIONS
    # no branch on an action's name: `if name == "take"` and the like
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name):
            constants = [c.value for c in node.comparators if isinstance(c, ast.Constant)]
            assert not set(constants) & set(actions.ACTIONS), ast.unparse(node)


@pytest.mark.django_db
def test_a_page_only_action_runs_through_the_table(agent, alice) -> None:
    # given an incident of the agent's group, unassigned
    incident = make_incident(actor=agent, caller=alice)
    # when the agent takes it on the page
    response = web_client_for(agent).post(
        f"/incidents/{incident.number}/take/", {"version": incident.version}
    )
    # then it is assigned to the agent, as the table's row says
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assigned_to == agent and incident.version == 2


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
