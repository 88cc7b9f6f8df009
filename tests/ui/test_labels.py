"""Labels people read: SLA is written SLA, and the internal version stays out of sight (issue 8, part 6)."""

import re

import pytest

from incidents.models import Incident
from incidents.sla.sweep import sla_sweep
from tests.factories import make_incident
from tests.ui.conftest import client_for

pytestmark = pytest.mark.django_db


def visible_text(html: str) -> str:
    """The page's text as a reader sees it: no tags, scripts, or attribute values."""
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]+>", " ", html))


def test_the_incident_page_writes_sla_and_hides_the_version(agent, alice):
    incident = make_incident(actor=agent, caller=alice, impact=1, urgency=1)
    # a threshold fires: the activity log shows the SLA state and threshold that changed
    sla_sweep(now=incident.resolution_due_at)
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.sla_state == "breached"

    response = client_for(agent).get(f"/incidents/{incident.number}/")

    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "SLA state" in text and "SLA threshold" in text
    assert "Sla " not in text and "sla " not in text.replace("SLA ", "")
    assert not re.search(r"\bVersion\b", text)
    # the version still travels with the forms, out of sight
    assert f'name="version" value="{incident.version}"' in response.content.decode()


def test_the_queue_and_the_admin_write_sla(agent, alice, admin_client):
    make_incident(actor=agent, caller=alice)

    queue = visible_text(client_for(agent).get("/incidents/").content.decode())
    assert "Sla " not in queue

    admin_list = visible_text(admin_client.get("/admin/incidents/incident/").content.decode())
    assert "By SLA state" in admin_list and "Sla " not in admin_list
    assert Incident._meta.get_field("sla_state").verbose_name == "SLA state"
