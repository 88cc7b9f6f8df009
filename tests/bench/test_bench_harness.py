"""`make bench` cannot rot: a tiny benchmark runs end to end in the suite (marked ``bench``).

It asserts that the harness works (every page measured with its queries counted, the targets
marked, the JSON written, numbering gap-free after the bulk load, the SLA catch-up run by a real
worker), never how fast anything is: timings on a shared test machine mean nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from django.conf import settings
from django.db import connections

from bench.targets import PAGE_TARGETS
from tests import workers
from tests.workers import REPO_ROOT, dedicated_broker_url

pytestmark = pytest.mark.bench

PAGES = {
    "queue_my_groups",
    "queue_all_open",
    "queue_search",
    "queue_search_two_words",
    "api_search",
    "incident_page",
    "api_list_page_1",
    "api_list_cursor_page_21",
    "api_detail",
    "api_create",
    "dashboard",
    "monthly_report_page",
    "knowledge_suggestions",
    "portal_my_incidents",
    "learning_suggestions",
}


def _maintenance(url: str):
    conn = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    conn.autocommit = True
    return conn


def _sessions_gone(cur, database: str) -> None:
    """Other threads' connections to the template: the live server's request threads close theirs just after
    answering, so they are waited for a moment; what is left after that (a thread that will not come back to
    it) is ended, since PostgreSQL copies no database that has another session."""
    others = "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        cur.execute(others, [database])
        if not cur.fetchall():
            return
        time.sleep(0.1)  # a bounded poll on other threads, not a test's clock
    cur.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        [database],
    )


@pytest.fixture
def bench_database(django_db_setup, django_db_blocker):
    """A copy of the migrated test database (no 60-second migration), dropped afterwards."""
    source = connections["default"].settings_dict["NAME"]
    assert source.startswith("test_"), source
    name = f"{source}_bench"
    url = workers.test_database_url()
    with django_db_blocker.unblock():
        connections.close_all()  # a template must have no other session
    conn = _maintenance(url)
    try:
        with conn.cursor() as cur:
            _sessions_gone(cur, source)
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        yield url, name
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def _bench(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


# transactional: an earlier transactional test in this process flushed the reference data (support
# groups, roles, calendars); this restores it before the database is copied as the bench's template.
@pytest.mark.django_db(transaction=True)
def test_a_tiny_bench_measures_every_page_and_marks_every_target(bench_database, tmp_path):
    url, name = bench_database
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BENCH_"))},
        "DATABASE_URL": url,
        "BENCH_BROKER_URL": dedicated_broker_url(),
    }

    # when the benchmark runs on a couple of thousand incidents with a few requests per page
    run = _bench(
        *("--database", name, "--incidents", "2000", "--requests", "2", "--warmup", "0"),
        *("--seconds", "2", "--clients", "4", "--sla-due", "40", "--sweep-runs", "3", "--articles", "50"),
        *("--demo-incidents", "0", "--workers", "1", "--celery-concurrency", "1"),
        *("--live-pages", "4", "--live-idle", "1"),
        *("--import-rows", "300"),
        *("--out", str(tmp_path)),
        env=env,
    )
    print(run.stdout)  # the phases with their times, shown when the test fails
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    # then the JSON holds every page, answered without error, with the server's query count
    result = json.loads((tmp_path / "latest.json").read_text())
    assert set(result["pages"]) == PAGES
    for page, figures in result["pages"].items():
        assert figures["errors"] == 0, (page, figures)
        assert figures["n"] == 2
        assert figures["sql_queries_max"] and figures["sql_queries_max"] > 0, page
        assert figures["server_p95_ms"] is not None and figures["p99_ms"] is not None, page
        # the request thread's own CPU, within the server time
        assert 0 < figures["server_cpu_p50_ms"] <= figures["server_p95_ms"] * 1.05, (page, figures)
    assert result["throughput"]["requests"] > 0 and result["throughput"]["errors"] == 0
    assert result["data"]["incidents"] >= 2000 and result["data"]["open"] > 0
    assert result["machine"]["cpu_count"] and result["machine"]["postgresql"]
    # every target is marked met or missed, beside its figure
    marked = {row["what"] for row in result["targets"]}
    for page, (ms, queries) in PAGE_TARGETS.items():
        assert (ms is None or f"{page} server p95" in marked) and (
            queries is None or f"{page} SQL queries" in marked
        )
    assert all(isinstance(row["met"], bool) for row in result["targets"])
    assert any("SLA sweep, nothing due" in w for w in marked) and any("catch-up" in w for w in marked)
    # the real worker fired exactly the thresholds made due
    catch_up = result["sla"]["catch_up"]
    assert catch_up["complete"] and catch_up["fired"] == catch_up["thresholds_due"] == 40
    # and the notifications workers, running alongside, mailed every escalation it recorded
    drain = catch_up["drain"]
    assert drain["complete"] and catch_up["notifications_seconds"] is not None
    assert drain["escalations"] == 40 and drain["notifications_emailed"] == drain["notifications"] > 0
    assert 0 < drain["mails_sent"] <= drain["notifications"]  # digests: one mail per person per batch
    assert any("escalation drain" in w for w in marked)
    # the retention purge ran over the history under the page probes, each page answered meanwhile
    purge = result["purge"]
    assert (
        purge["rows"]
        == purge["purged"]["closed_incident_events"]
        == purge["eligible"]["closed_incident_events"]
    )
    assert purge["rows"] > 0 and purge["archive_files"] > 0
    assert purge["pages"] and all(p["errors"] == 0 and p["n"] > 0 for p in purge["pages"].values())
    assert any("during the purge" in w for w in marked) and "retention purge of history" in run.stdout
    assert result["report"]["month_incidents"] > 0
    # and the suggestion model was trained on the bench's history and judged on its last month
    learning = result["learning"]
    assert learning["data_size"] > 0 and learning["held_out"]["tested_on"] > 0
    assert learning["suggest_in_process_p95_ms"] > 0 and learning["train_s"] >= 0
    # the history import brought in every generated row through the command, then found them all again
    imported = result["import"]
    assert (imported["import"]["created"], imported["import"]["refused"]) == (300, 0)
    assert (imported["again"]["created"], imported["again"]["unchanged"]) == (0, 300)
    assert "history import: 300 CSV rows" in run.stdout
    # the open live pages received every change made while they were open (bench/live.py)
    live = result["live"]
    assert live["deliveries"] > 0 and live["missed"] == 0, live
    # and, the live pages still open, every read page was timed on their server and held to its target
    assert live["open_during_probes"] == 4 and live["page_errors"] == 0
    assert set(live["pages_meanwhile"]) == PAGES - {"api_create"}
    assert all(p["errors"] == 0 and p["server_p95_ms"] is not None for p in live["pages_meanwhile"].values())
    assert any("4 live pages open" in w for w in marked) and "pages with 4 live pages open" in run.stdout
    assert "SPEC §13 targets:" in run.stdout and "queue_my_groups" in run.stdout

    # and the numbers stay gap-free after the bulk load and the API creates: the counter is past them all
    with psycopg2.connect(urlunsplit(urlsplit(url)._replace(path=f"/{name}"))) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), max(substr(number, 4)::int) FROM incidents_incident")
        count, highest = cur.fetchone()
        cur.execute("SELECT value FROM incidents_counter WHERE name = 'incident'")
        counter = cur.fetchone()[0]
    assert count == highest == counter
    conn.close()

    # and --compare prints the change against an earlier result
    compared = _bench(
        "--compare", str(tmp_path / "latest.json"), "--against", str(tmp_path / "latest.json"), env=env
    )
    assert compared.returncode == 0, compared.stderr
    assert "api_create" in compared.stdout and "met" in compared.stdout

    # and the partitioning study plans and runs every query on both layouts, at two sizes
    study = subprocess.run(
        [sys.executable, "-m", "bench.partitioning"],
        cwd=REPO_ROOT,
        env={
            **env,
            "BENCH_DATABASE_URL": urlunsplit(urlsplit(url)._replace(path=f"/{name}")),
            "BENCH_OUT": str(tmp_path),
            "STUDY_SCALE": "2",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert study.returncode == 0, study.stdout[-3000:] + study.stderr[-3000:]
    (written,) = tmp_path.glob("partitioning-*.json")
    figures = json.loads(written.read_text())
    assert set(figures["scales"]) == {"1", "2"}
    for per in figures["scales"].values():
        for query in per.values():
            assert query["flat"]["execution_ms"] >= 0 and query["monthly"]["cost"] > 0
        # a month's report reads one partition; a look-up by number has to ask every one
        assert per["month_report"]["monthly"]["partitions_scanned"] == 1
        assert per["by_number"]["monthly"]["partitions_scanned"] == figures["partitions"] > 1


def test_profiling_is_off_unless_asked(client, db):
    # the opt-in middleware is not installed without BENCH_PROFILE, so it costs nothing
    assert "servicedesk.profiling.ProfileMiddleware" not in settings.MIDDLEWARE
    assert "Server-Timing" not in client.get("/healthz")
