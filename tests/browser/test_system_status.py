"""An administrator opens the system status page from the navigation bar and reads a late outbox in red."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from incidents.models import IncidentEvent
from tests.browser.helpers import axe_violations, signed_in_page
from tests.factories import make_incident, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_administrator_reads_the_system_status(live_server, browser: Browser):
    admin = make_user("sysadmin", roles=["Administrator"])
    agent = make_user("agent9", groups=["service-desk"])
    incident = make_incident(actor=agent)
    IncidentEvent.objects.filter(incident=incident).update(
        notified_at=None, created_at=timezone.now() - timedelta(minutes=10)
    )
    page = signed_in_page(browser, live_server, admin)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="System status").click()
    expect(page.get_by_role("heading", name="System status")).to_be_visible()
    row = page.locator('tr[data-metric="servicedesk_oldest_unpublished_event_age_seconds"]')
    expect(row.locator(".badge.text-bg-danger")).to_have_text("Critical")
    expect(page.locator('tr[data-queue="sweep"]')).to_be_visible()
    expect(page.get_by_test_id("open-incidents")).to_contain_text("P")
    assert axe_violations(page) == []
    assert errors == []
