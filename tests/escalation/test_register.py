"""The escalation register: a page every staff member reads, edited by the incident manager, logged."""

from __future__ import annotations

import pytest
from django.test import Client

from escalation.models import ContactPerson, EscalationPoint, RegisterChange
from escalation.services import register_delete, register_save
from tests.factories import PASSWORD, group, make_user

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_staff_read_the_register_with_tiers_groups_contacts_and_points():
    agent = make_user("agent1", groups=["service-desk"])
    ContactPerson.objects.create(group=group("network"), name="Nina Ops", phone="+44 20 7946 0001")

    response = signed_in(agent).get("/escalation/")

    assert response.status_code == 200
    page = response.content.decode().lower()
    for text in (
        "tier 1 · service desk",
        "network",
        "nina ops",
        "+44 20 7946 0001",
        "resolution 90%",
        "incident manager",
        "unresolved p2 leaves tier 1 after 30 minutes",
        "data-print",  # the Print button (static/js/app.js)
    ):
        assert text in page


def test_end_users_are_refused_and_anonymous_users_sent_to_sign_in():
    assert signed_in(make_user("alice1")).get("/escalation/").status_code == 403
    assert Client().get("/escalation/").status_code == 302


def test_the_register_page_reads_a_fixed_number_of_queries(django_assert_max_num_queries):
    agent = make_user("agent1", groups=["service-desk"])
    client = signed_in(agent)
    with django_assert_max_num_queries(20):
        assert client.get("/escalation/").status_code == 200


def test_register_changes_are_logged_with_old_and_new_values():
    im = make_user("im1", roles=["Incident manager"])
    point = EscalationPoint.objects.filter(group=group("network"), level=2).first()

    point.percent = 95
    register_save(actor=im, instance=point)
    register_delete(actor=im, instance=point)

    updated, deleted = RegisterChange.objects.filter(model="escalationpoint").order_by("at", "id")
    assert updated.action == "updated" and updated.actor == im
    assert updated.changes == {"percent": {"old": 90, "new": 95}}
    assert deleted.action == "deleted" and deleted.changes["level"] == {"old": 2, "new": None}


def test_an_admin_change_by_the_incident_manager_is_logged():
    im = make_user("im1", roles=["Incident manager"], is_staff=True)
    network = group("network")
    client = signed_in(im)
    url = f"/admin/escalation/supportgroup/{network.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update({"phone": "+44 20 7946 0999", "is_active": "on"})
    for prefix in ("contacts", "escalation_points", "memberships"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    # keep the existing inline rows as they are
    response = client.get(url)
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        data[f"{fs.prefix}-TOTAL_FORMS"] = str(len(fs.forms))
        data[f"{fs.prefix}-INITIAL_FORMS"] = str(fs.initial_form_count())
        for i, f in enumerate(fs.forms):
            for name, field in f.fields.items():
                value = f.initial.get(name, field.initial)
                if hasattr(value, "pk"):
                    value = value.pk
                if value is not None and value is not False:
                    data[f"{fs.prefix}-{i}-{name}"] = "on" if value is True else value

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context.get("errors")
    change = RegisterChange.objects.get(model="supportgroup", object_id=str(network.pk))
    assert change.actor == im
    assert change.changes == {"phone": {"old": "", "new": "+44 20 7946 0999"}}


def test_agents_cannot_edit_the_register_in_the_admin():
    agent = make_user("agent9", groups=["service-desk"], is_staff=True)
    response = signed_in(agent).get(f"/admin/escalation/supportgroup/{group('network').pk}/change/")
    assert response.status_code in (302, 403)
