"""Defects found in the browser (issue 20 §6): a phone that scrolls sideways, card rows that do not line
up, a button that fails contrast. Each test fails without its fix."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from incidents.models import IncidentEvent
from incidents.records.outbox import event_publish
from tests.browser.helpers import PHONE, axe_violations, scrolls_sideways, signed_in_page
from tests.factories import make_incident, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

UNBROKEN = "Printer-" + "x" * 60 + "-on-floor-3"  # a pasted path or hash: no place to wrap


def _publish() -> None:
    for pk in IncidentEvent.objects.filter(notified_at__isnull=True).values_list("pk", flat=True):
        event_publish(pk)


def test_a_notification_with_a_long_unbroken_title_wraps_on_a_phone(live_server, browser):
    # given alice has a notification about an incident whose title has no place to break
    agent = make_user("agent", groups=["service-desk"])
    alice = make_user("alice", email="alice@example.org")
    make_incident(actor=agent, caller=alice, title=UNBROKEN)
    _publish()
    # when she opens her notifications on a 390 px phone
    page = signed_in_page(browser, live_server, alice, **PHONE)
    page.goto(f"{live_server.url}{reverse('notifications')}")
    expect(page.get_by_test_id("notifications")).to_contain_text(UNBROKEN[:20])
    # then the page does not scroll sideways and the title stays inside its row
    assert not scrolls_sideways(page)
    row = page.get_by_test_id("notifications").locator("li").first
    title = row.locator(".notification-text").bounding_box()
    assert title["x"] + title["width"] <= row.bounding_box()["x"] + row.bounding_box()["width"]


# Each row of a card: the label's box and the value's box, by the label's text.
CARD_ROWS = """card => [...card.querySelectorAll('dt')].map(dt => {
  const dd = dt.nextElementSibling, l = dt.getBoundingClientRect(), v = dd.getBoundingClientRect();
  return {label: dt.textContent.trim(), labelLeft: l.left, labelTop: l.top, labelRight: l.right,
          valueLeft: v.left, valueTop: v.top, valueRight: v.right, valueScrollWidth: dd.scrollWidth,
          valueClientWidth: dd.clientWidth};
})"""


def test_the_portal_cards_label_and_value_rows_line_up_on_a_phone(live_server, browser, settings):
    # given alice's open incidents: one assigned to someone whose name has no place to break, shown
    # to callers, and one new with long status words
    settings.SERVICEDESK = {**settings.SERVICEDESK, "PORTAL_SHOW_ASSIGNEE_NAMES": True}
    agent = make_user("agent", groups=["service-desk"], first_name="Maximilianaalexandrinabartholomew")
    alice = make_user("alice")
    make_incident(actor=agent, caller=alice, title="VPN drops", assigned_to=agent)
    make_incident(actor=agent, caller=alice, title="Screen flickers")
    # when she opens the portal on a 390 px phone
    page = signed_in_page(browser, live_server, alice, **PHONE)
    page.goto(f"{live_server.url}{reverse('portal:home')}")
    cards = page.get_by_test_id("open-incidents").locator("li.list-group-item")
    expect(cards).to_have_count(2)
    assert not scrolls_sideways(page)
    for i in range(2):
        card = cards.nth(i)
        box = card.bounding_box()
        rows = card.evaluate(CARD_ROWS)
        labels = [r["label"] for r in rows]
        assert {"Who is on it", "Expected by"} <= set(labels), labels
        # then every label shares one left edge, every value another to its right, each value
        # starts on its label's line, and no value runs out of its column or the card
        assert len({round(r["labelLeft"]) for r in rows}) == 1, rows
        assert len({round(r["valueLeft"]) for r in rows}) == 1, rows
        for r in rows:
            assert r["valueLeft"] >= r["labelRight"] - 1, r
            assert abs(r["valueTop"] - r["labelTop"]) < 1, r
            assert r["valueScrollWidth"] <= r["valueClientWidth"], r
            assert r["valueRight"] <= box["x"] + box["width"], r


def test_the_past_review_date_button_meets_contrast_for_the_incident_manager(live_server, browser):
    from datetime import timedelta

    from django.utils import timezone

    from knowledge.models import Article
    from tests.knowledge.conftest import publish

    # given an article past its review date, so that the incident manager's knowledge page offers the list
    agent = make_user("agent", groups=["service-desk"])
    manager = make_user("incidentmgr", roles=["Incident manager"])
    article = publish(author=agent, publisher=manager, title="Reset a VPN token", symptoms="Token locked")
    Article.objects.filter(pk=article.pk).update(review_on=timezone.localdate() - timedelta(days=1))
    # when they open /knowledge/
    page = signed_in_page(browser, live_server, manager)
    page.goto(f"{live_server.url}{reverse('knowledge:index')}")
    button = page.get_by_role("link", name="Past review date (1)")
    expect(button).to_be_visible()
    # then axe finds no contrast failure on the page (yellow on white was 1.63:1)
    contrast = [
        v
        for v in axe_violations(page, impacts=("minor", "moderate", "serious", "critical"))
        if v["id"] == "color-contrast"
    ]
    assert contrast == []
