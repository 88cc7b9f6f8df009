"""The live workspace on the embedded default (`make run`: runserver, SQLite, the embedded worker on a
filesystem broker): two agents in two browsers see each other's changes without a reload, and a
notification the worker writes reaches the bell (issue 22)."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.embedded import embedded_stack

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LIVE_MS = 2000
PRESENCE_MS = 5000  # no SPEC target; from the other page's load (see tests/browser/test_live.py)
# The notification is written by the embedded worker, which polls the filesystem broker.
WORKER_MS = 30000  # the embedded worker polls its SQLite broker; slow on a loaded machine


def _sign_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(base + "accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    return page


def _act(page: Page, action: str, *, fields=None, selects=None, button: str) -> None:
    page.locator(f'details[data-action="{action}"] > summary').click()
    form = page.get_by_test_id(f"action-{action}")
    for label, value in (selects or {}).items():
        form.get_by_label(label).select_option(value)
    for label, value in (fields or {}).items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name=button).click()


def test_two_agents_follow_each_other_live_on_make_run(tmp_path, browser: Browser):
    with embedded_stack(tmp_path) as stack:
        base = stack.base
        agent = _sign_in(browser, base, "agent")
        agent2 = _sign_in(browser, base, "agent2")

        # agent logs an incident; agent2 opens it (and their queue) and is connected
        agent.goto(base + "incidents/new/")
        agent.get_by_label("Caller").fill("alice")
        agent.get_by_label("Title").fill("Scanner on floor 2 is offline")
        agent.get_by_label("Description").fill("It does not answer pings.")
        agent.get_by_role("button", name="Log incident").click()
        expect(agent.locator(".alert-success")).to_contain_text("logged")
        number = agent.url.rstrip("/").rsplit("/", 1)[-1]
        agent2.goto(base + f"incidents/{number}/")
        expect(agent2.locator("html[data-live-state=connected]")).to_have_count(1, timeout=10000)
        agent2.evaluate("window.__sameDocument = true")
        unread_before = agent2.get_by_test_id("notification-bell").inner_text()

        # presence: agent2 sees that Amira (agent) has the incident open
        agent.reload()
        expect(agent2.get_by_test_id("presence")).to_contain_text("Amira Haddad", timeout=PRESENCE_MS)

        # agent writes a note and assigns the incident to agent2: agent2's page follows within 2 s
        _act(agent, "comment", fields={"Comment": "Power cycled it, no change"}, button="Comment")
        expect(agent2.get_by_test_id("timeline")).to_contain_text("Power cycled it", timeout=LIVE_MS)
        _act(agent, "assign", selects={"Person": "agent2"}, button="Assign")
        expect(agent2.get_by_test_id("incident-assignee")).to_have_text("agent2", timeout=LIVE_MS)

        # and the notification the embedded worker writes for agent2 reaches their bell, pushed
        bell = agent2.get_by_test_id("notification-bell")
        expect(bell).not_to_have_text(unread_before, timeout=WORKER_MS)
        expect(bell.get_by_test_id("unread-count")).to_be_visible()
        assert agent2.evaluate("window.__sameDocument === true"), "the page was reloaded"
