"""Logging an incident in the browser form (issue 3)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.models import Incident, IncidentEvent
from tests.ui.conftest import client_for


@pytest.mark.django_db
def test_agent_logs_an_incident_for_a_caller_and_lands_on_it_with_its_number(agent, alice, taxonomy):
    client = client_for(agent)
    response = client.post(
        "/incidents/new/",
        {
            "caller": "alice1",
            "channel": "phone",
            "category": taxonomy["hardware"].pk,
            "subcategory": taxonomy["printer"].pk,
            "service": "printing",
            "impact": 1,
            "urgency": 2,
            "title": "Printer jammed",
            "description": "Paper *everywhere*",
            "attachments": [
                SimpleUploadedFile("log.txt", b"error 42\n", content_type="text/plain"),
                SimpleUploadedFile("more.txt", b"error 43\n", content_type="text/plain"),
            ],
        },
        follow=True,
    )
    incident = Incident.objects.get()
    assert response.redirect_chain[-1][0] == f"/incidents/{incident.number}/"
    assert f"{incident.number} logged for alice1." in response.content.decode()
    assert incident.caller == alice and incident.reported_by == agent
    assert (incident.category, incident.subcategory) == (taxonomy["hardware"], taxonomy["printer"])
    assert incident.service == taxonomy["service"]
    assert incident.priority == 2
    assert incident.attachments.count() == 2
    assert "<em>everywhere</em>" in response.content.decode()


@pytest.mark.django_db
def test_the_form_keeps_its_input_when_the_caller_is_unknown(agent, taxonomy):
    response = client_for(agent).post(
        "/incidents/new/",
        {"caller": "nobody", "channel": "phone", "impact": 2, "urgency": 2, "title": "Kept title"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is no active user" in body
    assert 'value="Kept title"' in body
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_refused_attachment_logs_nothing(agent, alice, taxonomy):
    response = client_for(agent).post(
        "/incidents/new/",
        {
            "caller": "alice1",
            "channel": "phone",
            "impact": 2,
            "urgency": 2,
            "title": "With a bad file",
            "attachments": [SimpleUploadedFile("tool.exe", b"MZ\x90\x00\x03\x00\xff" * 400)],
        },
    )
    assert response.status_code == 400
    assert "are not accepted" in response.content.decode()
    assert not Incident.objects.exists()
    assert not IncidentEvent.objects.exists()


@pytest.mark.django_db
def test_the_page_carries_the_priority_matrix_and_subcategories_tagged_with_their_category(agent, taxonomy):
    body = client_for(agent).get("/incidents/new/").content.decode()
    assert 'id="priority-matrix"' in body and '"1-1": 1' in body
    assert f'data-parent="{taxonomy["hardware"].pk}"' in body
    assert 'list="caller-options"' in body


@pytest.mark.django_db
def test_caller_lookup_finds_people_by_name_username_or_email(agent, alice):
    client = client_for(agent)
    for term in ("Liddell", "alice1", "alice@example"):
        assert 'value="alice1"' in client.get("/incidents/callers/", {"caller": term}).content.decode()
    assert client.get("/incidents/callers/", {"caller": "zzz"}).content.decode().strip() == ""


@pytest.mark.django_db
def test_caller_lookup_is_for_staff_only(alice):
    assert client_for(alice).get("/incidents/callers/", {"caller": "ali"}).status_code == 403
