"""GET and PUT /api/v1/sla-policies/{slug}/ (SPEC §6, §11): staff read, the incident manager writes."""

from __future__ import annotations

import pytest

from escalation.models import RegisterChange, SLAPolicy

pytestmark = pytest.mark.django_db

URL = "/api/v1/sla-policies/default/"


def _targets(overrides=None):
    rows = [
        {"priority": p, "response_minutes": r, "resolution_minutes": s, "calendar": c}
        for p, r, s, c in [
            (1, 15, 240, "24x7"),
            (2, 30, 480, None),
            (3, 240, 1440, None),
            (4, 480, 2400, None),
            (5, 960, 4800, None),
        ]
    ]
    for row in rows:
        row.update((overrides or {}).get(row["priority"], {}))
    return rows


def test_a_policy_reads_as_the_contract_says(clients):
    body = clients["agent"].get(URL).json()
    assert set(body) == {"slug", "name", "calendar", "is_default", "targets"}
    assert body["slug"] == "default" and body["is_default"] is True
    assert [t["priority"] for t in body["targets"]] == [1, 2, 3, 4, 5]
    assert set(body["targets"][0]) == {"priority", "response_minutes", "resolution_minutes", "calendar"}
    listed = clients["agent"].get("/api/v1/sla-policies/").json()["results"]
    assert "default" in [p["slug"] for p in listed]
    assert clients["agent"].get("/api/v1/sla-policies/no-such-policy/").status_code == 404


def test_the_incident_manager_replaces_the_targets_and_the_change_is_logged(clients, people):
    new = _targets({2: {"response_minutes": 20, "resolution_minutes": 300}})
    response = clients["incidentmgr"].put(
        URL,
        {"slug": "default", "name": "Standard", "calendar": "office-hours", "targets": new},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Standard"
    p2 = next(t for t in body["targets"] if t["priority"] == 2)
    assert (p2["response_minutes"], p2["resolution_minutes"], p2["calendar"]) == (20, 300, None)
    change = RegisterChange.objects.filter(model="slapolicy").latest("at")
    assert change.actor == people["incidentmgr"]
    assert change.changes["name"]["new"] == "Standard"
    assert change.changes["P2"]["new"]["resolution_minutes"] == 300


@pytest.mark.parametrize(
    ("targets", "calendar", "field", "words"),
    [
        (_targets({1: {"priority": 6}}), "24x7", "targets", "valid choice"),
        (_targets({3: {"response_minutes": 0}}), "24x7", "targets", "greater than or equal to 1"),
        (_targets({3: {"resolution_minutes": -5}}), "24x7", "targets", "greater than or equal to 1"),
        (_targets({4: {"calendar": "mars-time"}}), "24x7", "targets", "does not exist"),
        (_targets()[:4], "24x7", "targets", "every priority"),
        (_targets() + _targets()[:1], "24x7", "targets", "once"),
        (_targets({2: {"response_minutes": 600}}), "24x7", "targets", "resolution"),
        (_targets(), "mars-time", "calendar", "does not exist"),
    ],
)
def test_invalid_targets_are_a_400_naming_the_field(clients, targets, calendar, field, words):
    before = list(SLAPolicy.objects.get(slug="default").targets.values_list("priority", "response_minutes"))
    response = clients["incidentmgr"].put(
        URL, {"name": "Standard", "calendar": calendar, "targets": targets}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert words in response.json()["detail"]
    after = list(SLAPolicy.objects.get(slug="default").targets.values_list("priority", "response_minutes"))
    assert after == before


def test_the_slug_cannot_be_changed(clients):
    response = clients["incidentmgr"].put(
        URL, {"slug": "other", "name": "x", "calendar": "24x7", "targets": _targets()}, format="json"
    )
    assert response.status_code == 400 and "slug" in response.json()


@pytest.mark.parametrize("role", ["agent", "tech", "manager", "alice"])
def test_only_the_incident_manager_writes_even_with_a_bad_body(clients, role):
    response = clients[role].put(URL, {"name": ""}, format="json")
    assert response.status_code == 403
