"""An agent opens a PDF attachment's viewer from its thumbnail on the incident page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from incidents import services
from tests.browser.helpers import axe_violations, signed_in_page
from tests.factories import make_incident, make_user
from tests.previews import samples

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_thumbnail_opens_the_pdf_viewer_on_the_incident_page(live_server, browser: Browser):
    agent = make_user("agent", groups=["service-desk"])
    incident = make_incident(actor=agent, caller=make_user("alice"))
    services.attachment_add(
        actor=agent, incident=incident, upload=samples.upload("manual.pdf", samples.pdf(pages=2))
    )
    page = signed_in_page(browser, live_server, agent)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/incidents/{incident.number}/")

    thumbnail = page.get_by_test_id("attachment-thumbnail").get_by_role("img")
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") > 0
    page.get_by_test_id("attachment-thumbnail").click()

    viewer = page.get_by_test_id("attachment-viewer")
    expect(viewer).to_be_visible()
    second = viewer.get_by_role("img", name="manual.pdf, page 2 of 2")
    second.scroll_into_view_if_needed()
    expect(second).to_have_js_property("complete", True)
    assert second.evaluate("img => img.naturalWidth") == 1200
    expect(viewer.get_by_role("link", name="Download")).to_be_visible()
    assert axe_violations(page) == []
    viewer.get_by_role("button", name="Close").click()
    expect(viewer).to_be_hidden()
    assert errors == []
