"""The retention purge measured under the page probes (issue 25 §3, docs/operations/retention.md).

``manage.py retention_purge`` runs as the nightly beat task would, as a separate process with production
settings, over the bench's year of history: every closed incident's activity log and every settled
notification older than ``days``. While it runs, the page probes of ``make bench`` go round the pages and
their server p95 during the purge is held against the same SPEC §13 targets. The purge deletes, so a bench
database is purged once: the marker records it, and a later run says so (``--reload`` to measure again).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .client import Client, Sample

Request = tuple[str, str, Any]


def eligible(days: int) -> dict[str, int]:
    """What a purge at ``days`` would take (the bench process has Django set up)."""
    from datetime import timedelta

    from django.utils import timezone

    from incidents.models import IncidentEvent, Notification
    from incidents.records.models import Status

    cut = timezone.now() - timedelta(days=days)
    return {
        "closed_incident_events": IncidentEvent.objects.filter(
            incident__status=Status.CLOSED, incident__closed_at__lt=cut
        ).count(),
        "notifications": Notification.objects.filter(created_at__lt=cut).count(),
    }


def purge_under_load(
    env: dict[str, str],
    table: dict[str, tuple[str, Callable[[], Request]]],
    clients: dict[str, Client],
    *,
    days: int,
    archive_dir: Path,
    logdir: Path,
    summarise: Callable[[str, list[Sample]], dict[str, Any]],
    log: Callable[[str], None],
) -> dict[str, Any]:
    before = eligible(days)
    shutil.rmtree(archive_dir, ignore_errors=True)
    purge_env = {
        **env,
        "RETENTION_CLOSED_INCIDENT_EVENTS_DAYS": str(days),
        "RETENTION_NOTIFICATIONS_DAYS": str(days),
        "RETENTION_ARCHIVE_DIR": str(archive_dir),
        "RETENTION_MAX_BATCHES": "1000000",  # the whole history in one run: the worst night
    }
    log(
        f"retention purge: {before['closed_incident_events']:,} events of closed incidents and "
        f"{before['notifications']:,} notifications older than {days} days, under the page probes"
    )
    reads = {name: spec for name, spec in table.items() if name != "api_create"}
    samples: dict[str, list[Sample]] = {name: [] for name in reads}
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            for name, (who, make) in reads.items():
                if done.is_set():
                    break
                samples[name].append(clients[who].request(*make()))

    prober = threading.Thread(target=probe, daemon=True)
    with open(logdir / "purge.log", "wb") as out:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "retention_purge"],
            cwd=Path(__file__).resolve().parent.parent,
            env=purge_env,
            stdout=subprocess.PIPE,
            stderr=out,
        )
        prober.start()
        stdout, _ = proc.communicate()
        seconds = time.monotonic() - t0
        done.set()
        prober.join()
    if proc.returncode != 0:
        raise RuntimeError(f"the retention purge failed ({proc.returncode}); see {logdir / 'purge.log'}")
    purged = {}
    for line in stdout.decode().splitlines():
        kind, _, rest = line.partition(": ")
        purged[kind] = int(rest.split()[0])
    archives = list(archive_dir.rglob("*.jsonl.gz"))
    archive_bytes = sum(f.stat().st_size for f in archives)
    shutil.rmtree(archive_dir, ignore_errors=True)  # gigabytes at 1 M; the figures are what the bench keeps
    rows = purged.get("closed_incident_events", 0) + purged.get("notifications", 0)
    pages = {name: summarise(make()[1], samples[name]) for name, (_, make) in reads.items() if samples[name]}
    log(
        f"retention purge: {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s), "
        f"{len(archives):,} archive files ({archive_bytes / 1e6:,.1f} MB), "
        f"{sum(len(s) for s in samples.values()):,} page probes meanwhile"
    )
    return {
        "days": days,
        "eligible": before,
        "purged": purged,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds) if seconds else None,
        "archive_files": len(archives),
        "archive_mb": round(archive_bytes / 1e6, 1),
        "pages": pages,
    }
