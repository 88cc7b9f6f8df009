"""Similar incidents (issue 24 §2): the ranking, its reasons, the restricted exclusion and the panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation.access import access_for
from incidents.models import Category, Incident, Service, Status
from learning.similar import similar_incidents, similar_to_incident
from tests.factories import PASSWORD, make_incident

pytestmark = pytest.mark.django_db


def numbers(found):
    return [s.incident.number for s in found]


def test_the_ranking_puts_shared_words_caller_and_service_first(agent, alice, bob):
    service = Service.objects.create(name="VPN gateway", slug="vpn-gateway")
    best = make_incident(
        actor=agent, caller=alice, service=service, title="VPN drops every ten minutes", description=""
    )
    words_only = make_incident(actor=agent, caller=bob, title="VPN drops at home", description="")
    one_word = make_incident(actor=agent, caller=bob, title="VPN password expired", description="")
    caller_only = make_incident(actor=agent, caller=alice, title="Monitor flickers", description="")
    make_incident(actor=agent, caller=bob, title="Printer jammed on floor 2", description="")

    found = similar_incidents(
        access=access_for(agent),
        title="VPN drops constantly",
        caller_id=alice.pk,
        service_id=service.pk,
    )

    assert numbers(found) == [best.number, words_only.number, caller_only.number, one_word.number]
    top = found[0]
    assert top.shared_words == ["vpn", "drops"]
    assert top.same_caller and top.same_service
    assert found[2].shared_words == [] and found[2].same_caller


def test_old_closed_incidents_are_left_out_but_old_open_ones_stay(agent, alice):
    old_closed = make_incident(actor=agent, caller=alice, title="Mailbox full again", description="")
    old_open = make_incident(actor=agent, caller=alice, title="Mailbox full since Monday", description="")
    long_ago = timezone.now() - timedelta(days=90)
    Incident.objects.filter(pk=old_closed.pk).update(created_at=long_ago, status=Status.CLOSED)
    Incident.objects.filter(pk=old_open.pk).update(created_at=long_ago)

    found = similar_incidents(access=access_for(agent), title="Mailbox full")

    assert numbers(found) == [old_open.number]


def test_restricted_incidents_are_never_offered_even_to_those_who_may_read_them(
    agent, alice, incident_manager
):
    security = Category.objects.get(slug="security", parent=None)
    secret = make_incident(actor=agent, caller=alice, title="Zebracorn login storm", category=security)
    plain = make_incident(actor=agent, caller=alice, title="Zebracorn login slow")

    for person in (agent, incident_manager):
        found = similar_incidents(access=access_for(person), title="Zebracorn login", caller_id=alice.pk)
        assert secret.number not in numbers(found)
        assert plain.number in numbers(found)
    # nor beside the restricted incident itself
    beside = similar_to_incident(access=access_for(incident_manager), incident=plain)
    assert secret.number not in numbers(beside)


def test_the_panel_links_a_duplicate_in_one_click(client, agent, alice):
    first = make_incident(actor=agent, caller=alice, title="Badge reader at gate B is dead")
    second = make_incident(actor=agent, caller=alice, title="Badge reader gate B not working")
    assert client.login(username=agent.username, password=PASSWORD)

    panel = client.get(reverse("learning:similar-panel", args=[second.number]))
    assert panel.status_code == 200
    html = panel.content.decode()
    assert first.number in html and "shared words:" in html

    response = client.post(
        reverse("incidents:action", args=[second.number, "link"]),
        {"version": second.version, "duplicate_of": first.number, "parent": ""},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.duplicate_of_id == first.pk


def test_the_form_list_answers_as_the_agent_types(client, agent, alice):
    first = make_incident(actor=agent, caller=alice, title="Projector in room 12 shows no picture")
    assert client.login(username=agent.username, password=PASSWORD)

    html = client.get(
        reverse("learning:similar"), {"title": "projector no picture", "caller": "", "service": "x"}
    ).content.decode()
    empty = client.get(reverse("learning:similar"), {"title": ""}).content.decode()

    assert first.number in html
    assert first.number not in empty


def test_end_users_get_no_similar_incidents(client, alice, agent):
    incident = make_incident(actor=agent, caller=alice)
    assert client.login(username=alice.username, password=PASSWORD)

    assert client.get(reverse("learning:similar"), {"title": "printer"}).status_code == 403
    assert client.get(reverse("learning:similar-panel", args=[incident.number])).status_code == 403
