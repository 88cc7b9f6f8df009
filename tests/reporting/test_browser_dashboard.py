"""The manager's dashboard in real Chromium: the landing page, charts drawn, a drill-down that agrees."""

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.factories import PASSWORD, make_incident, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PAINTED = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
  return painted;
}"""


def test_a_manager_lands_on_the_dashboard_sees_charts_and_drills_down(live_server, browser: Browser):
    make_user("manager", roles=["Manager"])
    agent = make_user("agent", groups=["service-desk"])
    caller = make_user("alice")
    for n in range(3):
        make_incident(actor=agent, caller=caller, title=f"Laptop {n} will not start")

    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/reporting/$"))
    expect(page.get_by_role("heading", name="SLA dashboard")).to_be_visible()
    trend = page.locator('canvas[data-chart="trend"]')
    expect(trend).to_have_attribute("data-rendered", "true")
    assert trend.evaluate(PAINTED) > 500
    # the counts sit on their own axis, not clipped on the 0-100 % one
    axes = trend.evaluate(
        "c => ({count: c.chart.scales.y.max, pct: c.chart.scales.pct.max,"
        " logged: c.chart.getDatasetMeta(0).yAxisID})"
    )
    assert axes["logged"] == "y" and axes["pct"] == 100 and axes["count"] >= 3
    assert page.locator('canvas[data-chart="sla_priority"]').evaluate(PAINTED) > 0

    logged = page.get_by_test_id("drill-logged")
    figure = int(logged.get_attribute("data-count"))
    assert figure == 3
    logged.click()
    expect(page).to_have_url(re.compile(r"/incidents/\?"))
    expect(page.get_by_test_id("incident-table").locator("tbody tr")).to_have_count(figure)
