"""Tags in real Chromium (issue 23 §5): a suggested tag added from the incident page, followed to
the queue filtered by it, and taken off again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_violations
from tests.browser.test_workspace import sign_in
from tests.factories import make_incident, make_user
from toolkit import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_agent_tags_an_incident_then_finds_it_in_the_queue(live_server, browser):
    agent = make_user("agent", groups=["service-desk"])
    earlier = make_incident(actor=agent, title="VPN drops at home")
    services.tag_add(actor=agent, incident=earlier, name="vpn")
    incident = make_incident(actor=agent, title="VPN refuses my password")
    other = make_incident(actor=agent, title="Printer jam")
    page = sign_in(browser, live_server, "agent")
    page.goto(f"{live_server.url}/incidents/{incident.number}/")

    form = page.get_by_test_id("tag-form")
    expect(form.locator("datalist option[value='vpn']")).to_have_count(1)  # suggested from the one in use
    form.get_by_label("Add a tag").fill("VPN")
    assert axe_violations(page) == []
    form.get_by_role("button", name="Add tag").click()

    expect(page.locator(".alert-success")).to_contain_text(f"vpn tagged on {incident.number}")
    tags = page.get_by_test_id("incident-tags")
    expect(tags).to_contain_text("vpn")
    tags.get_by_role("link", name="vpn").click()
    expect(page.locator("main")).to_contain_text(incident.number)
    expect(page.locator("main")).to_contain_text(earlier.number)
    expect(page.locator("main")).not_to_contain_text(other.number)

    page.goto(f"{live_server.url}/incidents/{incident.number}/")
    page.get_by_test_id("incident-tags").get_by_role("button", name="Remove the tag vpn").click()
    expect(page.locator(".alert-success")).to_contain_text(f"vpn taken off {incident.number}")
    expect(page.get_by_test_id("incident-tags")).to_contain_text("No tag yet.")
