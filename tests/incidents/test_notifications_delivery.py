"""Who is notified and how the mail leaves (SPEC §7): fan-out, links, and SMTP through a real server."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve
from django.utils import timezone

from core.mail import render_email
from escalation.models import SupportGroup
from incidents import services
from incidents.models import IncidentEvent, Notification
from incidents.notifications.delivery import links, message_id, notification_email_send, notify_lifecycle
from incidents.records.outbox import event_publish
from tests.factories import group, make_incident, make_user
from tests.smtp import free_port, smtp_server, smtp_settings

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates" / "incidents" / "email"


def _publish(incident) -> None:
    for pk in incident.events.filter(notified_at__isnull=True).values_list("pk", flat=True):
        event_publish(pk)


def _created_event(incident) -> IncidentEvent:
    return IncidentEvent.objects.select_related("incident", "actor").get(incident=incident, kind="created")


def test_fanning_out_to_a_large_group_costs_no_more_queries_than_to_a_small_one(agent, alice):
    def fan_out_queries(members: int, tag: str) -> int:
        for i in range(members):
            make_user(f"{tag}{i}", groups=["network"], email=f"{tag}{i}@example.org")
        incident = make_incident(actor=agent, caller=alice, assignment_group=group("network"))
        event = _created_event(incident)
        with CaptureQueriesContext(connection) as queries:
            notify_lifecycle(event)
        in_group = group("network").memberships.count()
        assert Notification.objects.filter(event=event).count() == 1 + in_group  # the caller and the group
        Notification.objects.all().delete()
        return len(queries)

    small = fan_out_queries(2, "small")
    large = fan_out_queries(12, "large")
    assert large == small


def test_a_consultation_notifies_the_group_it_asked_even_with_the_same_question_twice(agent, alice):
    # (``security`` is the restricted support group of issue 13; this one is a consulted group)
    security = SupportGroup.objects.create(name="Infosec", slug="infosec", kind=SupportGroup.Kind.CONSULTED)
    access_member = make_user("access9", groups=["access"])
    security_member = make_user("sec9")
    security.memberships.create(user=security_member)
    incident = make_incident(actor=agent, caller=alice)
    for target in (group("access"), security):
        services.incident_consult(
            actor=agent, incident=incident, expected_version=None, group=target, question="Is it you?"
        )
    _publish(incident)
    asked = Notification.objects.filter(kind="consultation_requested")
    by_event = {
        n.event.consultation.group.slug: n.recipient.username
        for n in asked.select_related("event__consultation")
    }
    assert by_event == {"access": access_member.username, "infosec": security_member.username}
    assert asked.count() == 2


def _urls(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def _kinds() -> list[str]:
    return sorted(p.name.removesuffix(".subject.txt") for p in TEMPLATES.glob("*.subject.txt"))


@pytest.mark.parametrize("for_caller", [True, False], ids=["caller", "staff"])
@pytest.mark.parametrize("kind", _kinds())
def test_every_email_links_only_to_pages_that_exist(kind, for_caller, agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    event = _created_event(incident)
    fire = SimpleNamespace(target="resolution", percent=100, cycle=1)
    context = {
        "incident": incident,
        "event": event,
        "recipient": alice if for_caller else agent,
        "site_url": settings.SITE_URL,
        "fire": fire,
        "group": incident.assignment_group,
        "level": 1,
        **links(incident, for_caller=for_caller),
    }
    email = render_email(f"incidents/email/{kind}", context)
    urls = _urls(email.text) + _urls(email.html)
    for url in urls:
        assert url.startswith(settings.SITE_URL), url
        try:
            resolve(url.removeprefix(settings.SITE_URL))
        except Resolver404:
            pytest.fail(f"{kind} links to {url}, which is not routed")
    assert f"[{incident.number}]" in email.subject
    if for_caller:  # callers and watchers land in the portal, never in the workspace
        assert urls and all(
            u.startswith(f"{settings.SITE_URL}/portal/incidents/{incident.number}/") for u in urls
        )
    elif kind != "incident_resolved":  # the one email only callers receive
        assert f"{settings.SITE_URL}/incidents/{incident.number}/" in urls
    assert "Reply to it" not in email.html + email.text  # nothing reads replies yet


def _resolve_and_publish(agent, caller):
    """An incident of ``caller`` resolved by ``agent``, its events published."""
    incident = services.incident_resolve(
        actor=agent,
        incident=make_incident(actor=agent, caller=caller),
        expected_version=None,
        resolution_code="workaround",
        resolution_notes="Restarted the spooler.",
    )
    _publish(incident)
    return incident


def test_mail_goes_through_a_real_smtp_server_once_with_a_stable_message_id(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    _publish(incident)
    notification = Notification.objects.get(recipient=alice)
    with smtp_server() as (server, port), override_settings(**smtp_settings(port)):
        assert notification_email_send(notification.pk) is True
        assert notification_email_send(notification.pk) is False  # sent already
    [received] = server.messages
    assert received["To"] == "alice@example.org"
    assert received["Message-ID"] == message_id(notification)
    assert received["Message-ID"] == f"<notification-{notification.pk}.{notification.event_id}@example.org>"
    assert received["Subject"] == notification.subject
    notification.refresh_from_db()
    assert notification.emailed_at is not None and notification.email_claimed_until is None


def test_a_failed_send_backs_off_then_the_retry_sends_the_same_message(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    _publish(incident)
    notification = Notification.objects.get(recipient=alice)
    port = free_port()  # nothing listens there yet
    start = timezone.now()
    with override_settings(**smtp_settings(port)):
        with time_machine.travel(start, tick=False), pytest.raises(OSError):
            notification_email_send(notification.pk)
        notification.refresh_from_db()
        assert notification.email_attempts == 1 and notification.emailed_at is None
        assert notification.email_claimed_until == start + timedelta(minutes=1)

        with smtp_server(port) as (server, _):
            with time_machine.travel(start + timedelta(seconds=30), tick=False):
                assert notification_email_send(notification.pk) is False  # still backing off
            with time_machine.travel(start + timedelta(minutes=1), tick=False):
                assert notification_email_send(notification.pk) is True
    assert [m["Message-ID"] for m in server.messages] == [message_id(notification)]
    notification.refresh_from_db()
    assert notification.email_attempts == 2 and notification.emailed_at is not None


def test_a_claim_held_by_another_sender_is_respected_until_it_runs_out(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    _publish(incident)
    notification = Notification.objects.get(recipient=alice)
    now = timezone.now()
    # Given a sender that claimed the mail and died before marking it
    Notification.objects.filter(pk=notification.pk).update(
        email_claimed_until=now + timedelta(seconds=settings.NOTIFICATION_EMAIL_CLAIM_SECONDS),
        email_attempts=1,
    )
    with smtp_server() as (server, port), override_settings(**smtp_settings(port)):
        assert notification_email_send(notification.pk, now=now) is False
        assert server.messages == []
        later = now + timedelta(seconds=settings.NOTIFICATION_EMAIL_CLAIM_SECONDS)
        assert notification_email_send(notification.pk, now=later) is True
    assert len(server.messages) == 1


def test_caller_emails_link_to_the_portal_pages(agent, alice):
    incident = _resolve_and_publish(agent, alice)
    resolved = Notification.objects.get(recipient=alice, kind="incident_resolved")
    base = f"{settings.SITE_URL}/portal/incidents/{incident.number}/"
    assert resolved.url == base
    assert f"confirm: {base}confirm/" in resolved.body and f"reopen it: {base}reopen/" in resolved.body
    assert f'href="{base}confirm/"' in resolved.body_html
    logged = Notification.objects.get(recipient=alice, kind="incident_logged")
    assert f"Open it: {base}" in logged.body
