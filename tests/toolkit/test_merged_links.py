"""A merged incident's old number leads to the incident it was merged into (issue 23 §3): its
incident page and portal page redirect for a reader who may see the survivor, the API detail says
where it went, and the queue search by the old number finds the survivor."""

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

from escalation.access import access_for
from incidents import selectors, services
from incidents.models import Watcher
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def merged(agent, alice, bob):
    survivor = make_incident(actor=agent, caller=alice, title="Printer on floor 3")
    dup = make_incident(actor=agent, caller=bob, title="Floor 3 printer")
    services.incident_merge(actor=agent, incident=dup, expected_version=None, into=survivor)
    return dup, survivor


def test_the_old_incident_page_redirects_to_the_survivor_and_stay_shows_the_old_one(client, agent, merged):
    dup, survivor = merged
    client.force_login(agent)

    response = client.get(f"/incidents/{dup.number}/")
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{survivor.number}/"
    page = client.get(response["Location"])
    assert f"{dup.number} was merged into {survivor.number}." in page.content.decode()

    assert client.get(f"/incidents/{dup.number}/?stay=1").status_code == 200


def test_the_callers_portal_page_of_the_old_number_redirects(client, bob, merged):
    dup, survivor = merged
    client.force_login(bob)  # the duplicate's caller now watches the survivor

    response = client.get(f"/portal/incidents/{dup.number}/")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/incidents/{survivor.number}/"
    assert client.get(response["Location"]).status_code == 200


def test_no_redirect_for_a_reader_who_may_not_see_the_survivor(client, bob, merged):
    dup, survivor = merged
    Watcher.objects.filter(incident=survivor, user=bob).delete()
    client.force_login(bob)

    response = client.get(f"/portal/incidents/{dup.number}/")
    assert response.status_code == 200
    assert survivor.title not in response.content.decode()


def test_a_duplicate_cancelled_by_hand_keeps_its_page(client, agent):
    original = make_incident(actor=agent)
    dup = make_incident(actor=agent)
    services.incident_cancel(
        actor=agent, incident=dup, expected_version=None, reason="Same as the other.", duplicate_of=original
    )
    client.force_login(agent)
    assert client.get(f"/incidents/{dup.number}/").status_code == 200


def test_the_api_detail_says_where_it_went(agent, merged):
    dup, survivor = merged
    api = APIClient()
    _, token = AuthToken.objects.create(user=agent)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert api.get(f"/api/v1/incidents/{dup.number}/").json()["merged_into"] == survivor.number
    assert api.get(f"/api/v1/incidents/{survivor.number}/").json()["merged_into"] is None


def test_the_old_number_finds_the_survivor_in_the_queue_search(client, agent, merged):
    dup, survivor = merged
    found = selectors.incidents_search(selectors.incidents_visible_to(access_for(agent)), dup.number)
    assert set(found.values_list("number", flat=True)) == {dup.number, survivor.number}

    client.force_login(agent)
    page = client.get("/incidents/", {"q": dup.number.lower()}).content.decode()
    assert survivor.number in page
