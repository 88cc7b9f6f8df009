"""Split and merge in real Chromium (issue 23 §3): an agent splits a caller's comment into its own
incident, finds each linked from the other's page, then merges a duplicate and lands on the one kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from incidents import services
from incidents.models import Incident
from tests.browser.test_workspace import act, sign_in
from tests.factories import make_incident, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_agent_splits_a_comment_off_then_merges_a_duplicate(live_server, browser):
    agent = make_user("agent", groups=["service-desk"])
    alice = make_user("alice", first_name="Alice", last_name="Liddell", email="alice@example.org")
    original = make_incident(actor=agent, caller=alice, title="Password expired")
    comment = services.incident_comment(
        actor=alice, incident=original, body="Also: my docking station does not charge.", public=True
    )
    duplicate = make_incident(actor=agent, caller=alice, title="Cannot sign in, password expired")
    page = sign_in(browser, live_server, "agent")
    try:
        _split_then_merge(page, live_server, original, comment, duplicate)
    finally:
        # Closed before the database is flushed: a panel request still in flight at the flush's
        # TRUNCATE deadlocks it (and the next test on this process finds the rows still there).
        page.context.close()


def _split_then_merge(page, live_server, original, comment, duplicate) -> None:
    page.goto(f"{live_server.url}/incidents/{original.number}/")
    page.get_by_test_id(f"split-{comment.pk}").get_by_role("button", name="Split into a new incident").click()
    expect(page.get_by_test_id("incident-title")).to_have_text("Also: my docking station does not charge.")
    new = Incident.objects.exclude(pk__in=[original.pk, duplicate.pk]).get()
    expect(page.get_by_test_id("relation-from")).to_contain_text(original.number)
    page.get_by_test_id("relation-from").get_by_role("link", name=original.number).click()
    expect(page.get_by_test_id("relation-into")).to_contain_text(new.number)

    page.goto(f"{live_server.url}/incidents/{duplicate.number}/")
    act(page, "merge", fields={"Merge into": original.number}, button="Merge into another incident")
    expect(page).to_have_url(f"{live_server.url}/incidents/{original.number}/")
    expect(page.locator("main")).to_contain_text(f"{duplicate.number} is merged into {original.number}")
    expect(page.locator("main")).to_contain_text("reported the same problem and has been merged into")
