"""Tags "filterable in queues and reports" (issue 23 §5): the API list's rows carry their tags in the
page's own query, the month page shows the month's top tags and narrows to one (?tag=), and so does the
month's incident CSV; a tag of an incident the reader may not open is never counted or shown."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework import serializers as drf
from rest_framework.test import APIClient

from escalation.access import access_for
from incidents import selectors as incident_selectors
from incidents.models import Category
from incidents.records.serializers import IncidentListSerializer
from tests.factories import group, make_incident, make_user
from toolkit import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def _api(user) -> APIClient:
    api = APIClient()
    _, token = AuthToken.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def _list(api, **params):
    with CaptureQueriesContext(connection) as captured:
        response = api.get("/api/v1/incidents/", {"page_size": 50, **params})
    assert response.status_code == 200
    return len(captured), {row["number"]: row for row in response.json()["results"]}


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_api_lists_each_rows_tags_in_the_same_queries_and_a_caller_sees_none(agent, alice):
    incidents = [make_incident(actor=agent, caller=alice, title=f"Printer {n}") for n in range(4)]
    staff = _api(agent)
    _list(staff)  # warm the per-process caches
    untagged, _ = _list(staff)
    for n, incident in enumerate(incidents):
        for name in ("printer", f"floor-{n}"):
            services.tag_add(actor=agent, incident=incident, name=name)

    tagged, rows = _list(staff)
    assert tagged == untagged
    assert rows[incidents[2].number]["tags"] == ["floor-2", "printer"]
    _, only = _list(staff, tag="Floor-1")
    assert list(only) == [incidents[1].number]
    detail = staff.get(f"/api/v1/incidents/{incidents[3].number}/").json()
    assert detail["tags"] == ["floor-3", "printer"]

    # the caller reads their incidents without the staff's tags, and cannot probe them with ?tag=
    caller = _api(alice)
    _, theirs = _list(caller)
    assert set(theirs) == {i.number for i in incidents}
    assert all(row["tags"] == [] for row in theirs.values())
    assert _list(caller, tag="printer")[1] == {}
    assert caller.get(f"/api/v1/incidents/{incidents[3].number}/").json()["tags"] == []


def test_the_list_rows_tags_are_what_drfs_own_fields_would_show(agent):
    tagged = make_incident(actor=agent)
    make_incident(actor=agent)
    services.tag_add(actor=agent, incident=tagged, name="vpn")
    services.tag_add(actor=agent, incident=tagged, name="floor-2")
    rows = list(incident_selectors.with_tag_names(incident_selectors.incidents_visible_to(access_for(agent))))
    incident_selectors.attach_related(rows, incident_selectors.API_RELATED)
    for row in rows:
        serializer = IncidentListSerializer(row)
        assert dict(serializer.data) == dict(drf.ModelSerializer.to_representation(serializer, row))
    assert {tuple(IncidentListSerializer(r).data["tags"]) for r in rows} == {("floor-2", "vpn"), ()}


@pytest.fixture
def february(agent, alice, incident_manager, time_machine):
    """February 2026: three incidents tagged vpn (one resolved in the month), one tagged printer, one
    restricted incident tagged vpn and ransomware; the page is read on 5 March."""
    time_machine.move_to("2026-02-10 10:00:00+00:00", tick=False)
    from incidents import services as incident_services

    vpn = [make_incident(actor=agent, caller=alice, title=f"VPN drops {n}") for n in range(3)]
    printer = make_incident(actor=agent, caller=alice, title="Printer jam")
    security = Category.objects.get(slug="security", parent__isnull=True)
    secret = make_incident(actor=incident_manager, caller=alice, category=security, title="Breach")
    for incident in vpn:
        services.tag_add(actor=agent, incident=incident, name="vpn")
    services.tag_add(actor=agent, incident=printer, name="printer")
    for name in ("vpn", "ransomware-acme"):
        services.tag_add(actor=incident_manager, incident=secret, name=name)
    incident_services.incident_resolve(
        actor=agent,
        incident=vpn[0],
        expected_version=vpn[0].version,
        resolution_code="workaround",
        resolution_notes="New profile",
    )
    time_machine.move_to("2026-03-05 10:00:00+00:00", tick=False)
    assert secret.assignment_group == group("security")
    return vpn, printer, secret


def test_the_month_page_shows_its_top_tags_and_narrows_to_one(client, february):
    vpn, printer, secret = february
    client.force_login(make_user("manager7", roles=["Manager"]))

    page = client.get("/reporting/months/2026-02/")
    assert page.status_code == 200
    top = page.context["top_tags"]
    assert top == [
        {"name": "vpn", "incidents": 3},
        {"name": "printer", "incidents": 1},
    ]  # not the restricted one
    assert "ransomware-acme" not in page.content.decode()
    assert 'href="/reporting/months/2026-02/?tag=vpn"' in page.content.decode()

    narrowed = client.get("/reporting/months/2026-02/", {"tag": "VPN"})
    assert narrowed.status_code == 200
    section = narrowed.context["tag"]
    figures = {label: (count, url) for label, count, url in section["figures"]}
    assert (
        figures["Logged"][0] == 3 and figures["Resolved"][0] == 1 and figures["Backlog at month end"][0] == 2
    )
    assert "tag=vpn" in figures["Logged"][1]
    body = narrowed.content.decode()
    assert 'data-testid="month-tag"' in body and "/reporting/months/2026-02/incidents.csv?tag=vpn" in body

    # the drill-down lists exactly the counted incidents
    drill = client.get(figures["Logged"][1]).content.decode()
    assert all(i.number in drill for i in vpn) and printer.number not in drill and secret.number not in drill

    rows = _csv(client.get("/reporting/months/2026-02/incidents.csv", {"tag": "vpn"}))
    assert sorted(r[0] for r in rows[1:]) == sorted(i.number for i in vpn)
    assert rows[1][-1] == "vpn"
    hidden = _csv(client.get("/reporting/months/2026-02/incidents.csv", {"tag": "ransomware-acme"}))
    assert hidden[1:] == []


def test_the_incident_manager_counts_the_restricted_incidents_tags_too(client, february, incident_manager):
    client.force_login(incident_manager)
    top = client.get("/reporting/months/2026-02/").context["top_tags"]
    assert {"name": "vpn", "incidents": 4} in top and {"name": "ransomware-acme", "incidents": 1} in top


@pytest.mark.parametrize("bad", ["a/b", "x" * 41])
def test_a_tag_that_cannot_be_one_is_a_400_with_a_message(client, february, bad):
    client.force_login(make_user("manager8", roles=["Manager"]))
    page = client.get("/reporting/months/2026-02/", {"tag": bad})
    assert page.status_code == 400
    assert 'data-testid="month-tag-error"' in page.content.decode()
    refused = client.get("/reporting/months/2026-02/incidents.csv", {"tag": bad})
    assert refused.status_code == 400 and refused.content
