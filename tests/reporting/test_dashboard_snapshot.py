"""The dashboard's month-to-date figures come from a snapshot refreshed by beat; the lists stay live."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.models import DashboardSnapshot
from reporting.tasks import dashboard_refresh_task
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


def _incident_scans(captured) -> int:
    return sum(
        'FROM "incidents_incident"' in q["sql"] and "COUNT(" in q["sql"] for q in captured.captured_queries
    )


def test_the_page_shows_the_stored_figures_and_their_time_then_recomputes_them_when_stale(
    client, manager, agent, alice, time_machine
):
    # given two incidents and the beat's refresh at 10:00
    time_machine.move_to("2026-05-12 09:50:00+01:00", tick=False)
    make_incident(actor=agent, caller=alice)
    make_incident(actor=agent, caller=alice)
    time_machine.move_to("2026-05-12 10:00:00+01:00", tick=False)
    dashboard_refresh_task()
    dashboard_refresh_task()  # twice: still one row
    assert DashboardSnapshot.objects.count() == 1
    # when a third incident is logged and the manager opens the dashboard four minutes later
    time_machine.move_to("2026-05-12 10:03:00+01:00", tick=False)
    make_incident(actor=agent, caller=alice)
    time_machine.move_to("2026-05-12 10:04:00+01:00", tick=False)
    client.force_login(manager)
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/reporting/").content.decode()
    # then the figures are the stored ones, said to be as of 10:00, with no aggregate scan of incidents
    assert 'data-count="2"' in page and "figures as of 10:00" in page
    assert _incident_scans(captured) == 0
    # when the snapshot is older than the limit, the page computes the figures and stores them
    time_machine.move_to("2026-05-12 10:20:00+01:00", tick=False)
    page = client.get("/reporting/").content.decode()
    assert 'data-count="3"' in page and "figures as of 10:20" in page
    assert DashboardSnapshot.objects.get().data["mtd"]["logged"] == 3


def test_a_new_month_never_shows_the_last_months_figures(client, manager, agent, alice, time_machine):
    time_machine.move_to("2026-05-31 23:50:00+01:00", tick=False)
    make_incident(actor=agent, caller=alice)
    time_machine.move_to("2026-05-31 23:55:00+01:00", tick=False)
    dashboard_refresh_task()
    assert DashboardSnapshot.objects.get().data["mtd"]["logged"] == 1
    time_machine.move_to("2026-06-01 00:01:00+01:00", tick=False)
    client.force_login(manager)
    assert 'data-count="0"' in client.get("/reporting/").content.decode()
