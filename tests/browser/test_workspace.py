"""The workspace in real Chromium: the main path through three tiers, and two agents on one incident."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from incidents.models import Incident, Status
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def sign_in(browser: Browser, live_server, username: str, **context) -> Page:
    page = browser.new_context(**context).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    return page


def act(
    page: Page,
    action: str,
    *,
    fields: dict[str, str] | None = None,
    selects: dict[str, str] | None = None,
    button: str,
) -> None:
    """Open an action of the incident page, fill it in and submit it."""
    page.locator(f'details[data-action="{action}"] > summary').click()
    form = page.get_by_test_id(f"action-{action}")
    for label, value in (selects or {}).items():
        form.get_by_label(label).select_option(value)
    for label, value in (fields or {}).items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name=button).click()


@pytest.fixture
def people(db):
    return {
        "agent": make_user("agent", groups=["service-desk"]),
        "agent2": make_user("agent2", groups=["service-desk"]),
        "tech": make_user("tech", groups=["technical-support"]),
        "netops": make_user("netops", groups=["network"]),
        "alice": make_user("alice", first_name="Alice", last_name="Liddell", email="alice@example.org"),
    }


def test_an_incident_travels_from_the_service_desk_to_tier_three_and_back(live_server, browser, people):
    # given the agent on the log form
    agent = sign_in(browser, live_server, "agent")
    agent.goto(f"{live_server.url}/incidents/new/")

    # when they log an incident for alice; the priority follows impact and urgency as they change
    agent.get_by_label("Caller").fill("alice")
    agent.get_by_label("Impact").select_option("1")
    agent.get_by_label("Urgency").select_option("2")
    expect(agent.get_by_test_id("priority-preview")).to_have_text("P2 high")
    agent.get_by_label("Urgency").select_option("1")
    expect(agent.get_by_test_id("priority-preview")).to_have_text("P1 critical")
    agent.get_by_label("Title").fill("Branch office cannot reach the ERP")
    agent.get_by_label("Description").fill("All users at the **Lyon** branch time out.")
    agent.get_by_role("button", name="Log incident").click()

    # then they land on the incident with its number in the message
    expect(agent.locator(".alert-success")).to_contain_text(re.compile(r"INC\d{7} logged for alice"))
    number = agent.url.rstrip("/").rsplit("/", 1)[-1]
    expect(agent.get_by_test_id("incident-priority")).to_have_text("P1 critical")
    expect(agent.get_by_test_id("incident-description").locator("strong")).to_have_text("Lyon")

    # and they escalate it to technical support with a reason
    act(
        agent,
        "escalate",
        selects={"Escalate to": "technical-support"},
        fields={"Reason": "Network path suspected"},
        button="Escalate",
    )
    expect(agent.locator(".alert-success")).to_contain_text(f"{number} escalated to Technical Support")
    expect(agent.get_by_test_id("incident-group")).to_have_text("Technical Support")

    # tech finds it in the group queue, takes it and escalates it to the network team
    tech = sign_in(browser, live_server, "tech")
    expect(tech).to_have_url(re.compile(r"/incidents/\?queue=groups$"))
    tech.get_by_role("link", name=number).click()
    act(tech, "take", button="Take it (assign to me)")
    expect(tech.get_by_test_id("incident-assignee")).to_have_text("tech")
    act(
        tech,
        "escalate",
        selects={"Escalate to": "network"},
        fields={"Reason": "Router at Lyon drops"},
        button="Escalate",
    )
    expect(tech.get_by_test_id("incident-group")).to_have_text("Network")

    # netops resolves it
    netops = sign_in(browser, live_server, "netops")
    netops.goto(f"{live_server.url}/incidents/{number}/")
    act(
        netops,
        "resolve",
        selects={"Resolution code": "permanent_fix"},
        fields={"Resolution notes": "Replaced the router's power supply."},
        button="Resolve",
    )
    expect(netops.get_by_test_id("incident-status")).to_have_text("Resolved")

    # the agent closes it
    agent.goto(f"{live_server.url}/incidents/{number}/")
    act(agent, "close", fields={"Close notes": "Alice confirmed on the phone."}, button="Close")
    expect(agent.get_by_test_id("incident-status")).to_have_text("Closed")

    # and the timeline tells the whole story, in order
    kinds = (
        agent.get_by_test_id("timeline")
        .locator("li.timeline-entry")
        .evaluate_all("els => els.map(e => e.dataset.kind)")
    )
    assert kinds == ["created", "escalated", "assigned", "escalated", "resolved", "closed"]
    timeline = agent.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Network path suspected")
    expect(timeline).to_contain_text("Router at Lyon drops")
    expect(timeline).to_contain_text("Replaced the router's power supply.")
    assert Incident.objects.get(number=number).status == Status.CLOSED


def test_the_second_of_two_agents_editing_one_incident_is_told_who_changed_what(live_server, browser, people):
    from tests.factories import make_incident

    incident = make_incident(actor=people["agent"], caller=people["alice"], title="Mail is slow")
    url = f"{live_server.url}/incidents/{incident.number}/edit/"
    first = sign_in(browser, live_server, "agent")
    second = sign_in(browser, live_server, "agent2")
    first.goto(url)
    second.goto(url)

    # agent2 saves first
    second.get_by_label("Title").fill("Mail is slow for the whole floor")
    second.get_by_role("button", name="Save").click()
    expect(second.locator(".alert-success")).to_contain_text("is saved")

    # agent saves on the version they opened: refused, told who changed what, their text kept
    first.get_by_label("Title").fill("Mail is slow since the update")
    first.get_by_label("Description").fill("Started after Tuesday's patch.")
    first.get_by_role("button", name="Save").click()
    expect(first.locator(".alert-danger").first).to_contain_text("agent2 changed Title")
    expect(first.get_by_label("Title")).to_have_value("Mail is slow since the update")
    expect(first.get_by_label("Description")).to_have_value("Started after Tuesday's patch.")
    assert Incident.objects.get(pk=incident.pk).title == "Mail is slow for the whole floor"

    # having read it, a second save applies their change
    first.get_by_role("button", name="Save").click()
    expect(first.locator(".alert-success")).to_contain_text("is saved")
    assert Incident.objects.get(pk=incident.pk).title == "Mail is slow since the update"


def test_queue_and_incident_pages_fit_a_phone(live_server, browser, people):
    from tests.factories import make_incident

    for i in range(5):
        make_incident(actor=people["agent"], caller=people["alice"], title=f"Phone check incident {i}")
    number = Incident.objects.order_by("-id").first().number
    phone = sign_in(browser, live_server, "agent", viewport={"width": 390, "height": 844})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in (
        ("queue", "/incidents/"),
        ("incident", f"/incidents/{number}/"),
        ("log", "/incidents/new/"),
    ):
        phone.goto(f"{live_server.url}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        phone.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"), full_page=True)
