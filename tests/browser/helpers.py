"""Shared by the browser tests: a signed-in context by session cookie, and axe-core run in the page."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}}

# SPEC §13: WCAG 2 A and AA, and a page fails on a serious or critical violation.
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
}"""


@functools.cache
def _axe_source() -> str:
    return AXE.read_text()


def sign_in_by_cookie(context: BrowserContext, live_server: Any, user: Any) -> None:
    """Sign ``user`` in for the whole context (the sign-in form has its own browser tests)."""
    client = Client()
    client.force_login(user)
    context.clear_cookies()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def signed_in_page(browser: Browser, live_server: Any, user: Any, **context: Any) -> Page:
    ctx = browser.new_context(**context)
    sign_in_by_cookie(ctx, live_server, user)
    return ctx.new_page()


def axe_violations(page: Page, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's WCAG 2 A/AA violations of the page as it is now, of the given impacts.

    Reduced motion first: Bootstrap then drops its colour transitions, so that axe never measures a
    button caught half-way between two colours (a contrast it never shows at rest)."""
    page.emulate_media(reduced_motion="reduce")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: a script tag added to the page would be an inline
        # script, which the Content-Security-Policy refuses.
        page.evaluate(_axe_source())
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in impacts]


def scrolls_sideways(page: Page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth")
