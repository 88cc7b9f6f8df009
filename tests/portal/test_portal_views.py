"""The self-service portal through the test client: report, follow, answer, confirm, reopen, watch."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from escalation.choices import Level
from incidents import services
from incidents.models import Channel, Incident, IncidentEvent, Notification, Status, Watcher
from incidents.records.outbox import event_publish
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db

REPORT = {
    "title": "Laptop will not start",
    "description": "The screen stays black.",
    "stops_work": "blocked",
    "affected": "me",
    "location": "Building B, room 2.14",
}


def _publish(incident) -> None:
    for pk in incident.events.filter(notified_at__isnull=True).values_list("pk", flat=True):
        event_publish(pk)


def _resolved(agent, caller, **kwargs):
    incident = make_incident(actor=agent, caller=caller, **kwargs)
    return services.incident_resolve(
        actor=agent,
        incident=incident,
        expected_version=None,
        resolution_code="workaround",
        resolution_notes="Replaced the power adapter.",
    )


def test_a_caller_reports_in_plain_words_and_impact_and_urgency_are_derived(client, alice):
    client.force_login(alice)
    page = client.get("/portal/report/")
    assert page.status_code == 200
    text = page.content.decode().lower()
    assert "impact" not in text and "urgency" not in text

    response = client.post(
        "/portal/report/",
        {**REPORT, "attachments": SimpleUploadedFile("error.txt", b"error 42\n", content_type="text/plain")},
    )

    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/portal/incidents/{incident.number}/"
    assert incident.caller == alice and incident.reported_by == alice and incident.channel == Channel.PORTAL
    assert (incident.impact, incident.urgency) == (Level.LOW, Level.HIGH)
    assert "Where: Building B, room 2.14" in incident.description
    assert incident.attachments.get().original_name == "error.txt"
    detail = client.get(response["Location"]).content.decode()
    assert "your incident" in detail and incident.number in detail
    assert "impact" not in detail.lower() and "urgency" not in detail.lower()


def test_a_report_with_missing_answers_is_a_400_with_the_reasons(client, alice):
    client.force_login(alice)
    response = client.post("/portal/report/", {"title": "", "stops_work": "weird"})
    assert response.status_code == 400
    assert Incident.objects.count() == 0
    assert "This field is required." in response.content.decode()


def test_the_report_form_asks_the_knowledge_app_for_suggestions(client, alice):
    client.force_login(alice)
    html = client.get("/portal/report/").content.decode()
    assert '<div id="kb-suggestions" aria-live="polite"' in html
    assert 'hx-get="/knowledge/suggest/"' in html and 'hx-trigger="keyup changed delay:300ms"' in html
    assert 'hx-include="#id_title, #id_description"' in html


def test_my_incidents_speak_plainly_and_hide_internal_names(
    client, agent, alice, bob, tech, django_assert_max_num_queries
):
    mine = make_incident(actor=agent, caller=alice, title="Mine")
    services.incident_assign(
        actor=agent,
        incident=mine,
        expected_version=None,
        assignment_group=tech.memberships.get().group,
        assigned_to=tech,
    )
    for i in range(5):
        make_incident(actor=agent, caller=alice, title=f"Another {i}")
    make_incident(actor=agent, caller=bob, title="Not mine")
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        html = client.get("/portal/").content.decode()
    assert "Mine" in html and "Another 4" in html and "Not mine" not in html
    assert "A team has it" in html and "Technical Support" in html
    assert tech.get_username() not in html and tech.last_name not in html
    assert "Expected by" in html
    with override_settings(SERVICEDESK={"AUTOCLOSE_BUSINESS_DAYS": 3, "PORTAL_SHOW_ASSIGNEE_NAMES": True}):
        assert tech.last_name in client.get("/portal/").content.decode()


def test_the_incident_page_shows_the_public_timeline_only(client, agent, alice, bob):
    incident = make_incident(actor=agent, caller=alice)
    services.incident_comment(actor=agent, incident=incident, body="We are on it.", public=True)
    services.incident_comment(actor=agent, incident=incident, body="Probably the PSU, again", public=False)
    client.force_login(alice)
    html = client.get(f"/portal/incidents/{incident.number}/").content.decode()
    assert "We are on it." in html and "Probably the PSU" not in html
    assert "escalation" not in html.lower() and "SLA" not in html
    client.force_login(bob)
    assert client.get(f"/portal/incidents/{incident.number}/").status_code == 404


def test_the_caller_comments_and_attaches_and_the_owners_hear_of_it(client, agent, alice):
    incident = make_incident(actor=agent, caller=alice, assigned_to=agent)
    client.force_login(alice)
    response = client.post(
        f"/portal/incidents/{incident.number}/comment/",
        {
            "body": "It happened again",
            "attachments": SimpleUploadedFile("a.txt", b"x\n", content_type="text/plain"),
        },
    )
    assert response.status_code == 302
    kinds = list(incident.events.filter(public=True).values_list("kind", flat=True))
    assert kinds[-2:] == ["comment", "attachment"]
    _publish(incident)
    assert Notification.objects.filter(recipient=agent, kind="caller_reply").exists()
    empty = client.post(f"/portal/incidents/{incident.number}/comment/", {"body": "  "})
    assert empty.status_code == 400 and "Write a message or choose a file." in empty.content.decode()


def test_confirm_asks_on_get_and_closes_on_post(client, agent, alice):
    incident = _resolved(agent, alice)
    client.force_login(alice)
    url = f"/portal/incidents/{incident.number}/confirm/"
    page = client.get(url)
    assert page.status_code == 200 and "Yes, it is solved" in page.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED  # a link preview or a mail scanner closes nothing
    assert client.post(url).status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED and incident.events.filter(kind="closed", actor=alice).exists()
    again = client.post(url)
    assert again.status_code == 409  # a clear refusal, not a 500


def test_reopen_needs_a_reason_and_puts_the_incident_back_to_work(client, agent, alice):
    incident = _resolved(agent, alice)
    client.force_login(alice)
    url = f"/portal/incidents/{incident.number}/reopen/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Still black after lunch"}).status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.IN_PROGRESS
    assert incident.events.get(kind="reopened").body == "Still black after lunch"


def test_a_watcher_added_by_email_sees_it_and_receives_its_public_mail(client, agent, alice, bob):
    incident = make_incident(actor=agent, caller=alice)
    client.force_login(alice)
    unknown = client.post(f"/portal/incidents/{incident.number}/watchers/", {"email": "nobody@example.org"})
    assert unknown.status_code == 400 and "No colleague with the address" in unknown.content.decode()
    added = client.post(f"/portal/incidents/{incident.number}/watchers/", {"email": bob.email.upper()})
    assert added.status_code == 302
    assert Watcher.objects.filter(incident=incident, user=bob).exists()

    client.force_login(bob)
    assert incident.number in client.get("/portal/").content.decode()
    assert client.get(f"/portal/incidents/{incident.number}/").status_code == 200
    assert client.post(f"/portal/incidents/{incident.number}/confirm/").status_code == 409  # the caller's

    _publish(incident)
    services.incident_comment(actor=agent, incident=incident, body="A technician comes at 3.", public=True)
    services.incident_comment(actor=agent, incident=incident, body="internal", public=False)
    _publish(incident)
    mail = Notification.objects.get(recipient=bob)
    assert mail.kind == "public_comment" and "/portal/incidents/" in mail.url
    assert "confirm/" not in mail.body


def test_autoclose_is_logged_in_the_public_timeline(client, agent, alice):
    incident = _resolved(agent, alice)
    with time_machine.travel(timezone.now() + timedelta(days=7)):
        assert services.incidents_autoclose() == 1
    closed = IncidentEvent.objects.get(incident=incident, kind="closed")
    assert closed.public and closed.actor is None and "automatically" in closed.body
    client.force_login(alice)
    html = client.get(f"/portal/incidents/{incident.number}/").content.decode()
    assert "Closed automatically" in html


def test_end_users_land_in_the_portal_and_staff_get_a_way_back(client, agent, alice):
    client.force_login(alice)
    assert client.get("/")["Location"] == "/portal/"
    assert b"Back to your workspace" not in client.get("/portal/").content
    client.force_login(agent)
    assert b"Back to your workspace" in client.get("/portal/").content


def test_the_portal_needs_a_sign_in(client):
    response = client.get("/portal/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_staff_member_sees_the_callers_view_but_not_internal_notes(client, agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    services.incident_comment(actor=agent, incident=incident, body="secret note", public=False)
    other = make_user("agentx", groups=["service-desk"])
    client.force_login(other)
    html = client.get(f"/portal/incidents/{incident.number}/").content.decode()
    assert "secret note" not in html and f"/incidents/{incident.number}/" in html


def test_my_incidents_shows_the_newest_open_ones_and_says_how_many_there_are(
    client, alice, agent, monkeypatch
):
    from portal import selectors as portal_selectors

    monkeypatch.setattr(portal_selectors, "OPEN_SHOWN", 3)
    made = [make_incident(actor=agent, caller=alice, title=f"Printer {n}") for n in range(5)]
    watched = make_incident(actor=agent, caller=make_user("dora"), title="Shared printer")
    Watcher.objects.create(incident=watched, user=alice, added_by=agent)
    client.force_login(alice)
    page = client.get("/portal/")
    assert page.status_code == 200
    shown = [card["incident"].number for card in page.context["open_cards"]]
    assert shown == [watched.number, made[4].number, made[3].number]
    assert page.context["open_total"] == 6
    assert "You have 6 open incidents; here are the 3 most recent." in page.content.decode()
