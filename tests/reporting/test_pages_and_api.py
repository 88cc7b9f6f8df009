"""The dashboard, the archive, a month's page with its drill-downs and review, the API and the exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from reporting.models import MonthlyReport, ReviewAction
from reporting.periods import Month
from reporting.services import report_generate
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_manager_lands_on_the_dashboard_and_others_are_refused(client, manager, agent, alice):
    make_incident(actor=agent, caller=alice)
    client.force_login(manager)
    assert client.get("/").url == "/reporting/"
    page = client.get("/reporting/")
    assert page.status_code == 200
    assert b'data-chart="trend"' in page.content and b'id="chart-data"' in page.content
    assert b"vendor/chart.js/chart.umd.min.js" in page.content
    client.force_login(agent)
    assert client.get("/reporting/").status_code == 403
    assert client.get("/reporting/months/").status_code == 403
    assert client.get("/reporting/export/trend.csv").status_code == 403


def test_the_dashboard_reads_a_bounded_number_of_queries(
    client, manager, agent, alice, django_assert_max_num_queries
):
    for _ in range(5):
        make_incident(actor=agent, caller=alice)
    client.force_login(manager)
    with django_assert_max_num_queries(30):
        assert client.get("/reporting/").status_code == 200


def test_drill_down_counts_equal_the_figures(client, manager, agent, tech, alice, time_machine):
    from incidents import services
    from tests.factories import group

    time_machine.move_to("2026-05-12 10:00:00+01:00", tick=False)
    a = make_incident(actor=agent, caller=alice)
    b = make_incident(actor=agent, caller=alice, impact=1, urgency=1)
    services.incident_escalate(
        actor=agent,
        incident=b,
        expected_version=b.version,
        assignment_group=group("technical-support"),
        reason="x",
    )
    services.incident_resolve(
        actor=agent,
        incident=a,
        expected_version=a.version,
        resolution_code="workaround",
        resolution_notes="ok",
    )
    time_machine.move_to("2026-06-01 09:00:00+01:00", tick=False)
    make_incident(actor=agent, caller=alice)  # June's: outside every May figure
    report = report_generate(month=Month(2026, 5))
    client.force_login(manager)
    page = client.get("/reporting/months/2026-05/")
    assert page.status_code == 200
    drill = page.context["drill"]
    for population, figure in (
        ("logged", "logged"),
        ("resolved", "resolved"),
        ("backlog_end", "backlog_end"),
        ("first_contact", "first_contact_resolved"),
    ):
        rows = _csv(client.get(drill[population] + "&format=csv"))
        assert len(rows) - 1 == report.data[figure], population
    tier2 = next(r for r in page.context["breakdown"]["tier"] if r["key"] == 2)
    assert len(_csv(client.get(tier2["links"]["logged"] + "&format=csv"))) - 1 == tier2["logged"] == 1


def test_month_page_compares_and_records_review_notes_and_actions(
    client, manager, incident_manager, time_machine
):
    time_machine.move_to("2026-05-02 09:00:00+01:00", tick=False)
    report_generate(month=Month(2026, 3))
    report_generate(month=Month(2026, 4))
    client.force_login(manager)
    archive = client.get("/reporting/months/")
    assert b"April 2026" in archive.content and b"March 2026" in archive.content
    page = client.get("/reporting/months/2026-04/")
    assert page.context["previous"] is not None and page.context["last_year"] is None
    html = page.content.decode()
    # the figures other apps provide are wired: satisfaction, knowledge counts, OLA per tier
    assert "not yet available" not in html
    assert "Satisfaction:" in html and "self-solved" in html and "OLA compliance per tier:" in html

    response = client.post(
        "/reporting/months/2026-04/notes/", {"body": "<script>x</script> P3 slipped."}, follow=True
    )
    assert "Review note added." in response.content.decode()
    assert "&lt;script&gt;x&lt;/script&gt; P3 slipped." in response.content.decode()
    response = client.post(
        "/reporting/months/2026-04/actions/",
        {"title": "Train tier 1 on VPN", "owner": incident_manager.username, "due_date": "2026-05-20"},
        follow=True,
    )
    assert "Action recorded." in response.content.decode()
    action = ReviewAction.objects.get()
    assert (action.owner, str(action.due_date), action.status) == (incident_manager, "2026-05-20", "open")
    client.post(f"/reporting/months/2026-04/actions/{action.pk}/", {"status": "done"})
    action.refresh_from_db()
    assert action.status == "done"
    # bad input: the month page again, 400, with what was typed and why; nothing saved or lost
    refused = client.post("/reporting/months/2026-04/actions/", {"title": "Fix P3", "due_date": "someday"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'value="Fix P3"' in html and "Enter a valid date." in html and "This field is required." in html
    assert ReviewAction.objects.count() == 1
    refused = client.post("/reporting/months/2026-04/notes/", {"body": "  "})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    assert len(client.get("/reporting/months/2026-04/").context["notes"]) == 1


def test_bad_and_future_months_are_404s_with_a_reason(client, manager):
    client.force_login(manager)
    assert client.get("/reporting/months/2026-13/").status_code == 404
    future = Month.current().next()
    assert client.get(f"/reporting/months/{future}/").status_code == 404
    api = client.get(f"/api/v1/reports/monthly/{future}/")
    assert api.status_code == 404 and "not started" in api.json()["detail"]
    assert client.get("/api/v1/reports/monthly/20x6-01/").status_code == 404


def test_the_api_computes_and_stores_a_month_on_first_request(client, manager, agent, alice, time_machine):
    time_machine.move_to("2026-02-10 10:00:00+00:00", tick=False)
    make_incident(actor=agent, caller=alice)
    time_machine.move_to("2026-03-05 10:00:00+00:00", tick=False)
    client.force_login(agent)
    assert client.get("/api/v1/reports/monthly/2026-02/").status_code == 403
    client.force_login(manager)
    body = client.get("/api/v1/reports/monthly/2026-02/").json()
    for field in (
        "period_start",
        "period_end",
        "logged",
        "resolved",
        "closed",
        "backlog_end",
        "sla_resolution_compliance",
        "first_contact_resolution_rate",
        "created_at",
        "code_version",
    ):
        assert field in body, field
    assert set(body["time_to_resolve"]) >= {"mean_s", "median_s", "p90_s"}
    assert body["logged"] == 1 and body["period_start"] == "2026-02-01T00:00:00+00:00"
    assert MonthlyReport.objects.filter(month="2026-02-01", automatic=True).count() == 1
    client.get("/api/v1/reports/monthly/2026-02/")
    assert MonthlyReport.objects.count() == 1  # stored once, then read


def test_the_report_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/reports/monthly/{month}/" in schema and "first_contact_resolution_rate" in schema


def test_exports_stream_and_neutralise_incident_titles(client, manager, agent, alice, time_machine):
    time_machine.move_to("2026-02-10 10:00:00+00:00", tick=False)
    make_incident(actor=agent, caller=alice, title='=HYPERLINK("http://evil.example","x")')
    make_incident(actor=agent, caller=alice, title="@SUM(A1)")
    make_incident(actor=agent, caller=alice, title="|cmd /C calc")
    time_machine.move_to("2026-03-05 10:00:00+00:00", tick=False)
    client.force_login(manager)
    response = client.get("/reporting/months/2026-02/incidents.csv")
    assert response.streaming
    titles = {row[1] for row in _csv(response)[1:]}
    # the cells are core.csv's, with the queue export's rules: the pipe too
    assert titles == {'\'=HYPERLINK("http://evil.example","x")', "'@SUM(A1)", "'|cmd /C calc"}
    report_generate(month=Month(2026, 2))
    whole = client.get("/reporting/months/2026-02/report.csv")
    assert whole.streaming and any(r[:2] == ["summary", "figure"] for r in _csv(whole))
    pdf = client.get("/reporting/months/2026-02/report.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    for table in (
        "trend",
        "sla_by_priority",
        "sla_by_group",
        "backlog",
        "breached",
        "at_risk",
        "escalation_flow",
    ):
        assert client.get(reverse("reporting:dashboard-export", args=[table])).status_code == 200, table
    assert client.get("/reporting/export/nope.csv").status_code == 404


def test_an_administrator_may_read_reports(client, db):
    admin = make_user("admin9", roles=["Administrator"])
    client.force_login(admin)
    assert client.get("/reporting/").status_code == 200
