"""The caller's self-help in real Chromium (issue 24 §3): a typo-tolerant search from the menu, then
"this solved it" while reporting ends the report without an incident, and the dashboard counts it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from knowledge.models import SelfSolvedReport, Visibility
from tests.browser.helpers import axe_violations
from tests.browser.test_workspace import sign_in
from tests.factories import make_incident, make_user
from tests.knowledge.conftest import publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_caller_finds_an_article_despite_typos_and_it_ends_the_report(live_server, browser):
    agent = make_user("agent", groups=["service-desk"])
    manager = make_user("incidentmgr", roles=["Incident manager", "Manager"])
    alice = make_user("alice", first_name="Alice", last_name="Liddell", email="alice@example.org")
    article = publish(
        author=agent,
        publisher=manager,
        title="VPN disconnects every few minutes",
        symptoms="The VPN connection drops and reconnects",
        resolution="Update the VPN client.",
        visibility=Visibility.PUBLIC,
    )
    make_incident(actor=agent, caller=alice, title="Earlier, unrelated")
    before = Incident.objects.count()

    page = sign_in(browser, live_server, "alice")
    page.get_by_role("link", name="Help articles").click()
    page.get_by_label("Search the help articles").fill("vpm disconects")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("help-article").first).to_contain_text(article.title)
    assert axe_violations(page) == []

    page.goto(f"{live_server.url}/portal/report/")
    page.get_by_label("What is wrong?").press_sequentially("VPN disconnects")
    suggestion = page.get_by_test_id("kb-suggestion").first
    expect(suggestion).to_contain_text(article.title)
    suggestion.get_by_role("button", name="This solved it").click()
    expect(page.get_by_test_id("kb-self-solved")).to_contain_text("No incident was logged")

    assert Incident.objects.count() == before
    assert SelfSolvedReport.objects.filter(article=article, user=alice).count() == 1

    boss = sign_in(browser, live_server, "incidentmgr")
    boss.goto(f"{live_server.url}/reporting/")
    expect(boss.get_by_test_id(f"deflection-{article.number}")).to_contain_text("1")
