"""The agent's log form in real Chromium: suggestions appear while typing and fill the form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from incidents.models import Incident
from learning import services
from tests.browser.helpers import axe_violations, signed_in_page
from tests.factories import make_incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_agent_types_a_title_and_applies_the_suggested_category_and_priority(
    live_server, browser: Browser, history, agent, alice
):
    history.log(100, actor=agent, caller=alice, noise=0.0)
    services.model_train()
    page = signed_in_page(browser, live_server, agent)
    page.goto(f"{live_server.url}/incidents/new/")

    page.get_by_label("Title").fill("Printer paper jam on floor two")

    box = page.get_by_test_id("learning-suggestions")
    first = box.locator('button[data-field="category"]').first
    expect(first).to_contain_text("Kind 12")
    first.click()
    expect(page.locator("#id_category")).to_have_value(str(history.parent.pk))
    expect(page.locator("#id_subcategory")).to_have_value(str(history.categories[12].pk))
    box.locator('button[data-field="priority"]').first.click()
    expect(page.get_by_test_id("priority-preview")).to_contain_text("P4")
    expect(box.locator('[data-field="assignment_group"]').first).to_contain_text("Desktop")
    assert axe_violations(page) == []


def test_the_agent_links_a_duplicate_from_the_similar_incidents_panel(
    live_server, browser: Browser, agent, alice
):
    first = make_incident(actor=agent, caller=alice, title="Badge reader at gate B is dead")
    second = make_incident(actor=agent, caller=alice, title="Badge reader gate B not working")
    page = signed_in_page(browser, live_server, agent)
    page.goto(f"{live_server.url}/incidents/{second.number}/")

    panel = page.get_by_test_id("similar-incidents")
    row = panel.get_by_test_id(f"similar-{first.number}")
    expect(row).to_contain_text("same caller")
    assert axe_violations(page) == []
    row.get_by_role("button", name=f"Duplicate of {first.number}").click()

    expect(page.get_by_text(f"The links of {second.number} are saved.")).to_be_visible()
    assert Incident.objects.get(pk=second.pk).duplicate_of_id == first.pk
