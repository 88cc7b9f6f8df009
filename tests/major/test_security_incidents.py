"""Security incidents (issue 13): routing, the visibility rule on every surface, the procedure."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from escalation.access import access_for
from escalation.models import SupportGroup
from incidents import services
from incidents.models import Category, IncidentEvent, Notification, SecurityStep
from incidents.records.filters import filter_queue
from incidents.records.queues import queue_queryset
from tests.factories import make_incident, make_user
from tests.major.conftest import client_for

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def secops(db):
    return make_user("secops", groups=["security"])


@pytest.fixture
def breach(alice, agent):
    """Reported by alice herself in the portal: nobody else is its caller or reporter."""
    category = Category.objects.get(slug="security", parent__isnull=True)
    incident = make_incident(actor=alice, caller=alice, title="Phishing mail opened", category=category)
    services.attachment_add(
        actor=alice, incident=incident, upload=SimpleUploadedFile("mail.png", PNG, "image/png"), public=True
    )
    Notification.objects.create(
        recipient=agent, incident=incident, kind="x", subject="About the phishing mail"
    )
    return incident


def test_the_migrations_create_the_security_group_and_category_routes_to_it(breach):
    security = SupportGroup.objects.get(slug="security")
    assert security.tier == 3 and security.kind == "support"
    assert breach.assignment_group == security


@pytest.mark.parametrize("who", ["agent", "tech", "manager"])
def test_staff_outside_the_security_group_get_404_on_every_surface(who, request, breach, agent):
    outsider = {"agent": agent, "tech": None, "manager": None}[who] or make_user(
        who, **({"groups": ["technical-support"]} if who == "tech" else {"roles": ["Manager"]})
    )
    if who != "agent":
        Notification.objects.create(
            recipient=outsider, incident=breach, kind="x", subject="About the phishing mail"
        )
    n = breach.number
    web = client_for(outsider)
    assert web.get(f"/incidents/{n}/").status_code == 404
    for path in (f"/incidents/{n}/major/log/", f"/incidents/{n}/review/"):
        assert web.get(path).status_code == 404
    assert web.post(f"/incidents/{n}/comment/", {"body": "hi", "public": "0"}).status_code == 404
    assert web.post(f"/incidents/{n}/security/", {"step": "contain"}).status_code == 404
    attachment = breach.attachments.get()
    assert web.get(f"/incidents/attachments/{attachment.pk}/download/").status_code == 404
    for params in ({"queue": "all"}, {"queue": "all", "q": n}, {"queue": "all", "q": "phishing"}):
        page = web.get("/incidents/", params)
        assert page.status_code == 200 and f'href="/incidents/{n}/"' not in page.content.decode()
    export = web.get("/incidents/", {"queue": "all", "format": "csv"})
    assert n not in b"".join(export.streaming_content).decode()
    assert "phishing" not in web.get("/notifications/").content.decode()

    api = APIClient()
    api.force_authenticate(outsider)
    assert n not in api.get("/api/v1/incidents/").content.decode()
    assert n not in api.get("/api/v1/incidents/", {"q": n}).content.decode()
    assert api.get(f"/api/v1/incidents/{n}/").status_code == 404
    assert api.post(f"/api/v1/incidents/{n}/comments/", {"body": "hi"}, format="json").status_code == 404
    assert "phishing" not in api.get("/api/v1/notifications/").content.decode()

    # reports drill down through the queue filter: the same selector, so the same answer
    drill = filter_queue(queue_queryset(access_for(outsider), "all", groups=[]), {"category": "security"})
    assert not drill.filter(pk=breach.pk).exists()


def test_the_security_group_the_incident_manager_and_the_caller_see_it(
    breach, secops, incident_manager, alice
):
    n = breach.number
    for insider in (secops, incident_manager):
        assert client_for(insider).get(f"/incidents/{n}/").status_code == 200
        page = client_for(insider).get("/incidents/", {"queue": "all"}).content.decode()
        assert f'href="/incidents/{n}/"' in page
    api = APIClient()
    api.force_authenticate(alice)
    assert api.get(f"/api/v1/incidents/{n}/").status_code == 200
    assert n in api.get("/api/v1/incidents/").content.decode()


def test_the_procedure_is_worked_through_and_logged_in_the_timeline(breach, secops, incident_manager):
    web = client_for(secops)
    page = web.get(f"/incidents/{breach.number}/").content.decode()
    assert 'data-testid="security-checklist"' in page and "Preserve evidence" in page
    for step in ("contain", "preserve_evidence", "notify", "recover"):
        response = web.post(f"/incidents/{breach.number}/security/", {"step": step, "note": f"{step} done"})
        assert response.status_code == 302
    again = web.post(f"/incidents/{breach.number}/security/", {"step": "contain"})
    assert again.status_code == 400 and "already done" in again.content.decode()
    assert web.post(f"/incidents/{breach.number}/security/", {"step": "panic"}).status_code == 400
    assert SecurityStep.objects.filter(incident=breach).count() == 4
    logged = IncidentEvent.objects.filter(incident=breach, kind=IncidentEvent.Kind.SECURITY_STEP)
    assert [e.changes["security_step"]["new"] for e in logged.order_by("id")] == [
        "Contain",
        "Preserve evidence",
        "Notify",
        "Recover",
    ]
    assert "Preserve evidence" in web.get(f"/incidents/{breach.number}/").content.decode()
