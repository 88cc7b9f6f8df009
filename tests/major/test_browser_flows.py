"""Issue 13 end to end in real Chromium: declaring and the banner; closing waits for the review."""

import re

import pytest
from playwright.sync_api import expect

from incidents import services
from incidents.models import Incident, Service, Status
from tests.browser.test_workspace import act, sign_in
from tests.factories import make_incident, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def people(db):
    return {
        "agent": make_user("agent", groups=["service-desk"]),
        "incidentmgr": make_user("incidentmgr", roles=["Incident manager"]),
        "alice": make_user("alice", first_name="Alice", last_name="Liddell", email="alice@example.org"),
    }


def test_the_incident_manager_declares_posts_an_update_and_alice_sees_the_banner(
    live_server, browser, people
):
    email = Service.objects.create(name="Email", slug="email")
    outage = make_incident(actor=people["agent"], caller=people["alice"], title="Mail is down", service=email)

    im = sign_in(browser, live_server, "incidentmgr")
    im.goto(f"{live_server.url}/incidents/{outage.number}/")
    im.locator('details[data-action="major"] > summary').click()
    form = im.get_by_test_id("action-major")
    form.get_by_label("Major incident").check()
    form.get_by_label("Why it is major").fill("Nobody can send mail")
    form.get_by_role("button", name="Declare or propose a major incident").click()
    expect(im.get_by_test_id("major-panel")).to_be_visible()

    im.get_by_role("link", name="Communications log").click()
    im.get_by_role("textbox", name="Status update").fill("Mail relay restarted; queues draining.")
    im.get_by_role("button", name="Post update").click()
    expect(im.get_by_test_id("major-updates")).to_contain_text("Mail relay restarted")

    alice = sign_in(browser, live_server, "alice")
    banner = alice.get_by_test_id("major-banner")
    expect(banner).to_contain_text("Email")
    expect(banner).to_contain_text("Mail relay restarted; queues draining.")
    assert Incident.objects.get(pk=outage.pk).sla_policy_slug == "major"


def test_closing_is_refused_without_the_review_and_allowed_after_it(live_server, browser, people):
    outage = make_incident(actor=people["agent"], caller=people["alice"], title="ERP down")
    services.major_declare(actor=people["incidentmgr"], incident=outage)
    services.incident_resolve(
        actor=people["incidentmgr"],
        incident=outage,
        expected_version=None,
        resolution_code="workaround",
        resolution_notes="Failed over",
    )

    im = sign_in(browser, live_server, "incidentmgr")
    im.goto(f"{live_server.url}/incidents/{outage.number}/")
    act(im, "close", button="Close")
    expect(im.get_by_test_id("action-close")).to_contain_text("record its post-incident review")
    assert Incident.objects.get(pk=outage.pk).status == Status.RESOLVED

    im.goto(f"{live_server.url}/incidents/{outage.number}/review/")
    review = im.get_by_test_id("review-form")
    review.get_by_label("Summary").fill("ERP down 2 hours: database disk full")
    review.get_by_label("Root cause").fill("Disk alert muted")
    review.get_by_label("Actions").fill("agent | 2026-12-31 | Unmute the disk alert")
    review.get_by_role("button", name="Record the review").click()
    expect(im.get_by_test_id("review")).to_contain_text("Unmute the disk alert")

    im.goto(f"{live_server.url}/incidents/{outage.number}/")
    act(im, "close", button="Close")
    expect(im.get_by_test_id("incident-status")).to_have_text(re.compile("Closed"))
