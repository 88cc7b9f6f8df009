"""The history import measured (issue 24 §4, docs/admin/import.md): ``rows`` generated CSV rows brought in
through the import's own service (``manage.py import_history``, as an operator runs it), then the same file
again (every row found, nothing written). Rows per second of each, and the process's peak memory.

The rows are a fresh source each run (``bench-<time>``), so every run creates them all; they stay in the
bench database as imported history (read-only, no SLA clock, nothing for the sweep or the pages' queues).
"""

from __future__ import annotations

import csv
import json
import random
import resource
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

HEADER = [
    "Ticket",
    "Summary",
    "Details",
    "Opened",
    "Resolved",
    "Closed",
    "State",
    "Prio",
    "Category",
    "Sub",
    "Service",
    "Team",
    "Requester",
    "Solution",
]
MAPPING = {
    "columns": {
        "external_id": "Ticket",
        "title": "Summary",
        "description": "Details",
        "opened_at": "Opened",
        "resolved_at": "Resolved",
        "closed_at": "Closed",
        "status": "State",
        "priority": "Prio",
        "category": "Category",
        "subcategory": "Sub",
        "service": "Service",
        "group": "Team",
        "caller": "Requester",
        "resolution_notes": "Solution",
    }
}
KINDS = (
    ("Network", "VPN", "Remote access", "Network", "VPN drops every few minutes"),
    ("Hardware", "Printer", "Printing", "Service Desk", "Printer jams on the second floor"),
    ("Software", "Email", "Email", "Applications", "Outlook cannot send mail"),
    ("Access", "Password", "Directory", "Service Desk", "Password expired, cannot log in"),
    ("Hardware", "Laptop", "Workplace", "Field Services", "Laptop does not boot"),
)


def write_csv(path: Path, rows: int, *, seed: int = 24) -> None:
    """``rows`` finished tickets over the last three years, 14 columns, as another tool exports them."""
    pick = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=3 * 365)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(1, rows + 1):
            category, sub, service, team, title = KINDS[n % len(KINDS)]
            opened = start + timedelta(minutes=pick.randrange(3 * 365 * 24 * 60))
            resolved = opened + timedelta(minutes=pick.randrange(10, 5 * 24 * 60))
            state = pick.choice(("Closed", "Closed", "Closed", "Resolved", "Cancelled"))
            writer.writerow(
                [
                    f"T-{n}",
                    f"{title} ({n})",
                    f"Reported by phone. Ticket {n} of the old tool.",
                    opened.strftime("%Y-%m-%d %H:%M"),
                    resolved.strftime("%Y-%m-%d %H:%M"),
                    (resolved + timedelta(days=3)).strftime("%Y-%m-%d %H:%M") if state == "Closed" else "",
                    state,
                    str(pick.randint(1, 5)),
                    category,
                    sub,
                    service,
                    team,
                    f"caller{n % 500}@bench.example",
                    "Fixed and confirmed with the caller.",
                ]
            )


def import_and_measure(rows: int, workdir: Path) -> dict[str, Any]:
    """Generate, import, import again; the figures of each (the bench process has Django set up)."""
    from django.core.management import call_command

    from history.models import ImportRun

    workdir.mkdir(parents=True, exist_ok=True)
    path, mapping = workdir / f"import-{rows}.csv", workdir / "import-mapping.json"
    t = time.monotonic()
    write_csv(path, rows)
    mapping.write_text(json.dumps(MAPPING))
    generate_s = time.monotonic() - t
    source = f"bench-{datetime.now(UTC):%Y%m%d%H%M%S}"
    figures: dict[str, Any] = {"rows": rows, "generate_s": round(generate_s, 2), "source": source}
    for phase in ("import", "again"):
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.monotonic()
        call_command(
            "import_history", str(path), "--mapping", str(mapping), "--source", source, stdout=StringIO()
        )
        seconds = time.monotonic() - t
        run = ImportRun.objects.filter(source=source).order_by("-pk").first()
        if run is None or run.state != ImportRun.State.DONE:
            raise RuntimeError(f"the history import failed: {run.error if run else 'no run recorded'}")
        figures[phase] = {
            "seconds": round(seconds, 2),
            "rows_per_s": round(rows / seconds) if seconds else None,
            "created": run.created,
            "unchanged": run.unchanged,
            "refused": run.refused,
            "peak_rss_mb": round(
                max(rss_before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024, 1
            ),
        }
    path.unlink(missing_ok=True)  # the run keeps its own copy (MEDIA_ROOT/imports/), as in production
    return figures


def summary(figures: dict[str, Any]) -> str:
    first, again = figures["import"], figures["again"]
    return (
        f"history import: {figures['rows']:,} CSV rows in {first['seconds']:.1f} s "
        f"({first['rows_per_s'] or 0:,} rows/s, {first['created']:,} created, {first['refused']:,} refused); "
        f"the same file again in {again['seconds']:.1f} s ({again['rows_per_s'] or 0:,} rows/s, "
        f"{again['unchanged']:,} already imported); peak memory {again['peak_rss_mb']:,.0f} MB"
    )
