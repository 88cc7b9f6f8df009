"""The dashboard, the archive, a month's page with its drill-downs and review, the API and the exports."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from reporting.models import MonthlyReport, ReviewAction
from reporting.periods import Month
from reporting.services import report_generate
from tests.factories import make_incident, make_user
from tests.reporting.month_data import answer_survey, build_march, survey_programme

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


def _shown(html: str, attribute: str, key: str) -> str:
    """The text of the element whose ``attribute`` is ``key`` (figures carry data-figure / data-testid)."""
    match = re.search(rf'{attribute}="{re.escape(key)}"[^>]*>([^<]*)<', html)
    assert match, f"{attribute}={key} is not on the page"
    return match.group(1).strip()


def test_the_month_page_shows_the_figures_of_the_month_the_test_built(
    client, manager, agent, tech, netops, alice, incident_manager, settings, time_machine
):
    # given March 2026 as worked out by hand in test_figures, and two survey answers given in March
    # about incidents resolved in February (so March's volumes stay the hand-worked ones)
    settings.TIME_ZONE = "Europe/London"
    build_march(agent, tech, netops, alice)
    programme = survey_programme(incident_manager)
    answer_survey("2026-03-02 09:00", agent, programme, rating=5, name="rater-1", resolved="2026-02-20 10:00")
    answer_survey("2026-03-03 09:00", agent, programme, rating=2, name="rater-2", resolved="2026-02-25 10:00")
    time_machine.move_to("2026-04-02 09:00:00+01:00", tick=False)
    report_generate(month=Month(2026, 2))
    report_generate(month=Month(2026, 3))

    # when the manager opens the month
    client.force_login(manager)
    html = client.get("/reporting/months/2026-03/").content.decode()

    # then every key figure is the hand-worked one
    shown = {
        key: _shown(html, "data-figure", key)
        for key in (
            "logged",
            "resolved",
            "closed",
            "backlog_end",
            "sla_response_compliance",
            "sla_resolution_compliance",
            "first_contact_resolution_rate",
            "reopen_rate",
            "time_to_resolve.median_s",
            "time_to_resolve.p90_s",
        )
    }
    assert shown == {
        "logged": "8",
        "resolved": "6",
        "closed": "3",
        "backlog_end": "2",
        "sla_response_compliance": "83.3 %",
        "sla_resolution_compliance": "83.3 %",
        "first_contact_resolution_rate": "83.3 %",
        "reopen_rate": "16.7 %",
        "time_to_resolve.median_s": "5.0 h",
        "time_to_resolve.p90_s": "11.0 h",
    }
    # compared with February (I and the two surveyed incidents were logged there)
    assert re.search(
        r'data-figure="logged">8</p>\s*<p class="small mb-0 [^"]*">\s*<span aria-hidden="true">'
        r"▲</span> up from 3",
        html,
    )
    # the volumes table and its drill-down counts
    assert [
        _shown(html, "data-testid", f"drill-{name}") for name in ("logged", "resolved", "closed", "backlog")
    ] == [
        "8",
        "6",
        "3",
        "2",
    ]
    # the escalations, the SLA per priority, and the satisfaction score from the two answers
    assert "Escalated beyond tier 1: 2 of 8" in html and "Hand-offs tier 2 → tier 3: 1" in html
    assert re.search(
        r'<th scope="row">P1[^<]*</th><td class="text-end">2</td><td class="text-end">1/2</td>'
        r'<td class="text-end">1/2</td>',
        html,
    )
    assert "Satisfaction: 3.5 (2 responses)." in html
    assert "Knowledge: 0 resolved with an article, 0 self-solved" in html


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
    # the figures other apps provide are wired (their values: the test above)
    assert "not yet available" not in html

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


def test_dashboard_exports_hold_the_dashboards_rows_with_formula_titles_neutralised(
    client, manager, agent, tech, alice, settings, time_machine
):
    from incidents import services
    from incidents.sla.sweep import sla_sweep
    from tests.factories import group
    from tests.reporting.month_data import at, create, resolve, step

    # given, on Wednesday 20 May 2026 at 10:00 in London: April's report (two logged and resolved in
    # time), a P3 resolved yesterday within its target, a P4 open for five days, a P3 escalated to
    # tier 2, a P1 past its 4-hour target and a P1 due in two hours
    settings.TIME_ZONE = "Europe/London"
    resolve("2026-04-14 11:00", agent, create("2026-04-14 09:00", agent, alice))
    resolve("2026-04-15 11:00", agent, create("2026-04-15 09:00", agent, alice))
    time_machine.move_to(at("2026-05-01 09:00"), tick=False)
    report_generate(month=Month(2026, 4))
    resolve("2026-05-19 10:00", agent, create("2026-05-19 09:00", agent, alice, title="Done yesterday"))
    old = create("2026-05-15 09:00", agent, alice, impact=2, urgency=3, title="Open five days")
    step("2026-05-15 09:10", services.incident_assign, actor=agent, incident=old, assigned_to=agent)
    up = create("2026-05-18 09:00", agent, alice, title="Needs tier 2")
    step(
        "2026-05-18 09:30",
        services.incident_escalate,
        actor=agent,
        incident=up,
        assignment_group=group("technical-support"),
        reason="Tier 2 please.",
    )
    step("2026-05-18 09:40", services.incident_assign, actor=tech, incident=up, assigned_to=tech)
    late = create("2026-05-20 03:00", agent, alice, impact=1, urgency=1, title='=cmd|"/c calc"!A1')
    soon = create("2026-05-20 08:00", agent, alice, impact=1, urgency=1, title="+SUM(1+1)")
    step("2026-05-20 08:05", services.incident_assign, actor=agent, incident=soon, assigned_to=agent)
    time_machine.move_to(at("2026-05-20 10:00"), tick=False)
    sla_sweep()
    late.refresh_from_db()
    soon.refresh_from_db()
    assert late.sla_state == "breached" and soon.sla_state != "breached"
    client.force_login(manager)

    def export(table: str) -> list[list[str]]:
        response = client.get(reverse("reporting:dashboard-export", args=[table]))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), table
        assert f'filename="dashboard-{table}.csv"' in response["Content-Disposition"]
        return _csv(response)

    # then the breached and at-risk lists: number, title (a formula made text), priority, group, due
    incident_header = ["number", "title", "priority", "group", "sla_state", "resolution_due_at"]
    assert export("breached") == [
        incident_header,
        [
            late.number,
            '\'=cmd|"/c calc"!A1',
            "1",
            "Service Desk",
            "breached",
            late.resolution_due_at.isoformat(),
        ],
    ]
    assert late.resolution_due_at == at("2026-05-20 07:00")
    assert export("at_risk") == [
        incident_header,
        [soon.number, "'+SUM(1+1)", "1", "Service Desk", soon.sla_state, soon.resolution_due_at.isoformat()],
    ]
    # the trend: eleven months before May (April from its report, the others empty), then May to date
    trend = export("trend")
    assert trend[0] == [
        "month",
        "logged",
        "resolved",
        "sla_resolution_compliance",
        "first_contact_resolution_rate",
    ]
    assert [row[0] for row in trend[1:]] == [f"2025-{m:02d}" for m in range(6, 13)] + [
        f"2026-{m:02d}" for m in range(1, 6)
    ]
    assert trend[1] == ["2025-06", "", "", "", ""]
    assert trend[-2] == ["2026-04", "2", "2", "1.0", "1.0"]
    assert trend[-1][:3] == ["2026-05", "5", "1"] and trend[-1][3] == "1.0"
    # SLA by priority and by group: May's one resolution, a P3 within target
    by_priority = export("sla_by_priority")
    assert by_priority[0] == [
        "label",
        "resolved",
        "response_met",
        "response_rate",
        "resolution_met",
        "resolution_rate",
    ]
    [p3] = [row for row in by_priority[1:] if row[0].startswith("P3")]
    assert p3[1] == "1" and p3[4:] == ["1", "1.0"]
    assert export("sla_by_group") == [
        ["name", "resolved", "met", "total", "rate"],
        ["Service Desk", "1", "1", "1", "1.0"],
    ]
    # the backlog by tier and group, aged: three open at tier 1 (two today, one five days old), one at tier 2
    assert export("backlog") == [
        ["tier", "name", "total", "under_1_day", "days_1_3", "days_3_7", "over_7_days"],
        ["1", "Service Desk", "3", "2", "0", "1", "0"],
        ["2", "Technical Support", "1", "0", "1", "0", "0"],
    ]
    assert export("escalation_flow") == [["from_tier", "to_tier", "count"], ["1", "2", "1"]]
    assert client.get("/reporting/export/nope.csv").status_code == 404


def test_an_administrator_may_read_reports(client, db):
    admin = make_user("admin9", roles=["Administrator"])
    client.force_login(admin)
    assert client.get("/reporting/").status_code == 200
