"""Notifications, complete (SPEC §7): threading over real SMTP, the bell, preferences."""

from __future__ import annotations

import pytest
from django.test import override_settings

from incidents import services
from incidents.models import Notification, NotificationPreference
from incidents.notifications.delivery import (
    apply_preferences,
    message_id,
    notification_email_send,
    thread_message_id,
)
from incidents.records.outbox import event_publish
from tests.factories import make_incident
from tests.smtp import smtp_server, smtp_settings

pytestmark = pytest.mark.django_db


def _publish(incident) -> None:
    for pk in incident.events.filter(notified_at__isnull=True).values_list("pk", flat=True):
        event_publish(pk)


def test_every_mail_of_an_incident_threads_under_one_root_over_real_smtp(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    services.incident_comment(actor=agent, incident=incident, body="We are on it.", public=True)
    _publish(incident)
    sent = list(Notification.objects.filter(recipient=alice).order_by("pk"))
    assert [n.kind for n in sent] == ["incident_logged", "public_comment"]
    with smtp_server() as (server, port), override_settings(**smtp_settings(port)):
        for n in sent:
            assert notification_email_send(n.pk) is True
    root = f"<incident-{incident.number}@example.org>"
    assert thread_message_id(incident) == root
    assert [m["Message-ID"] for m in server.messages] == [message_id(n) for n in sent]
    for received in server.messages:
        assert received["In-Reply-To"] == root and received["References"] == root
        assert f"[{incident.number}]" in received["Subject"]
        assert received["Auto-Submitted"] == "auto-generated"
        html = received.get_body(("html",)).get_content()
        assert "<link" not in html and "<script" not in html and "style=" in html


def test_a_caller_who_reports_for_themselves_hears_that_it_is_logged(alice):
    incident = make_incident(actor=alice, caller=alice)
    _publish(incident)
    logged = Notification.objects.get(recipient=alice, kind="incident_logged")
    assert logged.email_to == alice.email and "/portal/incidents/" in logged.url


def test_the_bell_counts_unread_with_one_query_and_mark_all_read_clears_it(
    client, agent, alice, django_assert_max_num_queries
):
    for i in range(3):
        incident = make_incident(actor=agent, caller=alice, title=f"Broken {i}")
        _publish(incident)
    client.force_login(alice)
    client.get("/notifications/bell/")  # the session is loaded once
    with django_assert_max_num_queries(3) as queries:  # session, user, the count
        html = client.get("/notifications/bell/").content.decode()
    assert sum("COUNT(" in q["sql"] for q in queries.captured_queries) == 1
    assert ">3<" in html and "unread" in html
    page = client.get("/portal/").content.decode()
    assert 'hx-get="/notifications/bell/"' in page and 'hx-trigger="load, livebell from:body"' in page
    assert 'href="/notifications/preferences/"' in page
    client.post("/notifications/")
    assert "unread" not in client.get("/notifications/bell/").content.decode()


def test_muted_comment_mail_stays_in_app_and_sla_escalations_are_never_muted(client, agent, alice):
    client.force_login(alice)
    assert client.get("/notifications/preferences/").status_code == 200
    response = client.post("/notifications/preferences/", {"mute_comment_mail": "on"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=alice).mute_comment_mail is True

    incident = make_incident(actor=agent, caller=alice)
    services.incident_comment(actor=agent, incident=incident, body="We are on it.", public=True)
    _publish(incident)
    comment = Notification.objects.get(recipient=alice, kind="public_comment")
    logged = Notification.objects.get(recipient=alice, kind="incident_logged")
    assert comment.email_to == "" and logged.email_to == alice.email  # in-app only, the rest still mailed

    services.notification_preferences_update(user=agent, mute_comment_mail=True, mute_assignment_mail=True)
    rows = [
        Notification(recipient=agent, kind=kind, email_to=agent.email)
        for kind in ("sla_escalation", "assigned_to_you", "caller_reply", "sla_breach")
    ]
    apply_preferences(rows)
    assert [bool(r.email_to) for r in rows] == [True, False, False, True]
