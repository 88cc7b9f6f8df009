"""The review page: who sees it, who acts on it, what each action does."""

from __future__ import annotations

import pytest

from incidents.models import Incident
from intake.models import InboundMessage, Outcome
from tests.intake.test_routing import message

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(inbox, db):
    for n in range(3):
        inbox.drop(message(sender=f"stranger{n}@partner.example", subject=f"Badge {n}", body="<b>Broken</b>"))
    inbox.drop(b"not a message at all")
    inbox.poll()
    return list(InboundMessage.objects.filter(outcome=Outcome.REVIEW).order_by("pk"))


def test_the_service_desk_sees_the_queue_and_the_set_aside_in_few_queries(
    client, agent, waiting, django_assert_max_num_queries
):
    client.force_login(agent)
    with django_assert_max_num_queries(12):
        page = client.get("/intake/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('name="action" value="discard"') == 3
    assert "&lt;b&gt;Broken&lt;/b&gt;" in html  # the sender's text is escaped
    assert "no headers" in html or "malformed" in html  # the set-aside one, with its reason
    assert 'href="/intake/"' in html  # the navigation link


def test_an_end_user_is_refused_and_has_no_link(client, alice, waiting):
    client.force_login(alice)
    assert client.get("/intake/").status_code == 403
    assert client.post(f"/intake/{waiting[0].pk}/", {"action": "discard"}).status_code == 403
    assert 'href="/intake/"' not in client.get("/notifications/").content.decode()


def test_other_staff_read_but_do_not_decide(client, tech, waiting):
    client.force_login(tech)
    page = client.get("/intake/")
    assert page.status_code == 200 and 'value="discard"' not in page.content.decode()
    assert client.post(f"/intake/{waiting[0].pk}/", {"action": "discard"}).status_code == 403


def test_accepting_opens_the_incident_for_the_named_caller(client, agent, alice, waiting):
    client.force_login(agent)
    response = client.post(f"/intake/{waiting[0].pk}/", {"action": "accept", "caller": "alice@example.org"})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.number}/"
    assert incident.caller == alice and incident.channel == "email"


def test_bad_input_is_a_message_not_a_server_error(client, agent, waiting):
    client.force_login(agent)
    response = client.post(f"/intake/{waiting[0].pk}/", {"action": "accept", "caller": "nobody"}, follow=True)
    assert "There is no active user" in response.content.decode()
    response = client.post(f"/intake/{waiting[0].pk}/", {"action": "explode"}, follow=True)
    assert "Choose to accept or discard" in response.content.decode()
    assert client.post("/intake/999999/", {"action": "discard"}).status_code == 404
    assert client.get(f"/intake/{waiting[0].pk}/").status_code == 405
    client.post(f"/intake/{waiting[1].pk}/", {"action": "discard"})
    response = client.post(f"/intake/{waiting[1].pk}/", {"action": "discard"}, follow=True)
    assert "already discarded" in response.content.decode()
    assert Incident.objects.count() == 0
