"""The agent's toolkit in real Chromium: a response template found from the comment box, a macro
read then applied from the incident page, and a routing rule dry-run then saved (issue 23)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from incidents.models import ResolutionCode
from tests.browser.helpers import axe_violations
from tests.browser.test_workspace import sign_in
from tests.factories import group, make_incident, make_user
from toolkit import services
from toolkit.models import MacroRun, MacroStatus, RoutingRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_agent_inserts_a_response_then_applies_a_macro(live_server, browser):
    agent = make_user("agent", groups=["service-desk"])
    manager = make_user("incidentmgr", roles=["Incident manager"])
    alice = make_user("alice", first_name="Alice", last_name="Liddell", email="alice@example.org")
    services.response_template_save(
        actor=agent, title="Greeting", body="Hello {caller_name}, we are on {incident_number}.", personal=True
    )
    services.macro_save(
        actor=manager,
        name="Password reset: resolve",
        set_status=MacroStatus.RESOLVED,
        resolution_code=ResolutionCode.USER_GUIDANCE,
        public_reply="Hello {caller_name}, your password is reset.",
    )
    incident = make_incident(actor=agent, caller=alice, title="Forgot my password")
    page = sign_in(browser, live_server, "agent")
    page.goto(f"{live_server.url}/incidents/{incident.number}/")

    # the comment box finds the template and inserts it filled in
    page.locator('[data-action="comment"] summary').click()
    page.get_by_test_id("response-search").fill("greet")
    page.get_by_test_id("response-results").get_by_role("listitem").first.click()
    expect(page.locator('[data-action="comment"] textarea')).to_have_value(
        f"Hello Alice Liddell, we are on {incident.number}."
    )

    # the macro panel says what the macro will do before it is applied
    panel = page.get_by_test_id("macro-panel")
    panel.locator("summary", has_text="Password reset: resolve").click()
    expect(panel.get_by_test_id("macro-plan")).to_contain_text("Hello Alice Liddell, your password is reset.")
    expect(panel.get_by_test_id("macro-plan")).to_contain_text("resolved")
    assert axe_violations(page) == []
    panel.get_by_role("button", name="Apply “Password reset: resolve”").click()

    expect(page.locator(".alert-success")).to_contain_text(f"applied to {incident.number}")
    expect(page.get_by_test_id("incident-status")).to_contain_text("Resolved")
    expect(page.get_by_test_id("macro-runs")).to_contain_text("Password reset: resolve")
    expect(page.locator('.timeline-entry[data-kind="resolved"]')).to_contain_text("Password reset: resolve")
    assert MacroRun.objects.count() == 1


def test_incident_manager_dry_runs_a_routing_rule_then_saves_it(live_server, browser):
    agent = make_user("agent", groups=["service-desk"])
    make_user("incidentmgr", roles=["Incident manager"])
    make_incident(actor=agent, title="VPN drops at home")
    page = sign_in(browser, live_server, "incidentmgr")
    page.goto(f"{live_server.url}/toolkit/routing/new/")

    page.get_by_label("Name").fill("VPN to network")
    page.get_by_label("Keywords").fill("vpn")
    page.get_by_label("Route to group").select_option(label=group("network").name)
    page.get_by_role("button", name="Dry run on last month").click()

    expect(page.get_by_test_id("dry-run")).to_contain_text("would have routed 1")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_test_id("routing-rules")).to_contain_text("VPN to network")
    assert RoutingRule.objects.get().keywords == "vpn"
