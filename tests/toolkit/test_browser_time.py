"""The time report in real Chromium (issue 23 §4): a team lead reaches it from the top bar, reads their
group's time and narrows it to a tag."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from escalation.models import Membership
from tests.browser.helpers import axe_violations
from tests.browser.test_workspace import sign_in
from tests.factories import make_incident, make_user
from toolkit import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_team_lead_reads_the_time_of_their_group(live_server, browser):
    lead = make_user("lead", groups=["service-desk"], first_name="Lea", last_name="Lead")
    Membership.objects.filter(user=lead).update(is_lead=True)
    printer = make_incident(actor=lead, title="Printer jam")
    vpn = make_incident(actor=lead, title="VPN drops")
    services.time_record(actor=lead, incident=printer, minutes=25)
    services.time_record(actor=lead, incident=vpn, minutes=40)
    services.tag_add(actor=lead, incident=vpn, name="vpn")
    page = sign_in(browser, live_server, "lead")

    page.get_by_role("button", name="Reports", exact=True).click()
    page.get_by_role("link", name="Time worked").click()
    expect(page.get_by_test_id("time-total")).to_contain_text("65 minutes in 2 entries")
    expect(page.get_by_test_id("time-by-person")).to_contain_text("Lea Lead")
    assert axe_violations(page) == []

    page.get_by_label("Tag").fill("vpn")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("time-total")).to_contain_text("40 minutes in 1 entry")
