"""The portal in real Chromium on a phone (390 px), and axe-core over the main pages of every role."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from playwright.sync_api import Page, expect

from incidents.models import Incident, Notification, Status
from incidents.notifications.delivery import notification_email_send
from incidents.records.outbox import event_publish, outbox_due
from tests.browser.test_workspace import act, sign_in
from tests.factories import make_incident, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"viewport": {"width": 390, "height": 844}}
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


def deliver_mail() -> None:
    """What the worker and beat do: publish pending events, send due mail (to the locmem outbox)."""
    from datetime import timedelta

    from django.utils import timezone

    for pk in outbox_due(now=timezone.now(), older_than=timedelta(0), batch_size=100):
        event_publish(pk)
    for pk in (
        Notification.objects.filter(emailed_at__isnull=True).exclude(email_to="").values_list("pk", flat=True)
    ):
        notification_email_send(pk)


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


@pytest.fixture
def people(db):
    return {
        "agent": make_user("agent", groups=["service-desk"]),
        "alice": make_user("alice", first_name="Alice", last_name="Liddell", email="alice@example.org"),
    }


def test_alice_reports_follows_the_reply_and_confirms_from_the_mail_on_a_phone(live_server, browser, people):
    # alice reports an incident from her phone and sees it in her list
    alice = sign_in(browser, live_server, "alice", **PHONE)
    expect(alice).to_have_url(re.compile(r"/portal/$"))
    alice.get_by_role("link", name="Report an incident").click()
    alice.get_by_label("What is wrong?").fill("VPN drops every ten minutes")
    alice.get_by_label("Tell us more").fill("Since this morning, at home.")
    alice.get_by_label("I can work, but slower or with a workaround").check()
    alice.get_by_label("Only me").check()
    fits(alice)
    alice.get_by_role("button", name="Send").click()
    expect(alice.locator(".alert-success")).to_contain_text("is logged")
    number = Incident.objects.get(title="VPN drops every ten minutes").number
    alice.get_by_role("link", name="My incidents").click()
    expect(alice.get_by_test_id("open-incidents")).to_contain_text("VPN drops every ten minutes")
    fits(alice)

    # the agent answers publicly and writes an internal note
    agent = sign_in(browser, live_server, "agent")
    agent.goto(f"{live_server.url}/incidents/{number}/")
    act(
        agent,
        "comment",
        fields={"Comment": "Please update the VPN client to 5.2."},
        selects={"Visible to": "1"},
        button="Comment",
    )
    expect(agent.locator(".alert-success")).to_contain_text("public comment")
    act(
        agent,
        "comment",
        fields={"Comment": "Firewall logs show resets"},
        selects={"Visible to": "0"},
        button="Comment",
    )
    expect(agent.locator(".alert-success")).to_contain_text("work note")

    # alice sees the reply and not the note
    alice.goto(f"{live_server.url}/portal/incidents/{number}/")
    timeline = alice.get_by_test_id("portal-timeline")
    expect(timeline).to_contain_text("Please update the VPN client to 5.2.")
    expect(timeline).not_to_contain_text("Firewall logs")
    fits(alice)

    # the agent resolves; alice follows the confirm link of the mail in the outbox
    act(
        agent,
        "resolve",
        selects={"Resolution code": "workaround"},
        fields={"Resolution notes": "Client updated; drops stopped."},
        button="Resolve",
    )
    expect(agent.get_by_test_id("incident-status")).to_have_text("Resolved")
    mail.outbox.clear()
    deliver_mail()
    [resolved] = [m for m in mail.outbox if m.to == ["alice@example.org"] and "Resolved" in m.subject]
    assert f"[{number}]" in resolved.subject
    assert resolved.extra_headers["In-Reply-To"] == f"<incident-{number}@example.org>"
    confirm = re.search(r"confirm: (\S+)", resolved.body).group(1)
    alice.goto(confirm.replace(settings.SITE_URL, live_server.url))
    assert Incident.objects.get(number=number).status == Status.RESOLVED  # the GET only asks
    fits(alice)
    alice.get_by_role("button", name="Yes, it is solved: close it").click()
    expect(alice.locator(".alert-success")).to_contain_text("is closed")
    expect(alice.get_by_test_id("status-words")).to_have_text("Closed")
    assert Incident.objects.get(number=number).status == Status.CLOSED


def _axe(page: Page) -> list[dict]:
    # Evaluated through the DevTools protocol: a script tag added to the page would be an inline
    # script, which the Content-Security-Policy refuses.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},"
        " resultTypes: ['violations']}))"
        ".violations.map(v => ({id: v.id, nodes: v.nodes.length, target: v.nodes[0].target}))"
    )
    return result


def test_the_main_pages_of_every_role_pass_axe_core(live_server, browser, db):
    agent = make_user("agent", groups=["service-desk"])
    make_user("tech", groups=["technical-support"])
    make_user("incidentmgr", roles=["Incident manager"])
    make_user("manager", roles=["Manager"])
    make_user("admin", is_superuser=True, is_staff=True)
    alice = make_user("alice", email="alice@example.org")
    incident = make_incident(actor=agent, caller=alice)
    make_incident(actor=alice, caller=alice, title="Screen flickers")
    deliver_mail()  # so that the notification pages have rows, read and unread
    n = incident.number
    pages = {
        "agent": ["/incidents/", f"/incidents/{n}/", "/notifications/"],
        "tech": ["/incidents/?queue=groups", "/notifications/"],
        "incidentmgr": ["/escalation/", "/notifications/"],
        "manager": ["/", "/notifications/"],
        "admin": ["/admin/", "/notifications/"],
        "alice": ["/portal/", "/portal/report/", f"/portal/incidents/{n}/", "/notifications/"],
    }
    failures = {}
    context = browser.new_context()
    page = context.new_page()
    for username, paths in pages.items():
        # Signed in by session cookie: the sign-in form has its own browser test.
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        context.clear_cookies()
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            violations = _axe(page)
            if violations:
                failures[f"{username} {path}"] = violations
    context.close()
    assert failures == {}
