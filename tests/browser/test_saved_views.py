"""Saved views in real Chromium: save the queue's filters, see the view with its count, open it."""

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.helpers import axe_violations, signed_in_page
from tests.factories import make_incident, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_agent_saves_a_view_from_the_queue_and_opens_it_from_the_navigation(live_server, browser: Browser):
    agent = make_user("agent", groups=["service-desk"])
    colleague = make_user("agent2", groups=["service-desk"])
    alice = make_user("alice", email="alice@example.org")
    make_incident(actor=agent, caller=alice, title="Mailed printer fault", channel="email")
    make_incident(actor=agent, caller=alice, title="Phoned VPN fault", channel="phone")

    page = signed_in_page(browser, live_server, agent)
    page.goto(f"{live_server.url}/incidents/?queue=all&channel=email")
    page.get_by_test_id("save-view").click()
    expect(page).to_have_url(re.compile(r"/live/views/"))
    assert axe_violations(page) == []
    page.get_by_label("View name").fill("Mailed in")
    page.get_by_label("Share with").select_option(label="Service Desk")
    page.get_by_test_id("save-view-submit").click()

    # back on the queue the view shows, with its count, and is the current one
    expect(page).to_have_url(re.compile(r"/incidents/\?queue=all&channel=email"))
    view = page.get_by_test_id("saved-view").filter(has_text="Mailed in")
    expect(view.get_by_test_id("saved-view-count")).to_have_text("1")

    # from another queue, the navigation's Views page opens it
    page.goto(f"{live_server.url}/incidents/?queue=open")
    page.get_by_role("link", name="Views", exact=True).click()
    page.get_by_role("link", name="Mailed in").click()
    expect(page.get_by_text("Mailed printer fault")).to_be_visible()
    expect(page.get_by_text("Phoned VPN fault")).to_have_count(0)

    # shared with the service desk: a colleague sees it with the same count
    other = signed_in_page(browser, live_server, colleague)
    other.goto(f"{live_server.url}/incidents/")
    expect(
        other.get_by_test_id("saved-view").filter(has_text="Mailed in").get_by_test_id("saved-view-count")
    ).to_have_text("1")
