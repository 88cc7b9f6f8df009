"""What monthly partitioning of the incident table would change, measured with the planner (issue 14).

    scripts/bench.sh --partitioning            after a bench run has loaded its database

In a schema of its own (``partition_study``) of the bench database this copies the columns the hot
queries touch of the incident table twice: ``flat``, as it is, with the indexes of ``Incident.Meta``;
and ``monthly``, partitioned by range of ``created_at``, one partition a month, the same indexes on
each. Each query is planned and run (``EXPLAIN ANALYZE``) on both, first at the bench's size, then
with ``STUDY_SCALE`` (default 10) times the rows: shifted copies of every incident in the same
months, as a desk ten times the size would log them.

PostgreSQL 15 plans with the real size of a table's files, so statistics cannot be scaled on paper:
sizes beyond the one built (100 M rows) are extrapolated in docs/operations/scaling.md from how each
plan's cost grew between the two built here. The schema is dropped at the end.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

SCHEMA = "partition_study"
SCALE = int(os.environ.get("STUDY_SCALE", "10"))

# (name, what it stands for, SQL with {t} for the table). Parameters are the bench's typical ones.
QUERIES: tuple[tuple[str, str, str], ...] = (
    (
        "queue_open",
        "queue page, all open, newest first",
        "SELECT id FROM {t} WHERE status IN ('new','assigned','in_progress','on_hold') "
        "ORDER BY created_at DESC, id DESC LIMIT 26",
    ),
    (
        "queue_groups",
        "queue page, my groups",
        "SELECT id FROM {t} WHERE assignment_group_id IN (1, 2) "
        "AND status IN ('new','assigned','in_progress','on_hold') ORDER BY created_at DESC, id DESC LIMIT 26",
    ),
    (
        "api_cursor",
        "API list, a page deep in the cursor",
        "SELECT id FROM {t} WHERE (created_at, id) < ({month_start}, 0) "
        "ORDER BY created_at DESC, id DESC LIMIT 51",
    ),
    (
        "by_number",
        "incident page / API detail: one incident by number",
        "SELECT id FROM {t} WHERE number = 'INC0500000'",
    ),
    (
        "by_id",
        "a foreign key followed to an incident (events, parent)",
        "SELECT number FROM {t} WHERE id = 500000",
    ),
    (
        "month_report",
        "monthly report: the incidents logged in one month",
        "SELECT count(*), avg(priority) FROM {t} "
        "WHERE created_at >= {month_start} AND created_at < {month_end}",
    ),
    (
        "resolved_in_month",
        "monthly report: resolved in the month, whenever logged",
        "SELECT count(*) FROM {t} WHERE resolved_at >= {month_start} AND resolved_at < {month_end}",
    ),
    (
        "sweep_due",
        "SLA sweep: what is due now",
        "SELECT id FROM {t} WHERE sla_next_check_at <= {month_end} ORDER BY sla_next_check_at LIMIT 100",
    ),
)

INDEXES = (
    "(assignment_group_id, status, created_at DESC)",
    "(assigned_to_id, status, created_at DESC)",
    "(status, created_at DESC)",
    "(created_at DESC, id DESC)",
    "(resolved_at)",
    "(caller_id, created_at DESC)",
    "(sla_next_check_at) WHERE sla_next_check_at IS NOT NULL",
)


def _connect() -> Any:
    import psycopg2

    url = os.environ["BENCH_DATABASE_URL"]
    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def log(message: str) -> None:
    print(f"[partitioning {time.strftime('%H:%M:%S')}] {message}", flush=True)


def build(cur: Any) -> list[str]:
    cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    cur.execute(f"CREATE SCHEMA {SCHEMA}")
    cols = (
        "id, number, status, priority, assignment_group_id, assigned_to_id, caller_id, created_at, "
        "resolved_at, sla_next_check_at"
    )
    log("copying the incident table as it is (flat)")
    cur.execute(f"CREATE TABLE {SCHEMA}.flat AS SELECT {cols} FROM incidents_incident")  # noqa: S608 - constants
    cur.execute(f"ALTER TABLE {SCHEMA}.flat ADD PRIMARY KEY (id)")
    cur.execute(f"CREATE UNIQUE INDEX ON {SCHEMA}.flat (number)")
    for n, index in enumerate(INDEXES):
        cur.execute(f"CREATE INDEX flat_{n} ON {SCHEMA}.flat {index}")
    log("copying it again, partitioned by month of created_at (monthly)")
    cur.execute(f"CREATE TABLE {SCHEMA}.monthly (LIKE {SCHEMA}.flat) PARTITION BY RANGE (created_at)")
    cur.execute(
        "SELECT date_trunc('month', min(created_at)), date_trunc('month', max(created_at)) "
        "FROM incidents_incident"
    )
    first, last = cur.fetchone()
    cur.execute("SELECT generate_series(%s::timestamptz, %s::timestamptz, interval '1 month')", [first, last])
    months = [row[0] for row in cur.fetchall()]
    partitions = []
    for month in months:
        name = f"monthly_{month:%Y%m}"
        cur.execute(
            f"CREATE TABLE {SCHEMA}.{name} PARTITION OF {SCHEMA}.monthly "
            "FOR VALUES FROM (%s) TO (%s::timestamptz + interval '1 month')",
            [month, month],
        )
        partitions.append(name)
    cur.execute(f"INSERT INTO {SCHEMA}.monthly SELECT * FROM {SCHEMA}.flat")  # noqa: S608 - constants
    # A unique key of a partitioned table must hold the partition key: neither the id nor the
    # number can be unique across partitions any more, only (id, created_at) and (number, created_at).
    cur.execute(f"ALTER TABLE {SCHEMA}.monthly ADD PRIMARY KEY (id, created_at)")
    cur.execute(f"CREATE UNIQUE INDEX ON {SCHEMA}.monthly (number, created_at)")
    for n, index in enumerate(INDEXES):
        cur.execute(f"CREATE INDEX monthly_{n} ON {SCHEMA}.monthly {index}")
    cur.execute(f"ANALYZE {SCHEMA}.flat")
    cur.execute(f"ANALYZE {SCHEMA}.monthly")
    return partitions


def grow(cur: Any, factor: int) -> None:
    """Add ``factor - 1`` shifted copies of every incident to both tables (new ids and numbers,
    the same times), without their indexes, which are rebuilt after."""
    cur.execute(f"SELECT max(id) FROM {SCHEMA}.flat")  # noqa: S608 - a constant
    span = cur.fetchone()[0] + 1
    for layout in ("flat", "monthly"):
        cur.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass AND NOT indisprimary AND NOT indisunique",
            [f"{SCHEMA}.{layout}"],
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f"DROP INDEX {name}")
        for k in range(1, factor):
            cur.execute(
                f"INSERT INTO {SCHEMA}.{layout} SELECT id + %s, chr(96 + %s) || substr(number, 2), "  # noqa: S608
                "status, priority, assignment_group_id, assigned_to_id, caller_id, created_at, resolved_at, "
                "sla_next_check_at "
                f"FROM {SCHEMA}.{layout} WHERE id < %s",
                [k * span, k, span],
            )
        for _, definition in indexes:
            # a partitioned table's own definition says ON ONLY: rebuilt that way, it would index no partition
            cur.execute(definition.replace(" ON ONLY ", " ON "))
        cur.execute(f"ANALYZE {SCHEMA}.{layout}")


def plan(cur: Any, sql: str) -> dict[str, Any]:
    cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
    top = cur.fetchone()[0][0]
    root = top["Plan"]
    cur.execute("EXPLAIN " + sql)
    text_rows = [r[0] for r in cur.fetchall()]
    scan = re.compile(r"Scan\b.*\bon (monthly_\d{6})")
    scanned = len({m.group(1) for line in text_rows if (m := scan.search(line))})
    return {
        "cost": round(root["Total Cost"], 1),
        "planning_ms": round(top["Planning Time"], 2),
        "execution_ms": round(top["Execution Time"], 2),
        "top": root["Node Type"],
        "partitions_scanned": scanned,
        "plan": text_rows,
    }


def study() -> dict[str, Any]:
    conn = _connect()
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM incidents_incident")
    rows = cur.fetchone()[0]
    log(f"{rows:,} incidents in the bench database")
    partitions = build(cur)
    cur.execute(
        "SELECT date_trunc('month', max(created_at)) - interval '1 month', "  # noqa: S608 - a constant
        f"date_trunc('month', max(created_at)) FROM {SCHEMA}.flat"
    )
    start, end = cur.fetchone()
    month = {
        "month_start": f"'{start.isoformat()}'::timestamptz",
        "month_end": f"'{end.isoformat()}'::timestamptz",
    }
    result: dict[str, Any] = {"rows": rows, "partitions": len(partitions), "scales": {}}
    for factor in (1, SCALE):
        if factor > 1:
            log(f"growing both tables to {rows * factor:,} rows")
            grow(cur, factor)
        per: dict[str, Any] = {}
        for name, _what, sql in QUERIES:
            per[name] = {
                layout: plan(cur, sql.format(t=f"{SCHEMA}.{layout}", **month))
                for layout in ("flat", "monthly")
            }
        result["scales"][str(factor)] = per
        log(f"planned and run at {rows * factor:,} rows")
    cur.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    conn.close()
    return result


def table(result: dict[str, Any]) -> str:
    lines = [
        f"The incident table flat, and in {result['partitions']} monthly partitions: planner's cost, "
        "and execution ms (planning ms)",
        "",
        f"{'query':<18} {'rows':>11} {'flat cost':>10} {'monthly cost':>12} {'flat ms':>14} "
        f"{'monthly ms':>14} {'partitions':>10}",
    ]
    for factor, per in result["scales"].items():
        for name, _what, _sql in QUERIES:
            flat, monthly = per[name]["flat"], per[name]["monthly"]
            lines.append(
                f"{name:<18} {result['rows'] * int(factor):>11,} {flat['cost']:>10} {monthly['cost']:>12} "
                f"{flat['execution_ms']:>6} ({flat['planning_ms']:>4}) {monthly['execution_ms']:>6} "
                f"({monthly['planning_ms']:>4}) {monthly['partitions_scanned']:>4} / {result['partitions']}"
            )
        lines.append("")
    lines.append("Queries:")
    lines.extend(f"  {name:<18} {what}" for name, what, _ in QUERIES)
    return "\n".join(lines)


def main() -> int:
    result = study()
    out = Path(os.environ.get("BENCH_OUT", "var/bench"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"partitioning-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(table(result))
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
