"""The live workspace under load (SPEC §15, issue 22): open live pages on the production layout.

``make bench`` starts gunicorn with ``gthread`` workers (as docker-compose.yml does), opens ``pages`` live
pages (queue pages and incident pages, each a thread of this process holding the page's feed request as the
page's script does), then measures

- the idle cost: the CPU time of the web processes, as a share of one core, while the pages wait and
  nothing changes, over one full ``LIVE_WAIT_SECONDS`` cycle by default (every page asks again once in it:
  a window shorter than the cycle would miss the re-asks, a longer one that is not a whole number of
  cycles would count some pages twice);
- the change-to-page latency: changes are made through the services (as a worker would), and the time from
  each one's commit to its arrival in every page that shows it (every queue page; the incident pages of its
  incident) gives p50/p95/p99. A page that shows the change then fetches itself again: one page load more,
  measured by the page timings of ``make bench``;
- the pages of SPEC §13 while the live pages stay open: ``probe`` (``make bench`` passes its sequential page
  timings, reads only) goes round the working pages on the same gthread server, whose threads the open
  pages' feed requests hold, and each page's server p95 is held against its target (bench/targets.py).

The load generator shares the machine with the server: its threads' CPU is not counted in the idle cost,
but it competes for the cores.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .client import Identity

FEED = "/live/feed/"
# The web service's pool per process in docker-compose.yml, which the live scenario's server runs with.
POOL_SIZE = 16


def _group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of every live process in a process group (gunicorn's master and workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


class Page(threading.Thread):
    """One open live page: holds its feed request, notes when each event first arrives."""

    def __init__(self, port: int, identity: Identity, params: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.port, self.identity, self.params = port, identity, params
        self.arrivals: dict[int, float] = {}
        self.answered = threading.Event()
        self.stopping = False
        self.errors = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        cursor: int | None = None
        notified: int | None = None
        headers = {"Host": "127.0.0.1", "Accept": "application/json", **self.identity.as_headers()}
        while not self.stopping:
            query = dict(self.params)
            if cursor is None:
                query["since"] = str(int(time.time()))
            else:
                query["after"] = str(cursor)
            if notified is not None:
                query["notified"] = str(notified)
            try:
                conn.request("GET", f"{FEED}?{urlencode(query)}", headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                if self.stopping:
                    return
                self.errors += 1
                conn.close()
                time.sleep(1)
                continue
            now = time.monotonic()
            if response.status != 200:
                self.errors += 1
                time.sleep(1)
                continue
            data = json.loads(body)
            for change in data["changes"]:
                self.arrivals.setdefault(change["id"], now)
            cursor, notified = data["cursor"], data["notified"]
            self.answered.set()


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)


def run(
    env: dict[str, str],
    logdir: Path,
    ids: dict[str, Any],
    numbers: list[str],
    *,
    pages: int = 200,
    changes: int | None = None,
    idle_s: float | None = None,
    workers: int = 3,
    interval_s: float = 0.5,
    probe: Callable[[int], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from escalation.access import access_for
    from incidents import services
    from incidents.models import OPEN_STATUSES
    from incidents.selectors import incident_get_for_user, incidents_visible_to

    from .run import _free_port, log, stop

    changes = changes if changes is not None else min(20, max(5, pages))
    if idle_s is None:  # one full cycle of the server's wait (the pages' re-asks are in step)
        idle_s = float(env.get("LIVE_WAIT_SECONDS") or settings.LIVE_WAIT_SECONDS)
    agent = get_user_model().objects.get(username="agent")
    access = access_for(agent)
    # Open incidents the agent may see (a closed one takes no comment), from the bench's recent ones.
    wanted = max(1, min(20, pages // 10))
    watched = list(
        incidents_visible_to(access)
        .filter(number__in=numbers, status__in=OPEN_STATUSES)
        .values_list("number", flat=True)[:wanted]
    )
    # Threads for every open page in each worker, and 20 to spare: the kernel spreads the pages' connections
    # unevenly (0, 85 and 86 of 200 seen at 1 M), and a gthread worker whose threads all hold a feed queues
    # any other request behind them, for up to LIVE_WAIT_SECONDS (docs/architecture/live.md, Limits).
    threads = pages + 20
    port = _free_port()
    cmd = [
        str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "gunicorn"),
        "servicedesk.wsgi:application",
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *("--worker-class", "gthread", "--threads", str(threads), "--log-level", "warning"),
    ]
    out = open(logdir / "gunicorn-live.log", "ab")  # noqa: SIM115 - closed with the process
    server = subprocess.Popen(
        cmd,
        cwd=Path(__file__).resolve().parent.parent,
        # The web service's pool in docker-compose.yml, unless the run sets its own; and a cap of waiting
        # feeds that every page fits under, as the threads above (past the cap a page would ask again
        # only after LIVE_BUSY_AGAIN_SECONDS, which is what the cap is for, not what is measured here).
        env={"DB_POOL_MAX_SIZE": str(POOL_SIZE), "LIVE_MAX_WAITING": str(pages), **env},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    opened: list[Page] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn (gthread) did not listen within 60 s") from None
                time.sleep(0.2)
        # Half queue pages (their rows: the watched incidents), half incident pages spread over the watched.
        for i in range(pages):
            if i % 2 == 0:
                params = {"scope": "queue", "shown": ",".join(watched)}
            else:
                params = {"incident": watched[(i // 2) % len(watched)]}
            opened.append(Page(port, ids["agent"], params))
        for page in opened:
            page.start()
        for page in opened:
            page.answered.wait(60)
        time.sleep(1.0)  # every page is now waiting on its second request
        log(
            f"live: {pages} pages open on gunicorn gthread ({workers} x {threads} threads); "
            f"idle {idle_s:.0f} s"
        )
        cpu0, t0 = _group_cpu_s(server.pid), time.monotonic()
        time.sleep(idle_s)
        idle_cpu = (_group_cpu_s(server.pid) - cpu0) / (time.monotonic() - t0)

        made: list[tuple[int, str, float]] = []
        for k in range(changes):
            number = watched[k % len(watched)]
            incident = incident_get_for_user(access=access, number=number)
            event = services.incident_comment(
                actor=agent, incident=incident, body=f"bench live change {k}", public=False
            )
            made.append((event.pk, number, time.monotonic()))  # committed: the service's transaction is over
            time.sleep(interval_s)
        connection.close()
        time.sleep(3.0)

        latencies: list[float] = []
        missed = 0
        for event_id, number, committed in made:
            for page in opened:
                if page.params.get("incident") not in (None, number):
                    continue
                arrived = page.arrivals.get(event_id)
                if arrived is None:
                    missed += 1
                else:
                    latencies.append(max(0.0, arrived - committed))
        result = {
            "pages": pages,
            "gunicorn": f"{workers} gthread workers x {threads} threads",
            "changes": changes,
            "deliveries": len(latencies),
            "missed": missed,
            "latency_p50_ms": _pct(latencies, 0.50),
            "latency_p95_ms": _pct(latencies, 0.95),
            "latency_p99_ms": _pct(latencies, 0.99),
            "idle_cpu_share_of_one_core": round(idle_cpu, 3),
            "idle_seconds": idle_s,
            "page_errors": sum(p.errors for p in opened),
        }
        log(
            f"live: p95 {result['latency_p95_ms']} ms, p99 {result['latency_p99_ms']} ms over "
            f"{len(latencies)} deliveries ({missed} missed); idle CPU {idle_cpu:.1%} of one core"
        )
        if probe is not None:
            still_open = sum(1 for page in opened if page.is_alive())
            log(f"live: the page probes, {still_open} live pages open")
            result["pages_meanwhile"] = probe(port)
            result["open_during_probes"] = still_open
            result["page_errors"] = sum(p.errors for p in opened)
        return result
    finally:
        for page in opened:
            page.stopping = True
        stop(server)
