"""The error contract, authentication and throttling of the API (SPEC §11)."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from incidents.models import IncidentEvent
from incidents.records.ordering import API_ORDERINGS
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _rates(**rates: str):
    return override_settings(REST_FRAMEWORK={**_base_settings(), "DEFAULT_THROTTLE_RATES": rates})


def _base_settings():
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)


# --- errors ---------------------------------------------------------------------------------------


def test_a_validation_error_names_the_field_and_reads_as_a_sentence(clients):
    response = clients["agent"].post("/api/v1/incidents/", {"title": "", "impact": 7}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"detail", "title", "impact"}
    assert "title" in body["detail"] and "impact" in body["detail"]


def test_a_service_validation_error_names_the_field(clients, incident):
    response = clients["agent"].post(
        f"/api/v1/incidents/{incident.number}/assign/", {"version": 1, "assigned_to": "tech"}, format="json"
    )
    assert response.status_code == 400
    assert "assigned_to" in response.json()
    assert "not a member" in response.json()["detail"]


def test_a_move_the_lifecycle_forbids_is_a_409_with_the_reason(clients, incident):
    response = clients["agent"].post(
        f"/api/v1/incidents/{incident.number}/close/", {"version": 1}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith(f"{incident.number} is new: it cannot be closed now.")


def test_a_stale_version_is_a_409_with_the_current_version_and_changes_nothing(clients, incident):
    clients["agent"].patch(
        f"/api/v1/incidents/{incident.number}/", {"version": 1, "title": "First"}, format="json"
    )
    response = clients["agent"].post(
        f"/api/v1/incidents/{incident.number}/resolve/",
        {"version": 1, "resolution_code": "workaround", "resolution_notes": "x"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    incident.refresh_from_db()
    assert incident.status == "new"


@pytest.mark.parametrize("path", ["", "assign/", "resume/"])
def test_a_write_without_a_version_is_a_409_with_the_current_version(clients, incident, path):
    method = "patch" if not path else "post"
    response = getattr(clients["agent"], method)(
        f"/api/v1/incidents/{incident.number}/{path}", {"title": "No version"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["current_version"] == incident.version
    assert IncidentEvent.objects.filter(incident=incident).count() == 1


@pytest.mark.parametrize("number", ["INC1", "inc0000001", "../../etc/passwd", "INC0000001x", "%00"])
def test_a_malformed_number_is_a_json_404(clients, incident, number):
    response = clients["agent"].get(f"/api/v1/incidents/{number}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_an_unknown_ordering_is_refused_and_an_allowed_one_applies(clients, people):
    from tests.factories import make_incident

    first = make_incident(actor=people["agent"], caller=people["alice"], title="First")
    second = make_incident(actor=people["agent"], caller=people["alice"], title="Second")
    bad = clients["agent"].get("/api/v1/incidents/?ordering=title")
    assert bad.status_code == 400 and "ordering" in bad.json()
    numbers = [
        r["number"] for r in clients["agent"].get("/api/v1/incidents/?ordering=number").json()["results"]
    ]
    assert numbers == [first.number, second.number]


def test_filters_narrow_the_list(clients, people):
    from tests.factories import group, make_incident

    mine = make_incident(actor=people["agent"], caller=people["alice"], impact=1, urgency=1)
    other = make_incident(actor=people["agent"], caller=people["bob"], assignment_group=group("network"))

    def numbers(query: str) -> set[str]:
        response = clients["agent"].get(f"/api/v1/incidents/?{query}")
        assert response.status_code == 200, response.content
        return {r["number"] for r in response.json()["results"]}

    assert numbers("priority=1") == {mine.number}
    assert numbers("caller=bob") == {other.number}
    assert numbers("assignment_group=network") == {other.number}
    assert numbers("status=new&sla_state=on_track") == {mine.number, other.number}
    assert numbers("created_before=2000-01-01T00:00:00%2B00:00") == set()
    assert numbers("created_after=2000-01-01T00:00:00%2B00:00") == {mine.number, other.number}
    assert numbers(f"q={mine.number}") == {mine.number}
    assert clients["agent"].get("/api/v1/incidents/?priority=9").status_code == 400
    assert clients["agent"].get("/api/v1/incidents/?created_after=yesterday").status_code == 400


def test_a_request_builds_only_the_filters_it_names_with_the_same_answers_and_refusals(people):
    # Every filter skips an absent value: a request builds only the ones it names (issue 25 §6: building
    # all of them was a fifth of an API search), and each answers and refuses as in the whole set.
    from incidents.models import Incident
    from incidents.records.filters import IncidentFilter
    from tests.factories import group, make_incident

    make_incident(actor=people["agent"], caller=people["alice"], impact=1, urgency=1, title="VPN drops")
    make_incident(actor=people["agent"], caller=people["bob"], assignment_group=group("network"))
    assert set(IncidentFilter.of(["q", "status", "page_size", "nonsense"]).base_filters) == {"q", "status"}
    assert IncidentFilter.of(["status", "q"]) is IncidentFilter.of(["q", "status"])  # made once
    for data in (
        {"q": "vpn", "priority": "1"},
        {"caller": "bob", "tier": "1"},
        {"first_contact": "false", "status": "new"},
        {"q": "x" * (Incident.SEARCH_MAX_LENGTH + 1)},
        {"priority": "9", "created_after": "yesterday"},
    ):
        whole = IncidentFilter(data, queryset=Incident.objects.all())
        named = IncidentFilter.of(data)(data, queryset=Incident.objects.all())
        assert named.is_valid() == whole.is_valid()
        assert named.errors == whole.errors
        if whole.is_valid():
            assert list(named.qs.order_by("pk")) == list(whole.qs.order_by("pk"))


def test_pages_follow_the_cursor_without_repeats(clients, people):
    from tests.factories import make_incident

    made = {make_incident(actor=people["agent"], caller=people["alice"]).number for _ in range(5)}
    seen: list[str] = []
    url = "/api/v1/incidents/?page_size=2"
    while url:
        page = clients["agent"].get(url).json()
        seen += [r["number"] for r in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(made)


# --- authentication -------------------------------------------------------------------------------


def test_a_token_is_obtained_with_a_username_and_password_and_then_authenticates(people):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "agent", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/incidents/").status_code == 200


def test_wrong_credentials_get_no_token(people):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "agent", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "token" not in response.json() and response.json()["detail"]


def test_anonymous_requests_are_401_with_the_scheme_to_use(clients, incident):
    response = clients["anonymous"].get(f"/api/v1/incidents/{incident.number}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_session_works_and_its_writes_need_the_csrf_token(people, incident):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="alice", password=PASSWORD)
    assert client.get(f"/api/v1/incidents/{incident.number}/").status_code == 200
    url = f"/api/v1/incidents/{incident.number}/comments/"

    refused = client.post(url, {"body": "Hello"}, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]

    client.get("/accounts/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(url, {"body": "Hello"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


# --- throttling -----------------------------------------------------------------------------------


def test_the_token_endpoint_is_throttled_with_retry_after(people):
    client = APIClient()
    with _rates(token="2/min", writes="100/min"):
        assert api_settings.DEFAULT_THROTTLE_RATES["token"] == "2/min"
        for _ in range(2):
            client.post("/api/v1/auth/token/", {"username": "agent", "password": "guess"}, format="json")
        response = client.post(
            "/api/v1/auth/token/", {"username": "agent", "password": PASSWORD}, format="json"
        )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()


def test_writes_are_throttled_but_reads_are_not(clients, incident):
    url = f"/api/v1/incidents/{incident.number}/comments/"
    with _rates(token="100/min", writes="2/min"):
        for _ in range(2):
            assert clients["agent"].post(url, {"body": "note"}, format="json").status_code == 201
        throttled = clients["agent"].post(url, {"body": "note"}, format="json")
        reads = [clients["agent"].get(url).status_code for _ in range(5)]
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert reads == [200] * 5


# --- schema and docs ------------------------------------------------------------------------------


def test_the_docs_are_served_with_local_assets(clients):
    response = clients["anonymous"].get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html and "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_the_schema_describes_every_operation_of_the_contract(clients):
    import yaml

    schema = yaml.safe_load(clients["anonymous"].get("/api/schema/").content)
    paths = schema["paths"]
    expected = {
        ("/api/v1/auth/token/", "post"),
        ("/api/v1/incidents/", "get"),
        ("/api/v1/incidents/", "post"),
        ("/api/v1/incidents/{number}/", "get"),
        ("/api/v1/incidents/{number}/", "patch"),
        ("/api/v1/incidents/{number}/comments/", "get"),
        ("/api/v1/incidents/{number}/comments/", "post"),
        ("/api/v1/groups/", "get"),
        ("/api/v1/escalation-register/", "get"),
        ("/api/v1/sla-policies/", "get"),
        ("/api/v1/sla-policies/{slug}/", "get"),
        ("/api/v1/sla-policies/{slug}/", "put"),
        ("/api/v1/notifications/", "get"),
    } | {
        (f"/api/v1/incidents/{{number}}/{a}/", "post")
        for a in ("assign", "escalate", "consult", "hold", "resume", "resolve", "reopen", "close", "cancel")
    }
    found = {
        (p, m) for p, ops in paths.items() for m in ops if m in ("get", "post", "put", "patch", "delete")
    }
    assert expected <= found
    for path, method in expected:
        operation = paths[path][method]
        assert "200" in operation["responses"] or "201" in operation["responses"]
        if method != "get":
            assert {"400", "429"} <= set(operation["responses"]), (path, method)
            assert "requestBody" in operation, (path, method)
    filters = {p["name"] for p in paths["/api/v1/incidents/"]["get"]["parameters"]}
    assert {
        "status",
        "priority",
        "assignment_group",
        "assigned_to",
        "caller",
        "sla_state",
        "created_after",
        "created_before",
        "q",
        "cursor",
        "ordering",
    } <= filters


@pytest.mark.parametrize("ordering", ["", *API_ORDERINGS])
def test_every_ordering_pages_forward_and_back_over_ties(clients, people, ordering):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import make_incident

    start = timezone.now() - timedelta(hours=1)
    made = [
        make_incident(
            actor=people["agent"], caller=people["alice"], now=start + timedelta(minutes=n % 3)
        ).number
        for n in range(11)
    ]
    url = (
        f"/api/v1/incidents/?page_size=3&ordering={ordering}"
        if ordering
        else "/api/v1/incidents/?page_size=3"
    )
    pages: list[list[str]] = []
    while url:
        page = clients["agent"].get(url).json()
        pages.append([r["number"] for r in page["results"]])
        url, previous = page["next"], page["previous"]
    seen = [n for p in pages for n in p]
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    if ordering.lstrip("-") == "number":
        assert seen == sorted(made, reverse=ordering.startswith("-"))
    back = pages[-1]
    while previous:
        page = clients["agent"].get(previous).json()
        back = [r["number"] for r in page["results"]] + back
        previous = page["previous"]
    assert back == seen


@pytest.mark.parametrize(
    "cursor", ["not-a-cursor", "WyJuIiwiMSJd", "WyJuIiwiMjAyMC0wMS0wMVQwMDowMDowMCIsIjEiXQ"]
)
def test_a_forged_cursor_is_a_400_naming_the_cursor(clients, people, cursor):
    response = clients["agent"].get(f"/api/v1/incidents/?cursor={cursor}")
    assert response.status_code == 400 and "cursor" in response.json()
