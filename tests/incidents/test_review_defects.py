"""Smaller defects found in review (tracker issue 8, part 6): each keeps a test."""

from __future__ import annotations

import pytest
from django.test import Client

from escalation.models import RegisterChange
from incidents import services
from incidents.errors import PermissionDenied
from incidents.models import Category, IncidentEvent, PriorityMatrixEntry, ResolutionCode, Service
from incidents.records.services import configuration
from tests.factories import PASSWORD, make_incident, make_user

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- resolve: the log shows who took the incident --------------------------------------------


def test_resolving_an_unassigned_incident_logs_the_resolver_taking_it(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    assert incident.assigned_to is None

    services.incident_resolve(
        actor=agent,
        incident=incident,
        expected_version=incident.version,
        resolution_code=ResolutionCode.WORKAROUND,
        resolution_notes="Restarted the spooler.",
    )

    event = IncidentEvent.objects.get(incident=incident, kind=IncidentEvent.Kind.RESOLVED)
    assert event.changes["assigned_to"] == {"old": None, "new": agent.username}
    assert event.changes["status"]["new"] == "resolved"


# --- a caller's private comment is refused everywhere ----------------------------------------


def test_the_service_refuses_a_callers_private_comment(agent, alice):
    incident = make_incident(actor=agent, caller=alice)

    with pytest.raises(PermissionDenied, match=r"Callers write public comments only\."):
        services.incident_comment(actor=alice, incident=incident, body="Just between us", public=False)

    assert not IncidentEvent.objects.filter(incident=incident, kind="comment").exists()
    event = services.incident_comment(actor=alice, incident=incident, body="Any news?", public=True)
    assert event.public


def test_the_api_refuses_a_callers_private_comment_with_the_services_message(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    client = Client()
    client.force_login(alice)

    response = client.post(
        f"/api/v1/incidents/{incident.number}/comments/",
        {"body": "Just between us", "public": False},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert "Callers write public comments only." in response.content.decode()
    assert not IncidentEvent.objects.filter(incident=incident, kind="comment").exists()


def test_the_browser_refuses_a_callers_private_comment(agent, alice):
    incident = make_incident(actor=agent, caller=alice)

    response = signed_in(alice).post(
        f"/incidents/{incident.number}/comment/", {"body": "Just between us", "public": "0"}
    )

    assert response.status_code == 403
    assert not IncidentEvent.objects.filter(incident=incident, kind="comment").exists()


# --- configuration edits are audited ----------------------------------------------------------


def test_a_priority_matrix_cell_changed_in_the_admin_is_audited(incident_manager):
    im = incident_manager
    im.is_staff = True
    im.save(update_fields=["is_staff"])
    cell = PriorityMatrixEntry.objects.get(impact=3, urgency=3)
    old = cell.priority
    client = signed_in(im)

    response = client.post(
        f"/admin/incidents/prioritymatrixentry/{cell.pk}/change/",
        {"impact": cell.impact, "urgency": cell.urgency, "priority": 4},
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    change = RegisterChange.objects.get(model="prioritymatrixentry", object_id=str(cell.pk))
    assert change.actor == im and change.action == "updated"
    assert change.changes == {"priority": {"old": old, "new": 4}}
    assert services.priority_for(impact=3, urgency=3) == 4
    # the audit is readable in the admin, and not editable
    listing = client.get("/admin/escalation/registerchange/")
    assert listing.status_code == 200 and "prioritymatrixentry" in listing.content.decode()
    assert client.get(f"/admin/escalation/registerchange/{change.pk}/change/").status_code == 200
    delete = client.post(f"/admin/escalation/registerchange/{change.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403


def test_the_priority_matrix_list_edit_is_audited(incident_manager):
    incident_manager.is_staff = True
    incident_manager.save(update_fields=["is_staff"])
    cells = list(PriorityMatrixEntry.objects.order_by("impact", "urgency"))
    data = {"form-TOTAL_FORMS": str(len(cells)), "form-INITIAL_FORMS": str(len(cells)), "_save": "Save"}
    for i, c in enumerate(cells):
        data[f"form-{i}-id"] = str(c.pk)
        data[f"form-{i}-priority"] = str(5 if (c.impact, c.urgency) == (2, 3) else c.priority)

    response = signed_in(incident_manager).post("/admin/incidents/prioritymatrixentry/", data)

    assert response.status_code == 302
    cell = PriorityMatrixEntry.objects.get(impact=2, urgency=3)
    assert cell.priority == 5
    change = RegisterChange.objects.get(model="prioritymatrixentry")
    assert change.object_id == str(cell.pk) and change.changes["priority"]["new"] == 5


def test_categories_and_services_saved_and_deleted_in_the_admin_are_audited(incident_manager):
    incident_manager.is_staff = True
    incident_manager.save(update_fields=["is_staff"])
    client = signed_in(incident_manager)

    response = client.post(
        "/admin/incidents/category/add/", {"name": "Printing", "slug": "printing", "is_active": "on"}
    )
    assert response.status_code == 302
    category = Category.objects.get(slug="printing")
    created = RegisterChange.objects.get(model="category", object_id=str(category.pk))
    assert created.action == "created" and created.actor == incident_manager
    assert created.changes["name"] == {"old": None, "new": "Printing"}

    service = Service.objects.create(name="Payroll", slug="payroll")
    response = client.post(
        f"/admin/incidents/service/{service.pk}/change/",
        {"name": "Payroll and HR", "slug": "payroll", "description": "", "is_active": "on"},
    )
    assert response.status_code == 302
    updated = RegisterChange.objects.get(model="service", object_id=str(service.pk))
    assert updated.changes == {"name": {"old": "Payroll", "new": "Payroll and HR"}}

    response = client.post(f"/admin/incidents/service/{service.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Service.objects.filter(pk=service.pk).exists()
    deleted = RegisterChange.objects.get(model="service", action="deleted")
    assert deleted.changes["name"] == {"old": "Payroll and HR", "new": None}


def test_the_configuration_services_log_each_change(incident_manager):
    entry = configuration.priority_matrix_set(actor=incident_manager, impact=1, urgency=1, priority=2)
    assert entry.priority == 2
    change = RegisterChange.objects.get(model="prioritymatrixentry")
    assert change.changes == {"priority": {"old": 1, "new": 2}} and change.actor == incident_manager
    configuration.priority_matrix_set(actor=incident_manager, impact=1, urgency=1, priority=2)
    assert RegisterChange.objects.filter(model="prioritymatrixentry").count() == 1  # no change, no row


def test_agents_cannot_edit_the_priority_matrix_in_the_admin():
    agent = make_user("agent9", groups=["service-desk"], is_staff=True)
    cell = PriorityMatrixEntry.objects.get(impact=3, urgency=3)
    response = signed_in(agent).post(
        f"/admin/incidents/prioritymatrixentry/{cell.pk}/change/",
        {"impact": cell.impact, "urgency": cell.urgency, "priority": 1},
    )
    assert response.status_code in (302, 403)
    assert PriorityMatrixEntry.objects.get(pk=cell.pk).priority == cell.priority
    assert not RegisterChange.objects.exists()
