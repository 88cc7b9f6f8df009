"""The aggregate rule (docs/architecture/visibility.md): a manager's figures count every incident,
but every list, drill-down and export that names incidents shows only those the manager may open,
and says how many it leaves out."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from escalation.access import access_for
from escalation.choices import Level
from incidents.models import Category
from incidents.sla.sweep import sla_sweep
from reporting.periods import Month
from reporting.selectors import dashboard
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def breached(agent, alice):
    """Two P1 incidents, eight days old and so breached: one ordinary, one of the security category."""
    security = Category.objects.get(slug="security", parent__isnull=True)
    old = timezone.now() - timedelta(days=8)
    high = {"impact": Level.HIGH, "urgency": Level.HIGH}
    plain = make_incident(actor=agent, caller=alice, title="Mail server down", now=old, **high)
    restricted = make_incident(
        actor=alice, caller=alice, title="Phishing wave", category=security, now=old, **high
    )
    sla_sweep(now=timezone.now())
    return plain, restricted


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_managers_dashboard_lists_only_what_they_may_open_and_says_how_many_it_leaves_out(
    client, manager, breached
):
    plain, restricted = breached
    client.force_login(manager)
    page = client.get("/reporting/").content.decode()
    assert plain.number in page
    assert restricted.number not in page and "Phishing wave" not in page
    assert "1 restricted incident is counted but not listed" in page
    rows = _csv(client.get("/reporting/export/breached.csv"))
    assert [r[0] for r in rows[1:]] == [plain.number]


def test_the_incident_manager_reads_both_and_no_note(client, breached):
    plain, restricted = breached
    client.force_login(make_user("im9", roles=["Incident manager"]))
    page = client.get("/reporting/").content.decode()
    assert plain.number in page and restricted.number in page
    assert "not listed" not in page
    numbers = [r[0] for r in _csv(client.get("/reporting/export/breached.csv"))[1:]]
    assert sorted(numbers) == sorted([plain.number, restricted.number])


def test_the_months_incident_export_leaves_out_what_the_manager_may_not_open(client, manager, breached):
    plain, restricted = breached
    client.force_login(manager)
    month = Month.of(timezone.localdate(restricted.created_at))
    numbers = [r[0] for r in _csv(client.get(f"/reporting/months/{month}/incidents.csv"))[1:]]
    assert plain.number in numbers and restricted.number not in numbers


def test_a_report_drill_down_says_how_many_restricted_incidents_its_figure_counts(client, manager, breached):
    plain, restricted = breached
    client.force_login(manager)
    day = timezone.localdate(restricted.created_at).isoformat()
    page = client.get(f"/incidents/?queue=all&created_after={day}&created_before={day}").content.decode()
    assert plain.number in page and restricted.number not in page
    assert "1 restricted incident is counted but not listed" in page
    # a search, or a filter the report does not have, says nothing of what hidden incidents are
    searched = client.get(f"/incidents/?queue=all&created_after={day}&q=phishing").content.decode()
    assert "not listed" not in searched
    by_status = client.get(f"/incidents/?queue=all&created_after={day}&status=new").content.decode()
    assert restricted.status == "new" and "not listed" not in by_status


def test_the_figures_count_every_incident(manager, breached):
    data = dashboard(access=access_for(manager))
    open_total = sum(row["total"] for row in data["backlog"])
    assert open_total == 2  # the restricted incident is in the backlog figures
    assert len(data["breached"]) == 1 and data["breached_not_listed"] == 1
