"""The agent's path in real Chromium: a suggestion while logging, then one click links it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from knowledge.models import Visibility
from tests.browser.test_workspace import sign_in
from tests.factories import make_user
from tests.knowledge.conftest import publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_agent_sees_a_suggestion_while_logging_then_links_it_and_the_timeline_shows_it(live_server, browser):
    agent = make_user("agent", groups=["service-desk"])
    manager = make_user("incidentmgr", roles=["Incident manager"])
    make_user("alice", first_name="Alice", last_name="Liddell", email="alice@example.org")
    article = publish(
        author=agent,
        publisher=manager,
        title="Printer shows a paper jam",
        symptoms="Printer says paper jam but no paper is stuck",
        resolution="Open the rear door.",
        visibility=Visibility.INTERNAL,
    )
    page = sign_in(browser, live_server, "agent", viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/incidents/new/")

    # when the agent types the title, a suggestion arrives
    page.get_by_label("Caller").fill("alice")
    page.get_by_label("Title").fill("Paper jam on the printer")
    suggestion = page.get_by_test_id("kb-suggestion")
    expect(suggestion.first).to_contain_text("Printer shows a paper jam")

    # they log the incident
    page.get_by_role("button", name="Log incident").click()
    expect(page.locator(".alert-success")).to_contain_text(re.compile(r"INC\d{7} logged for alice"))

    # the incident page's knowledge panel offers the article; one click links it
    panel = page.get_by_test_id("kb-panel")
    expect(panel).to_contain_text(article.number)
    panel.get_by_role("button", name=f"Link {article.number}").click()

    expect(page.locator(".alert-success")).to_contain_text(f"{article.number} linked")
    entry = page.locator('.timeline-entry[data-kind="knowledge_linked"]')
    expect(entry).to_contain_text("Knowledge article linked")
    expect(entry).to_contain_text(article.number)
    expect(page.get_by_test_id("kb-linked")).to_contain_text(article.title)
