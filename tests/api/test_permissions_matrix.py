"""Every endpoint × every role × own or another's object, as one table (SPEC §1, §11).

Two incidents: ``sd`` is Alice's, owned by the service desk; ``net`` is Bob's, owned by the network
team. An object a user may not see is a 404, never a 403; an anonymous request is a 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import group, make_incident

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "alice", "bob", "agent", "tech", "netops", "access", "manager", "incidentmgr"]
STAFF = ["agent", "tech", "netops", "access", "manager", "incidentmgr"]


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # {sd} and {net} stand for the incidents' numbers
    body: Callable[[dict[str, Any]], dict[str, Any]] | None
    expect: dict[str, int]  # role → status; roles not listed expect `default`
    default: int = 200


def everyone(status: int, **overrides: int) -> dict[str, int]:
    return {role: status for role in ROLES if role != "anonymous"} | overrides


def _v(which: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda incidents: {"version": incidents[which].version}


def _with_v(which: str, **fields: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda incidents: {"version": incidents[which].version, **fields}


STAFF_200 = dict.fromkeys(STAFF, 200)
ONLY = {"agent": 403, "tech": 403, "netops": 403, "access": 403, "manager": 403, "incidentmgr": 403}

CASES = [
    # Collections
    Case("list incidents", "GET", "/api/v1/incidents/", None, everyone(200)),
    Case("log an incident", "POST", "/api/v1/incidents/", lambda i: {"title": "VPN drops"}, everyone(201)),
    Case(
        "log for someone else",
        "POST",
        "/api/v1/incidents/",
        lambda i: {"title": "VPN", "caller": "bob"},
        everyone(201, alice=403),
    ),
    Case("notifications", "GET", "/api/v1/notifications/", None, everyone(200)),
    Case("groups", "GET", "/api/v1/groups/", None, everyone(200)),
    Case(
        "escalation register", "GET", "/api/v1/escalation-register/", None, everyone(200, alice=403, bob=403)
    ),
    Case("sla policies", "GET", "/api/v1/sla-policies/", None, everyone(200, alice=403, bob=403)),
    Case("sla policy", "GET", "/api/v1/sla-policies/default/", None, everyone(200, alice=403, bob=403)),
    Case(
        "edit sla policy",
        "PUT",
        "/api/v1/sla-policies/default/",
        lambda i: {
            "name": "Default",
            "calendar": "office-hours",
            "targets": [
                {"priority": p, "response_minutes": 15 * p, "resolution_minutes": 240 * p, "calendar": None}
                for p in range(1, 6)
            ],
        },
        everyone(403, incidentmgr=200),
    ),
    # One incident: read
    Case("read own", "GET", "/api/v1/incidents/{sd}/", None, everyone(200, bob=404)),
    Case("read other's", "GET", "/api/v1/incidents/{net}/", None, everyone(200, alice=404)),
    Case("activity own", "GET", "/api/v1/incidents/{sd}/comments/", None, everyone(200, bob=404)),
    Case("activity other's", "GET", "/api/v1/incidents/{net}/comments/", None, everyone(200, alice=404)),
    # Comments: the caller, the owning group, the service desk, the incident manager
    Case(
        "comment own",
        "POST",
        "/api/v1/incidents/{sd}/comments/",
        lambda i: {"body": "Any news?", "public": True},
        {
            "alice": 201,
            "bob": 404,
            "agent": 201,
            "tech": 403,
            "netops": 403,
            "access": 403,
            "manager": 403,
            "incidentmgr": 201,
        },
    ),
    Case(
        "comment other's",
        "POST",
        "/api/v1/incidents/{net}/comments/",
        lambda i: {"body": "Any news?", "public": True},
        {
            "alice": 404,
            "bob": 201,
            "agent": 201,
            "tech": 403,
            "netops": 201,
            "access": 403,
            "manager": 403,
            "incidentmgr": 201,
        },
    ),
    Case(
        "work note own",
        "POST",
        "/api/v1/incidents/{sd}/comments/",
        lambda i: {"body": "Internal", "public": False},
        {
            "alice": 403,
            "bob": 404,
            "agent": 201,
            "tech": 403,
            "netops": 403,
            "access": 403,
            "manager": 403,
            "incidentmgr": 201,
        },
    ),
    # Changes: the owning group and the incident manager; the service desk keeps the record up to date
    Case(
        "edit own",
        "PATCH",
        "/api/v1/incidents/{sd}/",
        _with_v("sd", title="New title"),
        {
            "alice": 403,
            "bob": 404,
            "agent": 200,
            "tech": 403,
            "netops": 403,
            "access": 403,
            "manager": 403,
            "incidentmgr": 200,
        },
    ),
    Case(
        "edit other's",
        "PATCH",
        "/api/v1/incidents/{net}/",
        _with_v("net", title="New title"),
        {
            "alice": 404,
            "bob": 403,
            "agent": 200,
            "tech": 403,
            "netops": 200,
            "access": 403,
            "manager": 403,
            "incidentmgr": 200,
        },
    ),
    Case(
        "reprioritise other's",
        "PATCH",
        "/api/v1/incidents/{net}/",
        _with_v("net", impact=1),
        {
            "alice": 404,
            "bob": 403,
            "agent": 403,
            "tech": 403,
            "netops": 200,
            "access": 403,
            "manager": 403,
            "incidentmgr": 200,
        },
    ),
    Case(
        "assign own",
        "POST",
        "/api/v1/incidents/{sd}/assign/",
        _with_v("sd", assigned_to="agent"),
        {**ONLY, "alice": 403, "bob": 404, "agent": 200, "incidentmgr": 200},
    ),
    Case(
        "assign other's",
        "POST",
        "/api/v1/incidents/{net}/assign/",
        _with_v("net", assigned_to="netops"),
        {**ONLY, "alice": 404, "bob": 403, "netops": 200, "incidentmgr": 200},
    ),
    Case(
        "start own",
        "POST",
        "/api/v1/incidents/{sd}/start/",
        _v("sd"),
        {**ONLY, "alice": 403, "bob": 404, "agent": 200, "incidentmgr": 400},
    ),  # the manager is no member
    Case(
        "escalate own",
        "POST",
        "/api/v1/incidents/{sd}/escalate/",
        _with_v("sd", assignment_group="technical-support", reason="Needs a technician"),
        {**ONLY, "alice": 403, "bob": 404, "agent": 200, "incidentmgr": 200},
    ),
    Case(
        "consult own",
        "POST",
        "/api/v1/incidents/{sd}/consult/",
        _with_v("sd", group="access", question="Is the badge valid?"),
        {**ONLY, "alice": 403, "bob": 404, "agent": 200, "incidentmgr": 200},
    ),
    Case(
        "resolve own",
        "POST",
        "/api/v1/incidents/{sd}/resolve/",
        _with_v("sd", resolution_code="workaround", resolution_notes="Restarted"),
        {**ONLY, "alice": 403, "bob": 404, "agent": 200, "incidentmgr": 200},
    ),
    Case(
        "resolve other's",
        "POST",
        "/api/v1/incidents/{net}/resolve/",
        _with_v("net", resolution_code="workaround", resolution_notes="Restarted"),
        {**ONLY, "alice": 404, "bob": 403, "netops": 200, "incidentmgr": 200},
    ),
    Case(
        "cancel own",
        "POST",
        "/api/v1/incidents/{sd}/cancel/",
        _with_v("sd", reason="Logged twice"),
        {**ONLY, "alice": 403, "bob": 404, "agent": 200, "incidentmgr": 200},
    ),
    Case(
        "cancel other's",
        "POST",
        "/api/v1/incidents/{net}/cancel/",
        _with_v("net", reason="Logged twice"),
        {**ONLY, "alice": 404, "bob": 403, "agent": 200, "netops": 200, "incidentmgr": 200},
    ),
]


@pytest.fixture
def incidents(people):
    agent = people["agent"]
    return {
        "sd": make_incident(actor=agent, caller=people["alice"]),
        "net": make_incident(actor=agent, caller=people["bob"], assignment_group=group("network")),
    }


PARAMS = [(case, role) for case in CASES for role in ROLES]


@pytest.mark.parametrize(("case", "role"), PARAMS, ids=[f"{c.name}-{r}" for c, r in PARAMS])
def test_permission_matrix(case: Case, role: str, clients, incidents):
    # given
    path = case.path.format(sd=incidents["sd"].number, net=incidents["net"].number)
    expected = 401 if role == "anonymous" else case.expect.get(role, case.default)
    body = case.body(incidents) if case.body else None

    # when
    response = getattr(clients[role], case.method.lower())(path, body, format="json")

    # then
    assert response.status_code == expected, (case.name, role, response.content[:500])
    payload = response.json()
    if expected >= 400:
        assert isinstance(payload.get("detail"), str) and payload["detail"]
    if expected == 404:
        # Nothing about the hidden incident leaks into the answer.
        assert "title" not in payload and "Printer" not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "visible"),
    [("alice", {"sd"}), ("bob", {"net"}), *[(r, {"sd", "net"}) for r in STAFF]],
)
def test_the_list_shows_each_user_only_what_they_may_see(role, visible, clients, incidents):
    response = clients[role].get("/api/v1/incidents/")
    assert response.status_code == 200
    numbers = {row["number"] for row in response.json()["results"]}
    assert numbers == {incidents[w].number for w in visible}


def test_callers_never_see_internal_notes(clients, incidents):
    number = incidents["sd"].number
    clients["agent"].post(
        f"/api/v1/incidents/{number}/comments/", {"body": "Secret note", "public": False}, format="json"
    )
    clients["agent"].post(
        f"/api/v1/incidents/{number}/comments/", {"body": "Hello Alice", "public": True}, format="json"
    )

    caller_view = clients["alice"].get(f"/api/v1/incidents/{number}/comments/").json()["results"]
    staff_view = clients["agent"].get(f"/api/v1/incidents/{number}/comments/").json()["results"]

    assert [e["body"] for e in caller_view if e["kind"] == "comment"] == ["Hello Alice"]
    assert all(e["public"] for e in caller_view)
    assert {e["body"] for e in staff_view if e["kind"] == "comment"} == {"Secret note", "Hello Alice"}


def test_a_caller_comment_without_public_is_public(clients, incidents):
    number = incidents["sd"].number
    response = clients["alice"].post(
        f"/api/v1/incidents/{number}/comments/", {"body": "Still broken"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["public"] is True
    staff = clients["agent"].post(
        f"/api/v1/incidents/{number}/comments/", {"body": "Checked logs"}, format="json"
    )
    assert staff.json()["public"] is False


def test_notifications_are_the_users_own(clients, people, incidents):
    from incidents.models import Notification

    Notification.objects.create(
        recipient=people["alice"], incident=incidents["sd"], kind="x", subject="For Alice"
    )
    Notification.objects.create(
        recipient=people["bob"], incident=incidents["net"], kind="x", subject="For Bob"
    )

    alice = clients["alice"].get("/api/v1/notifications/").json()["results"]
    bob = clients["bob"].get("/api/v1/notifications/?unread=true").json()["results"]

    assert [n["subject"] for n in alice if n["kind"] == "x"] == ["For Alice"]
    assert [n["subject"] for n in bob if n["kind"] == "x"] == ["For Bob"]
