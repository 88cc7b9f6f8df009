"""Every page of every role in real Chromium (SPEC §13): axe-core's WCAG 2 A/AA rules with no serious
or critical violation, and no console error or uncaught page error (a Content-Security-Policy
violation, a failed asset, a broken script).

The pages are the URL conf's (``tests/routes.py``), so a page is walked the day its route is added.
Each route's arguments are tried in turn (the world's canary incidents first, then the others) and
the first URL that gives this role an HTML page is visited; a route that gives none is skipped:
- a 403, 404 or 405 (the role may not open it, or it only takes POST),
- anything that is not HTML (CSV, PDF, JSON, a download),
- a redirect is followed once, and its target visited if it is an HTML page not visited already.
- an htmx fragment (HTML without ``<html>``): it is checked inside the page that loads it.
The test client asks first, so that the browser opens only what it should check. The Django admin is
left out by ``tests/routes.py`` (``EXCLUDED``), Swagger UI here (``NOT_OURS``).
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import Browser, ConsoleMessage, Error, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.helpers import axe_violations, sign_in_by_cookie
from tests.routes import Route, routes
from tests.world import ROLES, World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The roles of SPEC §1 (tests/world.py), the administrator, and a visitor who is not signed in
# (the sign-in and password-reset pages).
WALKERS = [*ROLES, "admin", "anonymous"]

# Pages whose markup is not ours, by route name, each with the reason; nothing else may be left out.
NOT_OURS: dict[str, str] = {
    # drf-spectacular's Swagger UI: its own page and stylesheet (contrast of the method badges,
    # nested interactive controls, no lang), from the package, not from our templates.
    "api-docs": "Swagger UI",
}


def _person(world: World, walker: str) -> Any:
    if walker == "anonymous":
        return None
    if walker == "admin":
        return world.people["admin"]
    return world.user(walker)


def _html_page(response: Any) -> bool:
    """A whole HTML document. An htmx fragment (no ``<html>``) is checked inside the page that loads it."""
    return (
        response.status_code == 200
        and response.get("Content-Type", "").startswith("text/html")
        and b"<html" in response.content[:2000].lower()
    )


def _pages(world: World, person: Any) -> list[str]:
    """The HTML pages this person can open: one URL per routed pattern, as the browser would get it."""
    client = Client(HTTP_ACCEPT="text/html,application/xhtml+xml")
    if person is not None:
        client.force_login(person)
    by_pattern: dict[str, list[Route]] = {}
    for route in routes(world, every_value=True):
        if route.name not in NOT_OURS:
            by_pattern.setdefault(route.pattern, []).append(route)
    pages: dict[str, str] = {}  # path -> the URL visited (a redirect's target may carry a query)
    for candidates in by_pattern.values():
        for route in candidates:
            response = client.get(route.url)
            url = route.url
            if response.status_code in (301, 302, 303, 307, 308):
                url = response["Location"]
                if urlsplit(url).netloc or urlsplit(url).path in pages:
                    break  # elsewhere, or a page walked already (the sign-in page, ?next=...)
                response = client.get(url)
            if response.status_code in (403, 404):
                continue  # another value may be one this person can open
            if _html_page(response):
                pages.setdefault(urlsplit(url).path, url)
            break  # a 405, or not HTML (CSV, PDF, JSON): the same whatever the arguments
    return list(pages.values())


def _walk(page: Page, base: str, paths: list[str]) -> list[str]:
    problems: list[str] = []
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text}")

    def on_page_error(error: Error) -> None:
        errors.append(f"page error: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    for path in paths:
        errors.clear()
        page.goto(base + path)
        violations = axe_violations(page)
        # What the page loads after its load event (htmx fragments) has its errors in by now. A page
        # that keeps a request open (a live stream) is never idle: its errors so far are enough.
        with contextlib.suppress(PlaywrightTimeoutError):
            page.wait_for_load_state("networkidle", timeout=5000)
        for violation in violations:
            nodes = "; ".join(f"{n['target']} ({n['summary']})" for n in violation["nodes"][:5])
            more = len(violation["nodes"]) - 5
            problems.append(
                f"{path}: {violation['id']} [{violation['impact']}] {violation['help']}: {nodes}"
                + (f" and {more} more" if more > 0 else "")
            )
        problems.extend(f"{path}: {error}" for error in errors)
    return problems


@pytest.mark.parametrize("walker", WALKERS)
def test_every_page_of_the_role_passes_axe_core_with_no_console_error(
    walker: str, live_server: Any, browser: Browser
) -> None:
    world = build_world()
    person = _person(world, walker)
    paths = _pages(world, person)
    assert paths, f"{walker} can open no page at all"
    context = browser.new_context()
    if person is not None:
        sign_in_by_cookie(context, live_server, person)
    page = context.new_page()
    try:
        problems = _walk(page, live_server.url, paths)
    finally:
        context.close()
    assert not problems, f"{walker}, {len(paths)} pages walked:\n" + "\n".join(problems)


BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>
<h1>Broken</h1><p style="color:#ccc;background:#fff">Pale grey on white</p>
<script>undefinedFunction()</script><script>console.error("Refused to load the script")</script>
</main></body></html>"""


def test_the_walk_reports_a_violation_a_page_error_and_a_console_error(browser: Browser) -> None:
    # given a page with low-contrast text, a script that throws and a console error (what a CSP
    # violation looks like)
    context = browser.new_context()
    context.route("http://walk.test/**", lambda route: route.fulfill(body=BROKEN, content_type="text/html"))
    page = context.new_page()
    try:
        problems = _walk(page, "http://walk.test", ["/broken/"])
    finally:
        context.close()
    # then each is reported with the page it was on
    assert any(p.startswith("/broken/: color-contrast [serious]") for p in problems), problems
    assert any(p.startswith("/broken/: page error:") and "undefinedFunction" in p for p in problems), problems
    assert "/broken/: console: Refused to load the script" in problems, problems
