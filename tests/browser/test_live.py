"""The live workspace in real Chromium (issue 22): two agents in two contexts, a caller's portal
page, and a page that loses its connection. Every change is expected within 2 s, with no reload."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from escalation.access import access_for
from incidents import services
from incidents.models import Incident
from live.services import view_create
from tests.browser.test_workspace import act, sign_in
from tests.factories import make_incident, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LIVE_MS = 2000  # SPEC §15 / issue 22 §1: a change of the incident reaches the open pages within 2 s
# Presence has no such target (issue 22 §2: who else has the page open). Its clock starts when the other
# person's page has loaded, so it includes their browser starting the page's script and its first feed
# request; on a loaded machine it took over 2 s once (a clean-clone run, 7 December 2026). The test still
# fails if presence never shows or never goes.
PRESENCE_MS = 5000


@pytest.fixture(autouse=True)
def _short_waits(settings):
    # A held feed request answers (empty) after 2 s: the pages ask again, and the live server's
    # threads are free soon after a test.
    settings.LIVE_WAIT_SECONDS = 2
    settings.LIVE_PAGES = True  # off in the test settings, for the page walks


@pytest.fixture(autouse=True)
def _pages_closed(transactional_db, live_server, browser: Browser):
    """Close the test's pages before the database is flushed: an open live page keeps asking the feed (and
    its views' counts) and a query in flight at the flush's TRUNCATE deadlocks it."""
    yield
    for context in browser.contexts:
        context.close()


@pytest.fixture
def people(db):
    return {
        "agent": make_user("agent", first_name="Ada", last_name="Agent", groups=["service-desk"]),
        "agent2": make_user("agent2", first_name="Bea", last_name="Second", groups=["service-desk"]),
        "alice": make_user("alice", first_name="Alice", last_name="Liddell", email="alice@example.org"),
    }


def _mark_no_reload(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def _not_reloaded(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def _connected(page: Page) -> None:
    expect(page.locator("html[data-live-state=connected]")).to_have_count(1, timeout=5000)


def test_a_colleagues_assign_comment_and_resolve_reach_the_queue_and_incident_page_live(
    live_server, browser: Browser, people
):
    incident = make_incident(actor=people["agent"], caller=people["alice"], title="Mail is slow")
    other = make_incident(actor=people["agent"], caller=people["alice"], title="Printer jams")
    # agent2 keeps a saved view of every open incident: the navigation shows its count, pushed live
    view_create(access=access_for(people["agent2"]), name="Open ones", query="queue=open")

    # given agent2 watching the queue of everything open and the incident's page, in one context
    watcher_queue = sign_in(browser, live_server, "agent2")
    watcher_queue.goto(f"{live_server.url}/incidents/?queue=all")
    watcher_page = watcher_queue.context.new_page()
    watcher_page.goto(f"{live_server.url}/incidents/{incident.number}/")
    for page in (watcher_queue, watcher_page):
        _mark_no_reload(page)
        _connected(page)
    nav_count = watcher_page.get_by_test_id("nav-view-count")
    expect(nav_count).to_have_text("2", timeout=LIVE_MS)
    expect(watcher_page.get_by_test_id("nav-view")).to_contain_text("Open ones")
    # with a row selected and a filter half typed
    watcher_queue.locator(f'tr[data-number="{other.number}"] input[type=checkbox]').check()
    watcher_queue.locator("details summary", has_text="Search and filters").click()
    watcher_queue.get_by_label("Search").fill("printer half-typ")

    # when agent, in another context, opens the incident
    agent = sign_in(browser, live_server, "agent")
    agent.goto(f"{live_server.url}/incidents/{incident.number}/")
    # then agent2 sees that Ada is on it too
    presence = watcher_page.get_by_test_id("presence")
    expect(presence).to_contain_text("Ada Agent", timeout=PRESENCE_MS)

    # when agent assigns it to themselves
    act(agent, "take", button="Take it (assign to me)")
    expect(agent.get_by_test_id("incident-assignee")).to_have_text("agent")
    # then both of agent2's pages show it within 2 s
    expect(watcher_page.get_by_test_id("incident-assignee")).to_have_text("agent", timeout=LIVE_MS)
    row = watcher_queue.locator(f'tr[data-number="{incident.number}"]')
    expect(row.locator('td[data-label="Assignee"]')).to_have_text("agent", timeout=LIVE_MS)

    # when agent writes an internal note
    act(agent, "comment", fields={"Comment": "Mailbox quota at 99 %"}, button="Comment")
    expect(watcher_page.get_by_test_id("timeline")).to_contain_text("Mailbox quota at 99 %", timeout=LIVE_MS)

    # when agent resolves it
    act(
        agent,
        "resolve",
        selects={"Resolution code": "permanent_fix"},
        fields={"Resolution notes": "Raised the quota."},
        button="Resolve",
    )
    expect(watcher_page.get_by_test_id("incident-status")).to_have_text("Resolved", timeout=LIVE_MS)
    expect(row.locator('td[data-label="Status"]')).to_contain_text("Resolved", timeout=LIVE_MS)
    # and the view's count drops, in the navigation and in the queue's bar of views
    expect(nav_count).to_have_text("1", timeout=LIVE_MS)
    expect(watcher_queue.get_by_test_id("saved-view-count")).to_have_text("1", timeout=LIVE_MS)

    # when someone logs a new incident (a service call, as mail intake in a worker would)
    fresh = make_incident(actor=people["agent"], caller=people["alice"], title="VPN drops")
    expect(watcher_queue.locator(f'tr[data-number="{fresh.number}"]')).to_have_count(1, timeout=LIVE_MS)
    expect(nav_count).to_have_text("2", timeout=LIVE_MS)

    # and agent leaves the incident: the presence marker goes
    agent.close()
    expect(presence).to_be_hidden(timeout=PRESENCE_MS)

    # nothing was reloaded, and the queue kept the selection and the half-typed filter
    assert _not_reloaded(watcher_queue) and _not_reloaded(watcher_page)
    expect(watcher_queue.locator(f'tr[data-number="{other.number}"] input[type=checkbox]')).to_be_checked()
    expect(watcher_queue.get_by_label("Search")).to_have_value("printer half-typ")
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


def test_a_colleagues_change_while_you_write_is_announced_and_your_text_carried_over(
    live_server, browser: Browser, people
):
    incident = make_incident(actor=people["agent"], caller=people["alice"], title="Mail is slow")
    writer = sign_in(browser, live_server, "agent2")
    writer.goto(f"{live_server.url}/incidents/{incident.number}/")
    _connected(writer)
    # agent2 starts a resolution
    writer.locator('details[data-action="resolve"] > summary').click()
    form = writer.get_by_test_id("action-resolve")
    form.get_by_label("Resolution code").select_option("permanent_fix")
    form.get_by_label("Resolution notes").fill("Restarted the mail relay.")

    # when agent takes the incident meanwhile
    services.incident_assign(
        actor=people["agent"],
        incident=incident,
        expected_version=incident.version,
        assigned_to=people["agent"],
    )

    # then agent2 is told who changed what before sending, their text untouched
    collision = writer.get_by_test_id("collision")
    expect(collision).to_be_visible(timeout=LIVE_MS)
    expect(collision).to_contain_text("Ada Agent")
    expect(form.get_by_label("Resolution notes")).to_have_value("Restarted the mail relay.")
    # the rest of the page is already up to date
    expect(writer.get_by_test_id("incident-assignee")).to_have_text("agent")

    # when they carry their text over to the new version and send it, it is applied, not refused
    collision.get_by_role("button", name="Keep my text on the new version").click()
    expect(collision).to_be_hidden()
    form = writer.get_by_test_id("action-resolve")
    expect(form.get_by_label("Resolution notes")).to_have_value("Restarted the mail relay.")
    form.get_by_role("button", name="Resolve").click()
    expect(writer.get_by_test_id("incident-status")).to_have_text("Resolved")
    assert Incident.objects.get(pk=incident.pk).resolution_notes == "Restarted the mail relay."


def test_a_callers_portal_page_shows_a_public_reply_live_and_never_an_internal_note(
    live_server, browser: Browser, people
):
    incident = make_incident(actor=people["agent"], caller=people["alice"], title="Mail is slow")
    caller = sign_in(browser, live_server, "alice")
    caller.goto(f"{live_server.url}/portal/incidents/{incident.number}/")
    _mark_no_reload(caller)
    _connected(caller)

    services.incident_comment(
        actor=people["agent"], incident=incident, body="INTERNAL quota note", public=False
    )
    services.incident_comment(
        actor=people["agent"], incident=incident, body="We are raising your quota", public=True
    )

    timeline = caller.get_by_test_id("portal-timeline")
    expect(timeline).to_contain_text("We are raising your quota", timeout=LIVE_MS)
    assert "INTERNAL quota note" not in caller.content()
    assert _not_reloaded(caller)


def test_a_page_that_loses_its_connection_says_so_reconnects_and_catches_up(
    live_server, browser: Browser, people
):
    incident = make_incident(actor=people["agent"], caller=people["alice"], title="Mail is slow")
    page = sign_in(browser, live_server, "agent2")
    page.goto(f"{live_server.url}/incidents/{incident.number}/")
    _mark_no_reload(page)
    _connected(page)

    # when the feed cannot be reached (the held request ends within LIVE_WAIT_SECONDS)
    page.route("**/live/feed/**", lambda route: route.abort())
    status = page.get_by_test_id("live-status")
    expect(status).to_be_visible(timeout=5000)
    expect(status).to_contain_text("Connection lost")

    # and a colleague comments meanwhile
    services.incident_comment(
        actor=people["agent"], incident=incident, body="Missed while offline", public=False
    )
    page.wait_for_timeout(500)
    expect(page.get_by_test_id("timeline")).not_to_contain_text("Missed while offline")

    # then, once the network is back, the page reconnects by itself and catches up
    page.unroute("**/live/feed/**")
    expect(page.get_by_test_id("timeline")).to_contain_text("Missed while offline", timeout=10000)
    expect(status).to_be_hidden()
    assert _not_reloaded(page)


def test_the_keyboard_moves_through_the_queue_and_works_an_incident_never_while_typing(
    live_server, browser: Browser, people
):
    make_incident(actor=people["agent"], caller=people["alice"], title="Mail is slow")
    make_incident(actor=people["agent"], caller=people["alice"], title="Printer jams")
    page = sign_in(browser, live_server, "agent2")
    page.goto(f"{live_server.url}/incidents/?queue=all")
    numbers = page.locator("[data-live-scope=queue] tr[data-number]").evaluate_all(
        "rows => rows.map(r => r.dataset.number)"
    )
    assert len(numbers) == 2

    # j, j, k: down, down (stops at the last), up; Enter opens the selected row
    _connected(page)
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator(f'tr[data-number="{numbers[1]}"] a')).to_be_focused()

    # a colleague logs an incident: the queue re-reads itself and the selection stays where it was
    make_incident(actor=people["agent"], caller=people["alice"], title="Screen flickers")
    expect(page.locator("[data-live-scope=queue] tr[data-number]")).to_have_count(3, timeout=LIVE_MS * 3)
    expect(page.locator(f'tr[data-number="{numbers[1]}"] a')).to_be_focused()
    expect(page.locator(f'tr[data-number="{numbers[1]}"]')).to_have_class(re.compile(r"\btable-active\b"))
    order = page.locator("[data-live-scope=queue] tr[data-number]").evaluate_all(
        "rows => rows.map(r => r.dataset.number)"
    )
    above = order[order.index(numbers[1]) - 1]
    page.keyboard.press("k")
    expect(page.locator(f'tr[data-number="{above}"] a')).to_be_focused()
    if above != numbers[0]:
        page.keyboard.press("k")
        expect(page.locator(f'tr[data-number="{numbers[0]}"] a')).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/incidents/{numbers[0]}/")
    # the new page's scripts have run (the URL changes before they do, and a key pressed then is lost)
    _connected(page)

    # i: an internal note, the cursor in its text; letters typed there are text, not shortcuts
    page.keyboard.press("i")
    form = page.get_by_test_id("action-comment")
    expect(form.get_by_label("Comment")).to_be_focused()
    expect(form.get_by_label("Visible to")).to_have_value("0")
    page.keyboard.type("jans")
    expect(form.get_by_label("Comment")).to_have_value("jans")
    expect(page).to_have_url(f"{live_server.url}/incidents/{numbers[0]}/")

    # ? shows the list of shortcuts (also reachable from the user menu)
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("?")
    shortcuts = page.get_by_test_id("shortcuts")
    expect(shortcuts).to_be_visible()
    expect(shortcuts).to_contain_text("Assign the incident to me")
    shortcuts.get_by_role("button", name="Close").click()
    expect(shortcuts).to_be_hidden()

    # a: assign to me
    page.keyboard.press("a")
    expect(page.get_by_test_id("incident-assignee")).to_have_text("agent2")
    _connected(page)
    # n: the next incident of the queue it was opened from
    page.keyboard.press("n")
    expect(page).to_have_url(f"{live_server.url}/incidents/{numbers[1]}/")
