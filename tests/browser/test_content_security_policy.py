"""The Content-Security-Policy in real Chromium (issue 20 §2): the main pages of every role load
with no violation and no script error, and what needs a script still works under the policy.

Chromium reports each refused inline script, handler or style as a console error: a page passes
only if its console stays free of errors while it loads and while its script is exercised.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Response, expect

from demo.seed import DEMO_PASSWORD, load_demo
from incidents.models import MajorIncident
from tests.reporting.test_browser_dashboard import PAINTED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@dataclass
class Visitor:
    """A signed-in person's page, and every console error and uncaught script error it had."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def visit(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        self.page.wait_for_load_state("networkidle")
        self.assert_clean(path)

    def assert_clean(self, where: str) -> None:
        errors, self.errors[:] = list(self.errors), []
        assert not errors, f"{where}: " + "\n".join(errors)

    def first_link(self, pattern: str) -> str:
        """The path of the first link on the page whose href matches ``pattern``."""
        hrefs = self.page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        found = next((href for href in hrefs if re.fullmatch(pattern, href.split("?")[0])), None)
        assert found, f"no link like {pattern} on {self.page.url}"
        return found


@pytest.fixture
def demo(transactional_db, settings, tmp_path) -> None:
    settings.INBOUND_MAILDIR = str(tmp_path / "inbox")  # the demo's waiting mail goes there
    load_demo(incidents=40, days=45)


@pytest.fixture
def sign_in(browser: Browser, live_server, demo) -> Iterator:
    contexts = []

    def signed_in(username: str) -> Visitor:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        visitor = Visitor(page, live_server.url)
        page.on("console", lambda message: _record(visitor, message))
        page.on("pageerror", lambda error: visitor.errors.append(f"page error: {_text(error)}"))
        page.on("response", lambda response: _record_failure(visitor, response))
        visitor.visit("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        page.wait_for_load_state("networkidle")
        visitor.assert_clean(f"{username}'s landing page")
        return visitor

    yield signed_in
    for context in contexts:
        context.close()


def _record(visitor: Visitor, message: ConsoleMessage) -> None:
    if message.type == "error":
        visitor.errors.append(f"console: {message.text}")


def _record_failure(visitor: Visitor, response: Response) -> None:
    if response.status >= 400:
        visitor.errors.append(f"{response.status} from {response.url}")


def _text(error: Error) -> str:
    return f"{error.name}: {error.message}"


def test_the_agents_pages_load_clean_and_their_scripts_work(sign_in):
    agent = sign_in("agent")

    agent.visit("/incidents/")
    incident = agent.first_link(r"/incidents/INC\d+/")
    agent.visit(incident)
    # the action forms open, and the countdowns of incident.js run
    action = agent.page.locator("details[data-action] > summary").first
    action.click()
    expect(agent.page.locator("details[data-action][open]").first).to_be_visible()
    agent.visit(incident + "edit/")
    # the log form's priority preview is incident.js at work
    agent.visit("/incidents/new/")
    agent.page.get_by_label("Impact").select_option("1")
    agent.page.get_by_label("Urgency").select_option("1")
    expect(agent.page.get_by_test_id("priority-preview")).to_have_text("P1 critical")
    # Bootstrap's dropdown (the user menu) opens
    agent.page.get_by_test_id("signed-in-user").click()
    expect(agent.page.get_by_role("link", name="Preferences")).to_be_visible()
    agent.assert_clean("the log form's scripts")

    # the register's Print button still prints (the handler moved from onclick= to app.js)
    agent.visit("/escalation/")
    agent.page.evaluate("window.print = () => { window.printed = true; }")
    agent.page.get_by_role("button", name="Print").click()
    assert agent.page.evaluate("window.printed") is True

    agent.visit("/knowledge/")
    agent.visit(agent.first_link(r"/knowledge/articles/KB\d+/"))
    agent.visit("/knowledge/quizzes/")
    agent.visit(agent.first_link(r"/knowledge/quizzes/[-\w]+/"))
    agent.visit("/notifications/")
    agent.visit("/notifications/preferences/")
    agent.visit("/surveys/published/")
    agent.assert_clean("the agent's pages")


@pytest.mark.parametrize("username", ["tech", "netops"])
def test_the_higher_tiers_pages_load_clean(sign_in, username):
    person = sign_in(username)

    person.visit("/incidents/")
    person.visit("/incidents/?queue=all")
    person.visit(person.first_link(r"/incidents/INC\d+/"))
    person.visit("/escalation/")
    person.visit("/notifications/")


def test_a_timed_quiz_hands_itself_in_when_its_time_is_up(sign_in):
    agent = sign_in("agent")
    agent.visit("/knowledge/quizzes/process-refresher/")
    agent.page.clock.install()

    agent.page.get_by_role("button", name="Start the quiz").click()
    expect(agent.page.locator("time[data-quiz-deadline]")).to_be_visible()
    agent.assert_clean("the quiz attempt")

    # quiz.js (moved out of an inline script) submits the form once the ten minutes are over
    with agent.page.expect_request(lambda r: r.method == "POST" and "/knowledge/attempts/" in r.url):
        agent.page.clock.fast_forward("10:01")
    agent.page.wait_for_load_state("networkidle")
    agent.assert_clean("the handed-in quiz")


def test_the_incident_managers_pages_load_clean(sign_in):
    major = MajorIncident.objects.filter(declared_at__isnull=False).select_related("incident").first()
    assert major is not None, "the demo declares a major incident"
    manager = sign_in("incidentmgr")

    manager.visit(f"/incidents/{major.incident.number}/")
    manager.visit(f"/incidents/{major.incident.number}/major/log/")
    manager.visit(f"/incidents/{major.incident.number}/review/")

    manager.visit("/incidents/sla-rules/")
    manager.visit("/incidents/sla-rules/new/")
    manager.visit("/intake/")
    manager.visit("/knowledge/")
    manager.visit("/knowledge/stale/")
    manager.visit("/incidents/?queue=open")


def test_the_managers_charts_draw_under_the_policy(sign_in):
    manager = sign_in("manager")

    manager.visit("/reporting/")
    for chart in ("trend", "sla_priority", "backlog_tier"):
        canvas = manager.page.locator(f'canvas[data-chart="{chart}"]')
        expect(canvas).to_have_attribute("data-rendered", "true")
    assert manager.page.locator('canvas[data-chart="trend"]').evaluate(PAINTED) > 500

    manager.visit("/reporting/months/")
    manager.visit(manager.first_link(r"/reporting/months/\d{4}-\d{2}/"))
    canvas = manager.page.locator('canvas[data-chart="priority"]')
    expect(canvas).to_have_attribute("data-rendered", "true")
    assert canvas.evaluate(PAINTED) > 100

    manager.visit("/surveys/")
    manager.visit(manager.first_link(r"/surveys/results/\d+/"))
    survey_charts = manager.page.locator("canvas[data-survey-chart]")
    assert survey_charts.count() > 0
    assert max(survey_charts.nth(n).evaluate(PAINTED) for n in range(survey_charts.count())) > 100
    manager.visit("/surveys/published/")
    manager.assert_clean("the manager's charts")


def test_an_end_users_portal_loads_clean(sign_in):
    alice = sign_in("alice")

    alice.visit("/portal/")
    alice.visit(alice.first_link(r"/portal/incidents/INC\d+/"))
    alice.visit("/portal/report/")
    alice.visit("/notifications/")
    alice.visit("/notifications/preferences/")
    alice.visit("/surveys/published/")


def test_the_admin_and_the_api_docs_work_under_the_policy(sign_in):
    admin = sign_in("admin")

    admin.visit("/admin/")
    admin.visit(admin.first_link(r"/admin/auth/user/"))
    admin.visit(admin.first_link(r"/admin/auth/user/\d+/change/"))
    # the admin's own scripts run: the password field's help and the filter widget are there
    expect(admin.page.locator("#user_form")).to_be_visible()
    admin.assert_clean("the admin change form")

    admin.visit("/api/docs/")
    # Swagger UI is a script: it drew the operations of the schema
    expect(admin.page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15000)
    admin.assert_clean("the API docs")
