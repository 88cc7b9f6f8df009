"""Hostile input is stored and returned inert, or refused with a 400: never a 500 (SPEC §13).

Attachments are not exposed by the API (uploads go through the browser), so file names are
not an API input.
"""

from __future__ import annotations

import pytest

from incidents.models import Incident

pytestmark = pytest.mark.django_db

INERT = [
    "Robert'); DROP TABLE incidents_incident; --",
    "' OR '1'='1",
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "Invoice \u202egnp.exe",  # right-to-left override
    "../../../etc/passwd",
    "{{ settings.SECRET_KEY }} ${jndi:ldap://x}",
    "emoji 🔥 and zero\u200bwidth",
]
MEGABYTE = "x" * (1024 * 1024)


@pytest.mark.parametrize("text", INERT)
def test_hostile_text_is_stored_and_returned_verbatim_as_json(clients, text):
    created = clients["agent"].post(
        "/api/v1/incidents/", {"title": text[:200], "description": text}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created["Content-Type"] == "application/json"
    number = created.json()["number"]

    fetched = clients["agent"].get(f"/api/v1/incidents/{number}/").json()
    comment = clients["agent"].post(f"/api/v1/incidents/{number}/comments/", {"body": text}, format="json")
    searched = clients["agent"].get("/api/v1/incidents/", {"q": text})

    assert fetched["title"] == text[:200] and fetched["description"] == text
    assert comment.status_code == 201 and comment.json()["body"] == text
    assert searched.status_code == 200
    assert Incident.objects.count() >= 1  # the table is still there


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "Nul\x00byte"}, "title"),
        ({"title": "ok", "description": "a\x00b"}, "description"),
        ({"title": MEGABYTE}, "title"),
        ({"title": "ok", "description": MEGABYTE}, "description"),
        ({"title": "ok", "impact": "high"}, "impact"),
        ({"title": "ok", "impact": 10**30}, "impact"),
        ({"title": "ok", "caller": 12}, "caller"),
        ({"title": "ok", "caller": "no\x00body"}, "caller"),
        ({"title": "ok", "assignment_group": ["network"]}, "assignment_group"),
        ({"title": "ok", "major_incident": "perhaps"}, "major_incident"),
        ({"title": "ok", "parent": "INC0000001'; --"}, "parent"),
        ({"title": {"nested": "object"}}, "title"),
    ],
)
def test_hostile_create_input_is_a_400_naming_the_field(clients, payload, field):
    response = clients["agent"].post("/api/v1/incidents/", payload, format="json")
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()


@pytest.mark.parametrize(
    "payload",
    [
        {"version": "one", "title": "x"},
        {"version": 10**20, "title": "x"},
        {"version": -1, "title": "x"},
        {"version": 1, "title": "x\x00"},
        {"version": 1, "problem_reference": MEGABYTE},
        {"version": 1, "subcategory": "../../x"},
        {"version": 1, "duplicate_of": "\x00"},
    ],
)
def test_hostile_patch_input_is_a_400(clients, incident, payload):
    response = clients["agent"].patch(f"/api/v1/incidents/{incident.number}/", payload, format="json")
    assert response.status_code == 400, response.content[:300]
    incident.refresh_from_db()
    assert incident.version == 1


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=" + "a" * 5000,
        "caller=%00",
        "assignment_group=x%00y",
        "created_after=9999-99-99",
        "created_after=0001-01-01T00:00:00%2B23:59",
        "priority=99999999999999999999",
        "cursor=%00%00",
        "cursor=cD0lMDA=",  # a well-formed cursor whose position is a NUL
        "cursor=cD1ub3QtYS1kYXRl",  # position "not-a-date"
        "page_size=-5",
        "page_size=99999999999999999999",
    ],
)
def test_hostile_query_strings_never_reach_a_500(clients, incident, query):
    response = clients["agent"].get(f"/api/v1/incidents/?{query}")
    assert response.status_code in (200, 400), (query, response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"


def test_a_body_that_is_not_json_is_a_400(clients, incident):
    response = clients["agent"].generic(
        "POST", "/api/v1/incidents/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize("field", ["title", "category", "caller"])
def test_a_lone_surrogate_is_a_400(clients, field):
    raw = '{"title": "ok", "' + field + '": "bad \\ud800 text"}'
    response = clients["agent"].generic("POST", "/api/v1/incidents/", raw, content_type="application/json")
    assert response.status_code == 400, response.content[:300]


def test_a_body_that_is_a_list_is_a_400(clients, incident):
    response = clients["agent"].patch(f"/api/v1/incidents/{incident.number}/", [1, 2], format="json")
    assert response.status_code == 400


def test_a_huge_comment_is_refused_and_a_nul_comment_too(clients, incident):
    url = f"/api/v1/incidents/{incident.number}/comments/"
    assert clients["alice"].post(url, {"body": MEGABYTE}, format="json").status_code == 400
    assert clients["alice"].post(url, {"body": "a\x00b"}, format="json").status_code == 400
    assert clients["alice"].post(url, {"body": 42, "public": "maybe"}, format="json").status_code == 400


def test_hostile_sla_policy_input_is_a_400(clients):
    url = "/api/v1/sla-policies/default/"
    bad_bodies = [
        {"name": "x\x00", "calendar": "24x7", "targets": []},
        {"name": "x", "calendar": "../24x7", "targets": []},
        {"name": "x", "calendar": "24x7", "targets": "all"},
        {
            "name": "x",
            "calendar": "24x7",
            "targets": [{"priority": "1; DROP", "response_minutes": 1, "resolution_minutes": 2}],
        },
        {
            "name": "x",
            "calendar": "24x7",
            "targets": [{"priority": 1, "response_minutes": 10**40, "resolution_minutes": 2}],
        },
    ]
    for body in bad_bodies:
        response = clients["incidentmgr"].put(url, body, format="json")
        assert response.status_code == 400, (body, response.content[:300])
    assert clients["incidentmgr"].get("/api/v1/sla-policies/%00/").status_code == 404
