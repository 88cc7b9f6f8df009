"""Free tags on incidents (issue 23 §5): normalised, added and removed through the service with a
timeline entry, suggested from tags in use, filtered in the queue and the API; the tags of a
restricted incident are never shown to whoever may not read it."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from knox.models import AuthToken
from rest_framework.test import APIClient

from escalation.access import access_for
from incidents.errors import PermissionDenied
from incidents.models import IncidentEvent
from tests.factories import group, make_incident
from toolkit import selectors, services
from toolkit.models import IncidentTag

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def test_a_tag_is_normalised_and_its_changes_are_in_the_timeline(agent):
    incident = make_incident(actor=agent)

    tag = services.tag_add(actor=agent, incident=incident, name="  VPN  Outage ")
    services.tag_add(actor=agent, incident=incident, name="vpn-outage")  # the same: nothing changes

    assert tag.name == "vpn-outage"
    assert selectors.tags_of(incident) == ["vpn-outage"]

    def entries():
        return list(incident.events.filter(kind=IncidentEvent.Kind.UPDATED, changes__has_key="tags"))

    assert [e.changes["tags"]["new"] for e in entries()] == ["vpn-outage"]

    services.tag_remove(actor=agent, incident=incident, name="VPN-outage")
    assert selectors.tags_of(incident) == []
    assert [(e.changes["tags"]["new"], e.public) for e in entries()] == [("vpn-outage", False), ("", False)]


@pytest.mark.parametrize("bad", ["", "   ", "x" * 41, "no<script>", "a/b"])
def test_a_bad_tag_is_refused_with_a_message(agent, bad):
    incident = make_incident(actor=agent)
    with pytest.raises(ValidationError):
        services.tag_add(actor=agent, incident=incident, name=bad)
    assert not IncidentTag.objects.exists()


def test_callers_and_other_groups_do_not_tag(agent, alice, tech):
    incident = make_incident(actor=agent, caller=alice)
    for person in (alice, tech):
        with pytest.raises(PermissionDenied):
            services.tag_add(actor=person, incident=incident, name="printer")


def test_the_queue_and_the_api_filter_by_tag(client, agent):
    tagged = make_incident(actor=agent, title="Tagged one")
    other = make_incident(actor=agent, title="Untagged one")
    services.tag_add(actor=agent, incident=tagged, name="printer")

    client.force_login(agent)
    page = client.get("/incidents/", {"queue": "all", "tag": "Printer"}).content.decode()
    assert tagged.number in page and other.number not in page

    api = APIClient()
    _, token = AuthToken.objects.create(user=agent)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    found = api.get("/api/v1/incidents/", {"tag": "printer"}).json()["results"]
    assert [row["number"] for row in found] == [tagged.number]


def test_a_restricted_incidents_tags_are_never_shown_to_others(client, agent, incident_manager):
    secret = make_incident(actor=incident_manager, assignment_group=group("security"), title="Breach")
    services.tag_add(actor=incident_manager, incident=secret, name="ransomware-acme")
    normal = make_incident(actor=agent)
    services.tag_add(actor=agent, incident=normal, name="printer")

    assert selectors.tag_suggestions(access=access_for(agent)) == ["printer"]
    assert "ransomware-acme" in selectors.tag_suggestions(access=access_for(incident_manager))

    client.force_login(agent)
    panel = client.get(f"/toolkit/incidents/{normal.number}/panel/").content.decode()
    assert "printer" in panel and "ransomware-acme" not in panel
    assert client.get(f"/toolkit/incidents/{secret.number}/panel/").status_code == 404
    queue = client.get("/incidents/", {"queue": "all", "tag": "ransomware-acme"}).content.decode()
    assert secret.number not in queue
    refused = client.post(f"/toolkit/incidents/{secret.number}/tags/add/", {"tag": "x"})
    assert refused.status_code == 404


def test_the_incident_page_adds_and_removes_a_tag(client, agent):
    incident = make_incident(actor=agent)
    client.force_login(agent)

    response = client.post(f"/toolkit/incidents/{incident.number}/tags/add/", {"tag": "Printer Jam"})
    assert response.status_code == 302
    assert selectors.tags_of(incident) == ["printer-jam"]
    assert "printer-jam" in client.get(f"/toolkit/incidents/{incident.number}/panel/").content.decode()

    bad = client.post(f"/toolkit/incidents/{incident.number}/tags/add/", {"tag": "a/b"}, follow=True)
    assert bad.status_code == 200 and "letters, digits" in bad.content.decode()

    client.post(f"/toolkit/incidents/{incident.number}/tags/remove/", {"tag": "printer-jam"})
    assert selectors.tags_of(incident) == []
