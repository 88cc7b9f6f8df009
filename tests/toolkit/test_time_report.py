"""The time report (issue 23 §4): by group, person, category and month, for team leads and managers,
over incidents the reader may see; its CSV, the API, and the monthly report's time figures."""

from datetime import UTC, datetime, timedelta

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from escalation.access import access_for
from escalation.models import Membership
from incidents.models import Category
from tests.factories import group, make_incident, make_user
from toolkit import selectors, services

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
PERIOD = {"start": NOW - timedelta(days=60), "end": NOW + timedelta(days=1)}


@pytest.fixture
def worked(agent, tech, incident_manager, time_machine):
    """30 minutes at the desk and 45 at technical support this month, 5 at the desk a month ago,
    and 60 on a restricted security incident."""
    time_machine.move_to(NOW - timedelta(days=2), tick=False)
    category = Category.objects.get_or_create(slug="printing", parent=None, defaults={"name": "Printing"})[0]
    desk = make_incident(actor=agent, category=category)
    second = make_incident(actor=agent, assignment_group=group("technical-support"))
    secret = make_incident(actor=incident_manager, assignment_group=group("security"), title="Breach")
    services.time_record(actor=agent, incident=desk, minutes=20, now=NOW)
    services.time_record(actor=agent, incident=desk, minutes=10, now=NOW - timedelta(days=1))
    services.time_record(actor=agent, incident=desk, minutes=5, now=NOW - timedelta(days=31))
    services.time_record(actor=tech, incident=second, minutes=45, now=NOW)
    services.time_record(actor=incident_manager, incident=secret, minutes=60, now=NOW)
    services.tag_add(actor=agent, incident=desk, name="printer")
    time_machine.move_to(NOW, tick=False)
    return {"desk": desk, "second": second, "secret": secret, "category": category}


def _minutes(rows):
    return {row["key"]: row["minutes"] for row in rows}


def test_managers_read_time_by_group_person_category_and_month(worked, agent, tech, incident_manager):
    report = selectors.time_report(access=access_for(incident_manager), **PERIOD)

    assert _minutes(report.by_group) == {"service-desk": 35, "technical-support": 45, "security": 60}
    assert _minutes(report.by_person) == {
        agent.username: 35,
        tech.username: 45,
        incident_manager.username: 60,
    }
    assert _minutes(report.by_category)[worked["category"].slug] == 35
    months = _minutes(report.by_month)
    assert months["2026-11"] == 20 + 10 + 45 + 60 and sum(months.values()) == 140
    assert report.total_minutes == 140 and report.entries == 5
    narrowed = selectors.time_report(access=access_for(incident_manager), tag="printer", **PERIOD)
    assert narrowed.total_minutes == 35
    assert (
        selectors.time_report(
            access=access_for(incident_manager), group="technical-support", **PERIOD
        ).total_minutes
        == 45
    )


def test_a_manager_who_may_not_see_a_restricted_incident_does_not_count_its_time(worked):
    manager = make_user("mgr1", roles=["Manager"])

    report = selectors.time_report(access=access_for(manager), **PERIOD)

    assert "security" not in _minutes(report.by_group) and report.total_minutes == 80


def test_a_team_lead_reads_only_the_groups_they_lead(worked, agent):
    lead = make_user("lead1", groups=["technical-support", "service-desk"])
    Membership.objects.filter(user=lead, group__slug="technical-support").update(is_lead=True)

    report = selectors.time_report(access=access_for(lead), **PERIOD)

    assert _minutes(report.by_group) == {"technical-support": 45}
    assert selectors.time_report(access=access_for(agent), **PERIOD).total_minutes == 0


def test_the_page_and_its_csv(client, worked, agent, incident_manager, django_assert_max_num_queries):
    client.force_login(agent)
    assert client.get("/toolkit/time/").status_code == 403

    client.force_login(incident_manager)
    query = {"start": "2026-09-17", "end": "2026-11-16"}
    with django_assert_max_num_queries(12):
        page = client.get("/toolkit/time/", query)
    assert page.status_code == 200
    assert 'data-testid="time-by-person"' in page.content.decode()
    assert client.get("/toolkit/time/", {"start": "2026-11-16", "end": "2026-01-01"}).status_code == 400
    assert client.get("/toolkit/time/", {"start": "soon"}).status_code == 400

    csv = b"".join(client.get("/toolkit/time/", {**query, "format": "csv"}).streaming_content).decode()
    lines = csv.splitlines()
    assert lines[0] == "table,key,label,minutes,entries"
    assert any(line.startswith("group,technical-support,") and ",45,1" in line for line in lines)
    assert any(line.startswith("month,2026-11,") for line in lines)


def _api(user):
    api = APIClient()
    _, token = AuthToken.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def test_the_api_lists_records_and_sums_time(worked, agent, alice, incident_manager):
    desk = worked["desk"]
    api = _api(agent)

    listed = api.get(f"/api/v1/incidents/{desk.number}/time/", {"page_size": 2}).json()
    assert [row["minutes"] for row in listed["results"]] == [20, 10] and listed["next"]
    assert api.get(listed["next"]).json()["results"][0]["minutes"] == 5

    created = api.post(
        f"/api/v1/incidents/{desk.number}/time/", {"minutes": 7, "note": "Call"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["user"] == agent.username and created.json()["group"] == "service-desk"
    assert (
        api.post(f"/api/v1/incidents/{desk.number}/time/", {"minutes": 0}, format="json").status_code == 400
    )
    assert api.get(f"/api/v1/incidents/{worked['secret'].number}/time/").status_code == 404
    assert api.get("/api/v1/time/report/", {"start": "2026-11-01", "end": "2026-11-30"}).status_code == 403

    caller_incident = make_incident(actor=agent, caller=alice)
    assert _api(alice).get(f"/api/v1/incidents/{caller_incident.number}/time/").status_code == 403

    manager_api = _api(incident_manager)
    report = manager_api.get("/api/v1/time/report/", {"start": "2026-11-01", "end": "2026-11-30"})
    assert report.status_code == 200
    body = report.json()
    assert body["total_minutes"] == 20 + 10 + 45 + 60 + 7
    assert {row["key"]: row["minutes"] for row in body["by_group"]}["technical-support"] == 45
    bad = manager_api.get("/api/v1/time/report/", {"start": "2026-11-30", "end": "2026-11-01"})
    assert bad.status_code == 400


def test_the_monthly_report_counts_time_by_group_and_its_csv_per_incident(
    client, worked, agent, incident_manager
):
    from reporting import exports, metrics
    from reporting.periods import Month

    month = Month(2026, 11)
    figures = metrics.month_figures(month.start, month.end)
    assert figures["time_worked"]["total_minutes"] == 20 + 10 + 45 + 60
    tables = {title: rows for title, _, rows in exports.report_tables(_blank(figures))}
    assert [group("technical-support").name, 45, 1] in tables["time_by_group"]

    manager = make_user("mgr2", roles=["Manager"])
    client.force_login(manager)
    with_time = client.get("/reporting/months/2026-11/incidents.csv")
    assert with_time.status_code == 200
    rows = b"".join(with_time.streaming_content).decode().splitlines()
    header = rows[0].split(",")
    assert header[-2:] == ["minutes_worked", "tags"]
    desk_row = next(r for r in rows if r.startswith(worked["desk"].number))
    assert desk_row.endswith(",35,printer")
    assert not any(r.startswith(worked["secret"].number) for r in rows)


def _blank(figures):
    return figures | {"month": "2026-11", "period_start": "", "period_end": ""}
