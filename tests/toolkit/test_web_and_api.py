"""Toolkit pages and API: the incident page's macros, the bulk action bar, the response picker,
the macro API and its refusals (issue 23 §1)."""

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

from incidents.models import ResolutionCode, Status
from tests.factories import group, make_incident
from toolkit import services
from toolkit.models import Macro, MacroRun, MacroStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def _api(user):
    client = APIClient()
    _, token = AuthToken.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def resolve_macro(incident_manager):
    return services.macro_save(
        actor=incident_manager,
        name="Resolve: guidance",
        set_status=MacroStatus.RESOLVED,
        resolution_code=ResolutionCode.USER_GUIDANCE,
        public_reply="Hello {caller_name}, done.",
    )


def test_incident_panel_shows_what_each_macro_will_do(client, agent, alice, resolve_macro):
    incident = make_incident(actor=agent, caller=alice)
    client.force_login(agent)

    page = client.get(f"/toolkit/incidents/{incident.number}/panel/")

    assert page.status_code == 200
    assert "Resolve: guidance" in page.text
    assert "Hello Alice Liddell, done." in page.text


def test_apply_from_the_incident_page(client, agent, alice, resolve_macro):
    incident = make_incident(actor=agent, caller=alice)
    client.force_login(agent)

    response = client.post(
        f"/toolkit/incidents/{incident.number}/macros/{resolve_macro.pk}/", {"version": incident.version}
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert MacroRun.objects.filter(incident=incident).count() == 1


def test_a_stale_page_applies_nothing_and_says_why(client, agent, resolve_macro):
    incident = make_incident(actor=agent)
    client.force_login(agent)

    response = client.post(
        f"/toolkit/incidents/{incident.number}/macros/{resolve_macro.pk}/",
        {"version": incident.version - 1},
        follow=True,
    )

    assert "was not applied" in response.text
    assert not MacroRun.objects.exists()


def test_bulk_applies_to_each_selected_incident(client, agent, incident_manager):
    macro = services.macro_save(actor=incident_manager, name="Note", internal_note="Checked by the desk.")
    first, second = make_incident(actor=agent), make_incident(actor=agent)
    client.force_login(agent)

    client.post(
        "/toolkit/macros/bulk/",
        {
            "macro": macro.pk,
            "selected": [f"{first.number}:{first.version}", f"{second.number}:{second.version - 1}"],
        },
    )

    assert list(MacroRun.objects.values_list("incident__number", flat=True)) == [first.number]


def test_response_picker_fills_variables_for_the_incident(client, agent, alice):
    services.response_template_save(
        actor=agent, title="Greeting", body="Hi {caller_name} ({incident_number})", personal=True
    )
    incident = make_incident(actor=agent, caller=alice)
    client.force_login(agent)

    found = client.get(f"/toolkit/incidents/{incident.number}/responses/", {"q": "greet"}).json()

    assert found["results"][0]["text"] == f"Hi Alice Liddell ({incident.number})"


def test_response_picker_of_an_incident_one_cannot_see_is_404(client, agent, tech):
    incident = make_incident(actor=agent, assignment_group=group("security"))
    client.force_login(tech)

    assert client.get(f"/toolkit/incidents/{incident.number}/responses/").status_code == 404


def test_only_incident_managers_open_the_macro_editor(client, agent, incident_manager):
    client.force_login(agent)
    assert client.get("/toolkit/macros/new/").status_code == 403
    client.force_login(incident_manager)
    response = client.post(
        "/toolkit/macros/new/",
        {"name": "Hold", "set_status": "on_hold", "hold_reason": "", "is_active": "on"},
    )
    assert response.status_code == 400  # the reason is missing: a clear message, no 500
    assert "Say why" in response.text
    assert not Macro.objects.exists()


def test_api_dry_run_then_apply(agent, alice, resolve_macro):
    incident = make_incident(actor=agent, caller=alice)
    api = _api(agent)
    url = f"/api/v1/incidents/{incident.number}/macros/{resolve_macro.pk}/"

    dry = api.post(url, {"version": incident.version, "dry_run": True}, format="json")
    assert dry.status_code == 200
    assert dry.json()["applied"] is False
    assert [s["what"] for s in dry.json()["steps"]] == ["Public reply", "Status"]
    assert not MacroRun.objects.exists()

    done = api.post(url, {"version": incident.version}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["applied"] is True
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_api_refusals(agent, alice, resolve_macro):
    incident = make_incident(actor=agent, caller=alice)
    url = f"/api/v1/incidents/{incident.number}/macros/{resolve_macro.pk}/"

    assert _api(agent).post(url, {"version": incident.version - 1}, format="json").status_code == 409
    assert _api(agent).post(url, {}, format="json").status_code == 400
    assert _api(alice).post(url, {"version": incident.version}, format="json").status_code == 403
    missing = f"/api/v1/incidents/{incident.number}/macros/999999/"
    assert _api(agent).post(missing, {"version": incident.version}, format="json").status_code == 404
    assert _api(agent).get("/api/v1/macros/").json()[0]["name"] == "Resolve: guidance"
