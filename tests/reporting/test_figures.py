"""Every figure of one month worked out by hand; time-zone and DST edges; an empty month; regeneration."""

from __future__ import annotations

import math
import random
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from incidents.models import Category, Service
from reporting.models import MonthlyReport
from reporting.periods import Month
from reporting.services import report_generate
from reporting.sql import _SqlitePercentile, percentile_cont
from tests.factories import make_incident
from tests.reporting.month_data import answer_survey, build_march, create, survey_programme

pytestmark = pytest.mark.django_db

MARCH = Month(2026, 3)


@pytest.fixture
def march(agent, tech, netops, alice, settings):
    settings.TIME_ZONE = "Europe/London"
    return build_march(agent, tech, netops, alice)


def _stats(count, mean, median, p90):
    return {"count": count, "mean_s": mean, "median_s": median, "p90_s": p90}


def test_every_figure_of_a_month_matches_the_hand_worked_numbers_and_regenerates_identically(
    march, time_machine
):
    time_machine.move_to("2026-04-01 02:15:00+01:00", tick=False)
    data = report_generate(month=MARCH).data

    # The month's bounds in local time: GMT at the start, summer time at the end (a 743-hour month).
    assert data["period_start"] == "2026-03-01T00:00:00+00:00"
    assert data["period_end"] == "2026-04-01T00:00:00+01:00"
    # Logged: A B C D E F G J (I is February's, H is April's by local time though March's by UTC).
    assert data["logged"] == 8
    assert data["resolved"] == 6  # A B C D F I
    assert data["closed"] == 3  # A I, and J cancelled
    assert data["backlog_end"] == 2  # E and G

    by_priority = {
        r["key"]: (r["logged"], r["resolved"], r["closed"], r["backlog_end"])
        for r in data["breakdown"]["priority"]
    }
    assert by_priority == {
        1: (2, 2, 1, 0),
        2: (1, 1, 0, 0),
        3: (4, 1, 1, 2),
        4: (1, 1, 0, 0),
        5: (0, 1, 1, 0),
    }
    by_tier = {
        r["key"]: (r["logged"], r["resolved"], r["closed"], r["backlog_end"])
        for r in data["breakdown"]["tier"]
    }
    assert by_tier == {1: (6, 5, 3, 1), 2: (1, 1, 0, 0), 3: (1, 0, 0, 1)}
    phone = next(r for r in data["breakdown"]["channel"] if r["key"] == "phone")
    assert (phone["logged"], phone["resolved"], phone["closed"], phone["backlog_end"]) == (4, 3, 3, 1)
    groups = {r["key"]: r["logged"] for r in data["breakdown"]["group"]}
    assert groups == {"service-desk": 6, "technical-support": 1, "network": 1}

    # Responses in March, business seconds: A 600, B 5400 (Fri 17-18 + Mon 08:00-08:30), C 300, D 1800,
    # E 600, F 1800. Sorted 300 600 600 1800 1800 5400.
    assert data["time_to_respond"] == _stats(6, 1750.0, 1200.0, 3600.0)
    # Wall-clock: B is 63.5 h = 228600 s.
    assert data["time_to_respond_wall"] == _stats(6, 38950.0, 1200.0, 115200.0)
    # Resolutions in March, business seconds, pauses excluded: A 7200, B 46800 (1 + 10 + 2 h),
    # C 18000 (7 h less 2 h on hold), D 10800 (the second cycle, 09:00-12:00), F 18000 (24x7),
    # I 32400 (Fri 10-18 + Mon 08-09).
    assert data["time_to_resolve"] == _stats(6, 22200.0, 18000.0, 39600.0)
    assert data["time_to_resolve_wall"] == _stats(6, 120600.0, 61200.0, 288000.0)

    # F answered 15 minutes late and resolved an hour late; everything else met.
    assert data["sla_response_compliance"] == round(5 / 6, 4)
    assert data["sla_resolution_compliance"] == round(5 / 6, 4)
    p1 = next(r for r in data["sla_by_priority"] if r["priority"] == 1)
    assert (p1["response_met"], p1["response_total"], p1["resolution_met"], p1["resolution_total"]) == (
        1,
        2,
        1,
        2,
    )
    assert data["first_contact_resolved"] == 5 and data["first_contact_resolution_rate"] == round(5 / 6, 4)
    assert data["reopened"] == 1 and data["reopen_rate"] == round(1 / 6, 4)
    assert data["escalation_rate"] == [
        {"tier": 1, "reached": 8, "escalated": 2, "rate": 0.25},
        {"tier": 2, "reached": 2, "escalated": 1, "rate": 0.5},
    ]
    assert data["escalation_flow"] == [
        {"from_tier": 1, "to_tier": 2, "count": 2},
        {"from_tier": 2, "to_tier": 3, "count": 1},
    ]
    assert data["top_categories"] == [] and data["top_services"] == []
    # Not wired yet: the page and the snapshot say "not yet available".
    assert data["satisfaction"] == {"mean": None, "responses": 0}
    assert data["knowledge"] == {"resolved_with_article": 0, "self_solved": 0}
    assert isinstance(data["ola_compliance"], list)

    # Regenerating the month makes a new snapshot with identical numbers.
    first = MonthlyReport.objects.get(month=MARCH.first_day)
    time_machine.move_to("2026-04-03 09:00:00+01:00", tick=False)
    second = report_generate(month=MARCH)
    assert first.pk != second.pk and second.created_at > first.created_at
    assert first.code_version and second.code_version == first.code_version
    assert second.data == first.data
    assert MonthlyReport.objects.filter(month=MARCH.first_day).first() == second  # the newest is the month's
    with pytest.raises(ValueError, match="immutable"):
        first.save()


def test_top_categories_and_services_rank_the_months_logged_incidents_by_count(
    agent, alice, settings, time_machine
):
    settings.TIME_ZONE = "Europe/London"
    # given six categories and three services with known counts in March, and others outside it
    cats = {
        slug: Category.objects.create(name=f"Cat {slug}", slug=slug)
        for slug in ("network", "mail", "printing", "access-cards", "laptop", "phones")
    }
    svcs = {slug: Service.objects.create(name=f"Svc {slug}", slug=slug) for slug in ("payroll", "web", "crm")}
    march = {"network": 4, "mail": 3, "printing": 2, "access-cards": 2, "laptop": 1, "phones": 1}
    day = 2
    for slug, n in march.items():
        for _ in range(n):
            create(f"2026-03-{day:02d} 10:00", agent, alice, category=cats[slug])
            day += 1
    for slug, n in (("web", 3), ("payroll", 1)):
        for _ in range(n):
            create("2026-03-20 11:00", agent, alice, service=svcs[slug])
    create("2026-03-20 12:00", agent, alice)  # no category, no service: in neither list
    # Outside March: February, and 00:30 on 1 April local time (still 31 March in UTC).
    create("2026-02-27 10:00", agent, alice, category=cats["laptop"], service=svcs["crm"])
    for _ in range(3):
        create("2026-04-01 00:30", agent, alice, category=cats["phones"], service=svcs["crm"])

    time_machine.move_to("2026-04-02 09:00:00+01:00", tick=False)
    data = report_generate(month=MARCH).data

    # then the five largest by count, ties broken by slug, the sixth (phones, tied with laptop) left out
    assert [(r["key"], r["label"], r["logged"]) for r in data["top_categories"]] == [
        ("network", "Cat network", 4),
        ("mail", "Cat mail", 3),
        ("access-cards", "Cat access-cards", 2),
        ("printing", "Cat printing", 2),
        ("laptop", "Cat laptop", 1),
    ]
    assert [(r["key"], r["logged"]) for r in data["top_services"]] == [("web", 3), ("payroll", 1)]


def test_satisfaction_is_the_mean_rating_of_the_answers_submitted_in_the_month(
    agent, incident_manager, settings, time_machine
):
    settings.TIME_ZONE = "Europe/London"
    programme = survey_programme(incident_manager)
    # given three rated answers and one comment-only answer in March
    answer_survey("2026-03-03 10:00", agent, programme, rating=5, name="caller-a")
    answer_survey("2026-03-12 10:00", agent, programme, rating=4, name="caller-b")
    answer_survey("2026-03-31 23:00", agent, programme, rating=2, name="caller-c")
    answer_survey("2026-03-18 10:00", agent, programme, rating=None, name="caller-d")
    # and low ratings just outside it: February, and 00:30 on 1 April local time (23:30 UTC on 31 March)
    answer_survey("2026-02-28 10:00", agent, programme, rating=1, name="caller-e")
    answer_survey("2026-04-01 00:30", agent, programme, rating=1, name="caller-f")

    time_machine.move_to("2026-04-02 09:00:00+01:00", tick=False)
    data = report_generate(month=MARCH).data

    # then the mean of 5, 4 and 2, over the three responses that gave a rating
    assert data["satisfaction"] == {"mean": round(11 / 3, 2), "responses": 3}
    assert report_generate(month=Month(2026, 2)).data["satisfaction"] == {"mean": 1.0, "responses": 1}


def test_the_month_follows_the_organisations_time_zone_at_2330_on_the_last_day(
    agent, alice, settings, time_machine
):
    # In New York, 23:30 on 31 October is already 1 November in UTC: it is October's incident.
    settings.TIME_ZONE = "America/New_York"
    time_machine.move_to(datetime(2026, 10, 31, 23, 30, tzinfo=ZoneInfo("America/New_York")), tick=False)
    make_incident(actor=agent, caller=alice)
    time_machine.move_to("2026-11-02 12:00:00+00:00", tick=False)
    october, november = (
        report_generate(month=Month(2026, 10)).data,
        report_generate(month=Month(2026, 11)).data,
    )
    assert october["logged"] == 1 and october["backlog_end"] == 1
    assert october["period_end"] == "2026-11-01T00:00:00-04:00"
    assert november["logged"] == 0 and november["backlog_end"] == 1


def test_a_month_with_no_incidents_has_zeros_and_no_rates(db, time_machine):
    time_machine.move_to("2026-07-01 10:00:00+01:00", tick=False)
    data = report_generate(month=Month(2026, 6)).data
    assert (data["logged"], data["resolved"], data["closed"], data["backlog_end"]) == (0, 0, 0, 0)
    assert data["time_to_resolve"] == _stats(0, None, None, None)
    assert data["sla_resolution_compliance"] is None and data["first_contact_resolution_rate"] is None
    assert data["breakdown"]["priority"] == []


def test_a_future_month_is_refused(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="not started"):
        report_generate(month=Month.current().next())


def test_the_sqlite_percentile_gives_postgresqls_numbers():
    rng = random.Random(7)
    samples = [[rng.randint(0, 100_000) for _ in range(n)] for n in (1, 2, 5, 10, 37)]
    samples.append([5, 5, 5, 1])
    lite = sqlite3.connect(":memory:")
    lite.create_aggregate("percentile_cont", 2, _SqlitePercentile)
    lite.execute("CREATE TABLE t (s INTEGER, v INTEGER)")
    with connection.cursor() as cursor:
        for s, values in enumerate(samples):
            lite.executemany("INSERT INTO t VALUES (?, ?)", [(s, v) for v in values])
            for fraction in (0.0, 0.5, 0.9, 1.0):
                cursor.execute(
                    "SELECT percentile_cont(%s) WITHIN GROUP (ORDER BY v) FROM unnest(%s::int[]) AS v",
                    [fraction, values],
                )
                postgres = cursor.fetchone()[0]
                sqlite = lite.execute(
                    "SELECT percentile_cont(v, ?) FROM t WHERE s = ?", (fraction, s)
                ).fetchone()[0]
                assert math.isclose(postgres, sqlite, rel_tol=1e-12), (values, fraction)
                assert math.isclose(postgres, percentile_cont(values, fraction), rel_tol=1e-12)
    assert percentile_cont([], 0.5) is None


def test_ola_compliance_counts_each_tiers_hand_offs_that_ended_in_the_month(agent, alice, time_machine):
    from datetime import UTC, timedelta

    from incidents.models import Handoff
    from reporting import sources

    time_machine.move_to("2026-04-02 10:00:00+00:00", tick=False)
    met, missed, april = (make_incident(actor=agent, caller=alice) for _ in range(3))
    t = datetime(2026, 3, 10, 9, tzinfo=UTC)
    hour = timedelta(hours=1)

    def hand_off(incident, *, tier, ended_at, due_at):
        assert Handoff.objects.filter(incident=incident).count() == 1
        Handoff.objects.filter(incident=incident).update(
            tier=tier, started_at=t, ended_at=ended_at, due_at=due_at
        )

    hand_off(met, tier=1, ended_at=t + hour, due_at=t + 2 * hour)
    hand_off(missed, tier=1, ended_at=t + 3 * hour, due_at=t + 2 * hour)
    hand_off(
        april, tier=2, ended_at=datetime(2026, 4, 1, 0, 30, tzinfo=UTC), due_at=t
    )  # April's, not March's

    figures = sources.ola_compliance(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    assert figures == [{"tier": 1, "met": 1, "total": 2, "rate": 0.5}]
