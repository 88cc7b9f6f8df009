"""A person's data: exported as JSON, erased under a pseudonym (the record and the audit kept), and
afterwards no text column of any table names them."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from escalation.models import CallerProfile
from identity.models import AccountAudit
from incidents.models import Incident, IncidentEvent
from incidents.services import incident_comment
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db

NAME = "Greta Lindqvist"
EMAIL = "greta.lindqvist@example.org"


@pytest.fixture
def greta(client):
    greta = make_user("glindqvist", first_name="Greta", last_name="Lindqvist", email=EMAIL)
    agent = make_user("agent-x", groups=["service-desk"])
    CallerProfile.objects.create(user=greta, department="Finance")
    AuthToken.objects.create(user=greta)
    TOTPDevice.objects.create(user=greta, name="phone", confirmed=True)
    incident = make_incident(
        actor=agent,
        caller=greta,
        title="Laptop of Greta Lindqvist will not start",
        description=f"Greta Lindqvist ({EMAIL}) called from the finance floor.",
    )
    incident_comment(actor=agent, incident=incident, body=f"Called {NAME} back on {EMAIL}.", public=True)
    AccessAttempt.objects.create(username="glindqvist", ip_address="127.0.0.1", failures_since_start=1)
    client.force_login(greta)  # a session of hers
    return greta


def text_columns_naming(*needles: str) -> list[str]:
    """Every row of every table whose text columns contain one of ``needles`` (case-insensitive)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        query = Q()
        for field in fields:
            for needle in needles:
                query |= Q(**{f"{field.name}__icontains": needle})
        if fields:
            for row in model._default_manager.filter(query):
                found.append(f"{model._meta.label}#{row.pk}")
    return found


def test_export_holds_the_account_and_what_points_at_or_names_them(greta):
    out = StringIO()
    call_command("user_export", "glindqvist", stdout=out)
    data = json.loads(out.getvalue())
    assert data["account"]["email"] == EMAIL
    assert data["linked"]["escalation.callerprofile"][0]["fields"]["department"] == "Finance"
    assert len(data["linked"]["incidents.incident"]) == 1
    assert "incidents.incidentevent" in data["mentioned"] or "incidents.incidentevent" in data["linked"]
    assert AccountAudit.objects.get(action="exported").subject == greta


def test_erase_leaves_no_table_naming_the_person_and_keeps_the_record(greta):
    assert text_columns_naming(NAME, EMAIL, "glindqvist")  # the test finds her before
    incident = Incident.objects.get(caller=greta)
    events = IncidentEvent.objects.filter(incident=incident).count()

    call_command("user_erase", "glindqvist", "--yes", stdout=StringIO())

    assert text_columns_naming(NAME, EMAIL, "glindqvist", "Lindqvist") == []
    greta.refresh_from_db()
    assert greta.username == f"erased-{greta.pk}" and not greta.is_active and not greta.has_usable_password()
    incident.refresh_from_db()
    assert incident.caller == greta
    assert f"erased-{greta.pk}" in incident.description
    assert IncidentEvent.objects.filter(incident=incident).count() == events
    assert not AuthToken.objects.filter(user=greta).exists()
    assert not TOTPDevice.objects.filter(user=greta).exists()
    assert not CallerProfile.objects.filter(user=greta).exists()
    entry = AccountAudit.objects.get(action="erased")
    assert (entry.subject, entry.subject_label) == (greta, f"erased-{greta.pk}")


def test_erase_of_an_unknown_account_is_a_clear_error():
    with pytest.raises(CommandError, match="No account named"):
        call_command("user_erase", "nobody", "--yes")


def test_the_admin_exports_and_erases_from_the_accounts_list(greta, admin_client):
    changelist = reverse("admin:identity_account_changelist")
    exported = admin_client.post(changelist, {"action": "export_data", "_selected_action": [greta.pk]})
    assert exported.status_code == 200
    assert json.loads(exported.content)["glindqvist"]["account"]["email"] == EMAIL
    erased = admin_client.post(changelist, {"action": "erase", "_selected_action": [greta.pk]})
    assert erased.status_code == 302
    assert not User.objects.filter(username="glindqvist").exists()
    admin = User.objects.get(username="admin")
    assert AccountAudit.objects.get(action="erased").actor == admin
