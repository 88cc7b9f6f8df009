"""The system status page: for administrators only, the troubling figures in colour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents.models import IncidentEvent
from tests.factories import make_incident, make_user


@pytest.fixture
def administrator(db):
    return make_user("admin1", roles=["Administrator"])


@pytest.mark.django_db
def test_administrators_see_it_and_the_link_to_it(administrator):
    client = Client()
    client.force_login(administrator)
    page = client.get("/operations/status/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-metric="servicedesk_oldest_unsent_mail_age_seconds"' in html
    assert 'data-queue="sweep"' in html and 'data-task="incidents.tasks.sla_sweep_task"' in html
    assert 'href="/operations/status/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_late_outbox_shows_in_colour(administrator, agent):
    incident = make_incident(actor=agent)
    IncidentEvent.objects.filter(incident=incident).update(notified_at=None)
    IncidentEvent.objects.filter(incident=incident).update(created_at=timezone.now() - timedelta(minutes=10))
    client = Client()
    client.force_login(administrator)
    html = client.get("/operations/status/").content.decode()
    marker = 'data-metric="servicedesk_oldest_unpublished_event_age_seconds"'
    row = html.split(marker, 1)[1].split("</tr>", 1)[0]
    assert "text-bg-danger" in row and "Critical" in row
    assert 'data-testid="problems"' in html and "attention" in html


@pytest.mark.django_db
def test_everyone_else_is_refused(agent, incident_manager, alice):
    for user in (agent, incident_manager, alice):
        client = Client()
        client.force_login(user)
        assert client.get("/operations/status/").status_code == 403, user.username
        assert 'href="/operations/status/"' not in client.get("/").content.decode()
    anonymous = Client().get("/operations/status/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
