"""The import page in real Chromium with a real worker: upload -> columns -> dry run -> import -> done."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from incidents.models import Incident
from tests.browser.helpers import axe_violations, signed_in_page
from tests.history.conftest import csv_bytes, row

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_incident_manager_imports_a_csv_after_a_dry_run(
    live_server, browser: Browser, celery_worker_process, incident_manager, tmp_path
):
    path = tmp_path / "old-desk.csv"
    path.write_bytes(csv_bytes([row("1"), row("2"), row("3", Opened="not a date")]))
    page = signed_in_page(browser, live_server, incident_manager)
    page.goto(f"{live_server.url}/history/")

    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_label("Source tool").fill("OldDesk")
    page.get_by_role("button", name="Upload and choose columns").click()
    page.get_by_label("Ticket id in the source").select_option("Ticket")
    page.get_by_label("Title (required)").select_option("Summary")
    page.get_by_label("Opened at (required)").select_option("Opened")
    page.get_by_label("Status", exact=True).select_option("State")
    page.get_by_test_id("dry-run").click()

    expect(page.get_by_test_id("run-state")).to_have_text("Done", timeout=30_000)
    expect(page.get_by_test_id("created")).to_have_text("2")
    expect(page.get_by_test_id("refused")).to_have_text("1")
    expect(page.get_by_test_id("samples")).to_contain_text("“opened_at” is “not a date”")
    assert axe_violations(page) == []
    assert not Incident.objects.filter(imported=True).exists()

    page.get_by_test_id("import-for-real").click()
    expect(page.get_by_test_id("run-state")).to_have_text("Done", timeout=30_000)
    expect(page.get_by_test_id("created")).to_have_text("2")
    expect(page.get_by_test_id("retrain")).to_be_visible()
    assert Incident.objects.filter(imported=True, import_source="OldDesk").count() == 2
