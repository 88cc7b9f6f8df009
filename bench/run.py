"""``make bench`` (SPEC §13): load a bench database, serve it with gunicorn, measure from outside.

This process is the load generator. It prepares the database in-process (Django, production
settings, the bench database), then starts gunicorn (production settings, ``BENCH_PROFILE=1``) and
a Celery worker as separate processes, and measures them over loopback. See docs/operations/scaling.md,
"The benchmark".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from . import imports as import_bench
from . import learning as learning_bench
from .client import Client, Identity, Sample
from .live import POOL_SIZE as LIVE_POOL_SIZE
from .live import run as live_pages  # SPEC §15: open live pages (issue 22)
from .purge import purge_under_load  # issue 25 §3: the retention purge under the page probes

REPO = Path(__file__).resolve().parent.parent
MARKER_PREFIX = "servicedesk-bench "
# Bump when the loader changes what it writes: a database loaded by an older loader is reloaded.
LOADER_VERSION = 1
# gthread workers of the live scenario's server (bench/live.py), as the web service of docker-compose.yml.
LIVE_WORKERS = 3


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the database ----------------------------------------------------------------------------


def _db_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + quote(name)))


@contextmanager
def _admin(base: str) -> Iterator[Any]:
    """A cursor on the server's maintenance database, outside any transaction."""
    import psycopg2

    conn = psycopg2.connect(_db_url(base, "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def database_prepare(base: str, name: str, *, force: bool) -> dict[str, Any] | None:
    """Create the bench database when missing; return its marker (what was loaded) or None."""
    with _admin(base) as cur:
        cur.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        )
        row = cur.fetchone()
        if row is not None and force:
            log(f"dropping {name} (--reload)")
            cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            row = None
        if row is None:
            cur.execute(f'CREATE DATABASE "{name}"')
            return None
        comment = row[0] or ""
        if comment.startswith(MARKER_PREFIX):
            return json.loads(comment[len(MARKER_PREFIX) :])
        return None


def database_mark(base: str, name: str, marker: dict[str, Any]) -> None:
    with _admin(base) as cur:
        text = MARKER_PREFIX + json.dumps(marker)
        cur.execute(f'COMMENT ON DATABASE "{name}" IS %s', [text])


def database_reset(base: str, name: str) -> None:
    with _admin(base) as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def migrate_if_needed() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        log(f"migrating ({len(plan)} migrations)")
        call_command("migrate", verbosity=0)


def load_everything(args: argparse.Namespace) -> dict[str, Any]:
    from demo.knowledge import bench_articles
    from demo.seed import demo_is_loaded, load_demo
    from knowledge.models import Article

    from .load import load_incidents

    if not demo_is_loaded():
        start = time.monotonic()
        if args.demo_incidents:
            load_demo(incidents=args.demo_incidents, days=args.demo_days)
        else:  # the reference rows only (the tiny bench of the test suite): people, catalogue, register
            from django.db import transaction

            from demo.seed import load_catalogue, load_people, load_register

            with transaction.atomic():
                cast = load_people()
                load_catalogue()
                load_register(cast)
        log(f"demo loaded in {time.monotonic() - start:.0f} s")
    missing = args.articles - Article.objects.count()
    if missing > 0:
        bench_articles(missing)
        log(f"{missing:,} knowledge articles added")
    start = time.monotonic()
    stats = load_incidents(args.incidents, log=log)
    stats["load_s"] = round(time.monotonic() - start, 1)
    log(f"{args.incidents:,} incidents loaded in {stats['load_s']:.0f} s")
    return stats


# --- identities --------------------------------------------------------------------------------


def _session_cookie(user: Any) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The local-password backend (identity.backends): a session names a backend the settings list.
    store[BACKEND_SESSION_KEY] = "identity.backends.LocalPasswordBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def identities() -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from knox.models import AuthToken

    from incidents.models import Incident

    User = get_user_model()
    agent = User.objects.get(username="agent")
    manager = User.objects.get(username="manager")
    caller_id = (
        Incident.objects.filter(caller__username__startswith="bench-caller-", created_at__gte=_recent())
        .values("caller_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("caller_id", flat=True)
        .first()
    )
    caller = User.objects.get(pk=caller_id) if caller_id else User.objects.get(username="alice")
    _, token = AuthToken.objects.create(user=agent)
    return {
        "agent": Identity("agent", cookie=_session_cookie(agent)),
        "manager": Identity("manager", cookie=_session_cookie(manager)),
        "caller": Identity("caller", cookie=_session_cookie(caller)),
        "api": Identity("api", token=token, headers={"Accept": "application/json"}),
        "caller_username": caller.username,
    }


def _recent() -> datetime:
    from django.utils import timezone

    return timezone.now() - timedelta(days=30)


# --- processes ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_start(env: dict[str, str], port: int, workers: int, logdir: Path) -> subprocess.Popen[bytes]:
    cmd = [
        str(REPO / ".venv" / "bin" / "gunicorn"),
        "servicedesk.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "300",
        "--log-level",
        "warning",
    ]
    out = open(logdir / "gunicorn.log", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({proc.returncode}); see {logdir / 'gunicorn.log'}")
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return proc
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not listen within 60 s")


def worker_start(
    env: dict[str, str], concurrency: int, logdir: Path, queues: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    from django.conf import settings

    cmd = [
        str(REPO / ".venv" / "bin" / "celery"),
        "-A",
        "servicedesk",
        "worker",
        "--concurrency",
        str(concurrency),
        "--pool",
        "prefork",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        f"{'-'.join(queues) or 'all'}@%h",
        # the named queues, or every queue of CELERY_TASK_ROUTES as `make run`'s worker (a worker on the
        # default queue alone would leave the sweep waiting forever: it runs on `sweep`)
        "--queues",
        ",".join(queues or settings.TASK_QUEUES),
    ]
    out = open(logdir / "worker.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# --- measurement -------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[k], 2)


def summarise(path: str, samples: list[Sample]) -> dict[str, Any]:
    ok = [s for s in samples if 200 <= s.status < 300]
    bad = [s for s in samples if not 200 <= s.status < 300]
    client = [s.client_ms for s in ok]
    server = [s.server_ms for s in ok if s.server_ms is not None]
    sql_ms = [s.sql_ms for s in ok if s.sql_ms is not None]
    cpu = [s.cpu_ms for s in ok if s.cpu_ms is not None]
    queries = [s.sql_queries for s in ok if s.sql_queries is not None]
    total_s = sum(client) / 1000
    return {
        "path": path,
        "n": len(samples),
        "errors": len(bad),
        "error_status": bad[0].status if bad else None,
        "p50_ms": _pct(client, 50),
        "p95_ms": _pct(client, 95),
        "p99_ms": _pct(client, 99),
        "server_p50_ms": _pct(server, 50),
        "server_p95_ms": _pct(server, 95),
        "server_p99_ms": _pct(server, 99),
        # the request thread's own CPU: server time beyond it and the SQL is waiting (GIL, pool, cores)
        "server_cpu_p50_ms": _pct(cpu, 50),
        "server_cpu_p95_ms": _pct(cpu, 95),
        "throughput_rps": round(len(client) / total_s, 1) if total_s else None,
        "sql_queries": round(statistics.median(queries), 1) if queries else None,
        "sql_queries_max": max(queries) if queries else None,
        "sql_ms": round(statistics.median(sql_ms), 2) if sql_ms else None,
        "sql_ms_p95": _pct(sql_ms, 95),
    }


Request = tuple[str, str, Any]  # method, path, body


class Pages:
    """Every measured page: who asks, and a function giving the next request (some vary per call)."""

    def __init__(
        self, ids: dict[str, Any], numbers: list[str], caller_username: str, month: str, seed: int = 1
    ):
        self.ids = ids
        self.numbers = numbers
        self.rng = random.Random(seed)
        self.cursor21 = "/api/v1/incidents/"
        self.caller_username = caller_username
        self.month = month
        self.created = 0

    def _number(self) -> str:
        return self.rng.choice(self.numbers)

    def _create(self) -> Request:
        self.created += 1
        body = {
            "title": f"Bench: printer does not print ({self.created})",
            "description": "Logged by make bench.",
            "caller": self.caller_username,
            "impact": 3,
            "urgency": 2,
        }
        return ("POST", "/api/v1/incidents/", body)

    def table(self) -> dict[str, tuple[str, Callable[[], Request]]]:
        return {
            "queue_my_groups": ("agent", lambda: ("GET", "/incidents/?queue=groups", None)),
            "queue_all_open": ("agent", lambda: ("GET", "/incidents/?queue=open", None)),
            "queue_search": ("agent", lambda: ("GET", "/incidents/?queue=all&q=printer", None)),
            # two words over all incidents, as measured from outside (issue 25 §6), and the API's search
            "queue_search_two_words": (
                "agent",
                lambda: ("GET", "/incidents/?queue=all&q=vpn+disconnects", None),
            ),
            "api_search": ("api", lambda: ("GET", "/api/v1/incidents/?q=vpn+disconnects", None)),
            "incident_page": ("agent", lambda: ("GET", f"/incidents/{self._number()}/", None)),
            "api_list_page_1": ("api", lambda: ("GET", "/api/v1/incidents/", None)),
            "api_list_cursor_page_21": ("api", lambda: ("GET", self.cursor21, None)),
            "api_detail": ("api", lambda: ("GET", f"/api/v1/incidents/{self._number()}/", None)),
            "api_create": ("api", self._create),
            "dashboard": ("manager", lambda: ("GET", "/reporting/", None)),
            "monthly_report_page": ("manager", lambda: ("GET", f"/reporting/months/{self.month}/", None)),
            "knowledge_suggestions": (
                "agent",
                lambda: (
                    "GET",
                    "/knowledge/suggest/?title=Printer+does+not+print&description=paper+jam",
                    None,
                ),
            ),
            "portal_my_incidents": ("caller", lambda: ("GET", "/portal/", None)),
            "learning_suggestions": (
                "agent",
                lambda: ("GET", "/learning/suggest/?title=VPN+disconnects+every+few+minutes", None),
            ),
        }


def find_cursor_21(client: Client) -> str:
    path = "/api/v1/incidents/"
    for _ in range(20):
        sample = client.request("GET", path)
        if sample.status != 200:
            raise RuntimeError(f"API list answered {sample.status} while walking to page 21")
        nxt = json.loads(sample.body).get("next")
        if not nxt:
            break
        parts = urlsplit(nxt)
        path = parts.path + ("?" + parts.query if parts.query else "")
    return path


def sequential(
    pages: Pages,
    clients: dict[str, Client],
    *,
    warmup: int,
    requests: int,
    workers: int = 1,
    reads_only: bool = False,
) -> dict[str, Any]:
    """Each page: warm-up requests until every gunicorn worker has served ``warmup`` of them (a worker
    that served none would measure its first request, with its per-process caches still empty),
    then ``requests`` measured ones."""
    out = {}
    for name, (who, make) in pages.table().items():
        if reads_only and make()[0] != "GET":
            continue
        client = clients[who]
        served: dict[str, int] = {}
        for _ in range(warmup * workers * 20):
            sample = client.request(*make())
            served[sample.worker] = served.get(sample.worker, 0) + 1
            if len(served) >= workers and min(served.values()) >= warmup:
                break
        samples = [client.request(*make()) for _ in range(requests)]
        out[name] = summarise(make()[1], samples)
        p = out[name]
        log(
            f"{name:<26} p50 {p['p50_ms']} p95 {p['p95_ms']} ms, server p95 {p['server_p95_ms']} ms "
            f"(CPU p50 {p['server_cpu_p50_ms']} p95 {p['server_cpu_p95_ms']}), {p['sql_queries_max']} queries"
            + (f", {p['errors']} ERRORS ({p['error_status']})" if p["errors"] else "")
        )
    return out


# Mixed load: reads of the working pages, one write in five.
MIX = {
    "queue_my_groups": 3,
    "queue_all_open": 2,
    "queue_search": 1,
    "incident_page": 4,
    "api_list_page_1": 2,
    "api_detail": 3,
    "api_create": 3,
    "portal_my_incidents": 1,
    "knowledge_suggestions": 1,
}


def throughput(
    pages: Pages, ids: dict[str, Identity], port: int, *, clients: int, seconds: float
) -> dict[str, Any]:
    table = pages.table()
    names, weights = list(MIX), list(MIX.values())
    results: dict[str, list[Sample]] = {n: [] for n in names}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def run(seed: int) -> None:
        rng = random.Random(seed)
        own = {who: Client("127.0.0.1", port, ids[who]) for who in ("agent", "api", "caller")}
        while time.monotonic() < stop_at:
            name = rng.choices(names, weights)[0]
            who, make = table[name]
            with lock:
                req = make()
            sample = own[who].request(*req)
            sample.body = b""
            with lock:
                results[name].append(sample)
        for c in own.values():
            c.close()

    start = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    every = [s for samples in results.values() for s in samples]
    per_page = {}
    for name, samples in results.items():
        summary = summarise(table[name][1]()[1] if name != "api_create" else "/api/v1/incidents/", samples)
        summary["rps"] = round(len(samples) / elapsed, 1)
        per_page[name] = summary
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(every),
        "writes": len(results["api_create"]),
        "rps": round(len(every) / elapsed, 1),
        "p95_ms": _pct([s.client_ms for s in every], 95) or 0.0,
        "errors": sum(1 for s in every if not 200 <= s.status < 300),
        "per_page": per_page,
    }


def report_generate(month: str) -> dict[str, Any]:
    from django.core.management import call_command

    from incidents.models import Incident
    from reporting.periods import Month

    m = Month.parse(month)
    count = Incident.objects.filter(created_at__gte=m.start, created_at__lt=m.end).count()
    start = time.perf_counter()
    call_command("report_monthly", month, stdout=open(os.devnull, "w"))  # noqa: SIM115
    elapsed = time.perf_counter() - start
    log(f"report_monthly {month}: {count:,} incidents in {elapsed:.2f} s")
    return {"month": month, "month_incidents": count, "generate_s": round(elapsed, 3)}


def sweep_idle(runs: int) -> dict[str, Any]:
    """DB time of a sweep with nothing due (after one sweep that catches up whatever is due now)."""
    from django.db import connection
    from django.utils import timezone

    from incidents.sla.sweep import sla_sweep

    now = timezone.now()
    caught = sla_sweep(now=now, max_batches=100_000)
    log(f"sweep before measuring: {caught.incidents} incidents were due")
    db_ms, queries = [], []
    for _ in range(runs):
        from servicedesk.profiling import QueryTimer

        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            result = sla_sweep(now=now)
        db_ms.append(timer.seconds * 1000)
        queries.append(timer.count)
        assert result.incidents == 0, "something fell due while measuring the idle sweep"
    return {
        "nothing_due_runs": runs,
        "nothing_due_db_ms_p50": _pct(db_ms, 50),
        "nothing_due_db_ms_p95": _pct(db_ms, 95),
        "nothing_due_queries": max(queries),
    }


def _start_for_fraction(cal: Any, now: datetime, seconds: float) -> datetime:
    """A start such that ``seconds`` of business time lie between it and ``now`` (bisection)."""
    from escalation import business_time as bt

    lo, hi = timedelta(0), timedelta(days=1)
    while bt.between(cal, now - hi, now) < seconds:
        hi *= 2
    for _ in range(40):
        mid = (lo + hi) / 2
        if bt.between(cal, now - mid, now) < seconds:
            lo = mid
        else:
            hi = mid
    return now - hi


def sla_catch_up(
    want: int, worker_env: dict[str, str], concurrency: int, logdir: Path, timeout: float
) -> dict[str, Any]:
    """Make ``want`` open incidents have exactly one threshold due (75 % of resolution), then time real
    workers running the sweep until every one of them is processed."""
    from django.db import connection
    from django.utils import timezone

    from escalation import business_time as bt
    from escalation.policies import batch_cache, targets_for
    from incidents.models import Incident, SlaThresholdFire
    from incidents.sla.clocks import percents
    from incidents.sla.sweep import sla_sweep
    from incidents.sla.tasks import sla_sweep_task
    from servicedesk.celery import app

    # What fell due while the database sat between runs is swept first, untimed: the workers are to
    # time the catch-up of the chosen thresholds alone. (The messages of its events are dropped with
    # the broker's below; the drain counts what was recorded from ``now`` on.)
    earlier = sla_sweep(max_batches=None)
    if earlier.incidents:
        log(f"SLA catch-up: {earlier.incidents:,} incidents due before the run swept first, untimed")
    now = timezone.now()
    pcts = percents()
    first = pcts[0]
    target_fraction = (first + (pcts[1] if len(pcts) > 1 else 100)) / 200  # between the first two
    candidates = (
        Incident.objects.filter(
            status__in=["assigned", "in_progress"],
            responded_at__isnull=False,
            on_hold_since__isnull=True,
            reopen_count=0,
        )
        .order_by("-created_at")
        .values_list("pk", "priority")[:want]
    )
    chosen = list(candidates)
    # The same incidents serve every run: what an earlier run fired of their cycle is forgotten (the
    # events it wrote stay), so that their first threshold falls due again.
    SlaThresholdFire.objects.filter(incident_id__in=[pk for pk, _ in chosen]).delete()
    cache = batch_cache()
    by_priority: dict[int, list[int]] = {}
    for pk, priority in chosen:
        by_priority.setdefault(priority, []).append(pk)
    with connection.cursor() as cur:
        for priority, pks in by_priority.items():
            t = targets_for(priority=priority, cache=cache)
            start = _start_for_fraction(t.calendar, now, t.resolution_minutes * 60 * target_fraction)
            resolution_due = bt.add(t.calendar, start, t.resolution_minutes * 60)
            response_due = bt.add(t.calendar, start, t.response_minutes * 60)
            cur.execute(
                "UPDATE incidents_incident SET sla_started_at = %s, sla_policy_id = %s, "
                "sla_policy_slug = %s, "
                "response_due_at = %s, resolution_due_at = %s, responded_at = %s, sla_state = 'on_track', "
                "sla_paused_seconds = 0, sla_next_check_at = %s WHERE id = ANY(%s)",
                [
                    start,
                    t.policy_id,
                    t.policy_slug,
                    response_due,
                    resolution_due,
                    start,
                    now - timedelta(seconds=1),
                    pks,
                ],
            )
    ids = [pk for pk, _ in chosen]
    log(f"SLA catch-up: {len(ids):,} open incidents with one threshold due")
    # The bench's broker database holds only the bench's messages: what an interrupted run left, and
    # the notifications of the sweep before measuring (thresholds that fell due while the database
    # sat between runs). Dropped, so that the workers time the catch-up alone; their events stay in
    # the outbox, for beat's flush.
    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    # each priority of a queue is a list of its own (kombu: the name, then name\x06\x16N)
    lists = [f"{q}\x06\x16{n}" if n else q for q in (*settings.TASK_QUEUES, "celery") for n in (0, 3, 6, 9)]
    dropped = sum(broker.llen(q) for q in lists)
    broker.delete(*lists)
    if dropped:
        log(f"SLA catch-up: {dropped:,} queued messages of earlier work dropped from the bench's broker")
    # The compose layout: `worker-sweep` and `worker-notifications` run at once, each with `concurrency`
    # processes. The sweep is timed until nothing is due; the escalation drain from the first fire to
    # the last mail written (SPEC §13: 20,000 escalations in the contacts' mailboxes within 2 minutes).
    mail_dir = logdir.parent / "state" / "mail"
    shutil.rmtree(mail_dir, ignore_errors=True)
    mail_dir.mkdir(parents=True)
    mail_env = {**worker_env, "EMAIL_URL": "filemail://", "EMAIL_FILE_PATH": str(mail_dir)}
    worker = worker_start(mail_env, concurrency, logdir, queues=("sweep",))
    notifier = worker_start(mail_env, concurrency, logdir, queues=("notifications",))
    per_task = 100 * 50
    drain: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 120
        while len(app.control.ping(timeout=1.0) or []) < 2:
            if worker.poll() is not None or notifier.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the workers did not start; see {logdir / 'worker.log'}")
        t0 = time.monotonic()
        fires_before = SlaThresholdFire.objects.filter(fired_at__gte=now).count()
        sent = 0

        # Polled twice a second on the machine being measured: through the partial index of what is due,
        # never with the 20,000 chosen ids as literals (which cost the run a tenth of a core). What fell
        # due between runs was swept above; anything falling due meanwhile is swept with them.
        def due() -> int:
            return Incident.objects.filter(sla_next_check_at__lte=now).count()

        left = due()
        # As beat would, only faster: keep enough sweeps queued for what is due (they share the work
        # through SKIP LOCKED and stop when nothing is left).
        for _ in range(max(concurrency, -(-left // per_task))):
            sla_sweep_task.delay()
            sent += 1
        complete = False
        while time.monotonic() - t0 < timeout:
            time.sleep(0.5)
            left = due()
            if left == 0:
                complete = True
                break
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited ({worker.returncode}); see {logdir / 'worker.log'}")
            if sent < 1000 and time.monotonic() - t0 > 10 * sent / max(concurrency, 1):
                sla_sweep_task.delay()
                sent += 1
        seconds = time.monotonic() - t0
        fired = SlaThresholdFire.objects.filter(fired_at__gte=now).count() - fires_before
        fired_on_chosen = SlaThresholdFire.objects.filter(incident_id__in=ids, fired_at__gte=now).count()
        if complete:
            drain = escalation_drain(ids, since=now, t0=t0, timeout=timeout, mail_dir=mail_dir)
    finally:
        stop(worker)
        stop(notifier)
    notified_seconds = drain.get("seconds")
    published_in_limit = drain.get("events_published_within_120_s", 0)
    log(f"SLA catch-up: {'done' if complete else 'INCOMPLETE'} in {seconds:.1f} s, {fired_on_chosen:,} fired")
    log(
        f"SLA catch-up: its events published in {notified_seconds} s more"
        if notified_seconds is not None
        else f"SLA catch-up: {published_in_limit:,} of its events published within 120 s (a backlog remains)"
    )
    return {
        "incidents": len(ids),
        "thresholds_due": len(ids),
        "fired": fired_on_chosen,
        "fired_all": fired,
        "seconds": round(seconds, 2),
        "complete": complete,
        "worker_concurrency": concurrency,
        "sweep_tasks_sent": sent,
        "notifications_seconds": notified_seconds,
        "events_published_within_120_s": published_in_limit,
        "drain": drain,
    }


def escalation_drain(
    ids: list[int], *, since: datetime, t0: float, timeout: float, mail_dir: Path
) -> dict[str, Any]:
    """Wait (within ``timeout`` of ``t0``) until every SLA notification of the catch-up's incidents is
    emailed; the drain runs from the first fire to the last mail written (database clock)."""
    from django.db.models import Max, Min

    from incidents.models import IncidentEvent, Notification, SlaThresholdFire

    events = IncidentEvent.objects.filter(incident_id__in=ids, created_at__gte=since, kind__startswith="sla_")
    notes = Notification.objects.filter(event__in=events).exclude(email_to="")
    # Polled through the partial indexes of what is left to publish and to mail (nothing else writes
    # events in the bench's database); the figures below, with the chosen ids, are read once at the end.
    unpublished = IncidentEvent.objects.filter(notified_at__isnull=True, created_at__gte=since)
    unsent = Notification.objects.filter(emailed_at__isnull=True, created_at__gte=since).exclude(email_to="")
    complete = False
    while time.monotonic() - t0 < timeout:
        if not unpublished.exists() and not unsent.exists():
            complete = True
            break
        time.sleep(1.0)
    first_fire = SlaThresholdFire.objects.filter(incident_id__in=ids, fired_at__gte=since).aggregate(
        first=Min("fired_at")
    )["first"]
    figures = notes.aggregate(last=Max("emailed_at"))
    seconds = (
        round((figures["last"] - first_fire).total_seconds(), 2)
        if complete and first_fire and figures["last"]
        else None
    )
    limit = first_fire + timedelta(seconds=120) if first_fire else None
    # Django's file backend writes the messages of one connection to one file, each followed by a line
    # of 79 dashes (a task's digests share a connection)
    mails = sum(path.read_bytes().count(b"\n" + b"-" * 79 + b"\n") for path in mail_dir.iterdir())
    result = {
        "seconds": seconds,
        "complete": complete,
        "escalations": events.count(),
        "notifications": notes.count(),
        "notifications_emailed": notes.filter(emailed_at__isnull=False).count(),
        "emailed_within_120_s": notes.filter(emailed_at__lte=limit).count() if limit else 0,
        "mails_sent": mails,
        "events_published_within_120_s": events.filter(notified_at__lte=limit).count() if limit else 0,
    }
    log(
        f"escalation drain: {result['escalations']:,} escalations, {result['notifications']:,} notifications "
        f"in {mails:,} mails, first fire to last mail {seconds} s"
        + ("" if complete else f" (INCOMPLETE: {result['emailed_within_120_s']:,} emailed within 120 s)")
    )
    return result


# --- the run -----------------------------------------------------------------------------------


def machine_facts(workers: int) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
    return {
        "cpu_count": os.cpu_count(),
        "postgresql": version,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "gunicorn_workers": workers,
    }


def data_facts(stats: dict[str, Any] | None, marker: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    def count(table: str) -> int:
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
            return int(cur.fetchone()[0])

    from incidents.models import OPEN_STATUSES, Incident
    from knowledge.models import Article

    return {
        "incidents": count("incidents_incident"),
        "incidents_loaded": marker["incidents"],
        "events": count("incidents_incidentevent"),
        "open": Incident.objects.filter(status__in=OPEN_STATUSES).count(),
        "articles": Article.objects.count(),
        "callers": marker.get("callers"),
        "load_s": (stats or {}).get("load_s"),
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    env = os.environ
    p = argparse.ArgumentParser(prog="make bench", description=__doc__)
    p.add_argument("--incidents", type=int, default=int(env.get("BENCH_INCIDENTS", "1000000")))
    p.add_argument("--database", default=env.get("BENCH_DATABASE", "servicedesk_bench"))
    p.add_argument("--reload", action="store_true", help="drop and load the bench database again")
    p.add_argument("--compare", metavar="FILE", help="print the change against an earlier JSON result")
    p.add_argument("--against", metavar="FILE", help="with --compare: compare this JSON instead of running")
    p.add_argument("--requests", type=int, default=int(env.get("BENCH_REQUESTS", "100")), help="per page")
    p.add_argument("--warmup", type=int, default=10, help="requests per page before measuring")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=60.0, help="of the mixed throughput run")
    p.add_argument("--sla-due", type=int, default=20_000, help="thresholds due for the catch-up")
    p.add_argument("--sla-timeout", type=float, default=600.0)
    p.add_argument("--sweep-runs", type=int, default=20, help="idle sweeps measured")
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument(
        "--demo-incidents",
        type=int,
        default=1500,
        help="of the demo history loaded first; 0: its reference rows only",
    )
    p.add_argument("--demo-days", type=int, default=182)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn sync workers")
    p.add_argument("--celery-concurrency", type=int, default=os.cpu_count() or 2)
    p.add_argument("--out", default=str(REPO / "var" / "bench"))
    p.add_argument("--live-pages", type=int, default=200, help="open live pages (0: skip); bench/live.py")
    p.add_argument(
        "--live-idle",
        type=float,
        default=None,
        help="seconds the live pages idle, measured (default: one LIVE_WAIT_SECONDS cycle)",
    )
    p.add_argument(
        "--purge-days",
        type=int,
        default=int(env.get("BENCH_PURGE_DAYS", "30")),
        help="purge the history older than this under the page probes, once per loaded database (0: skip)",
    )
    p.add_argument(
        "--import-rows",
        type=int,
        default=int(env.get("BENCH_IMPORT_ROWS", "20000")),
        help="generated CSV rows of the history import measured (0: skip); bench/imports.py",
    )
    p.add_argument(
        "--import-only", action="store_true", help="only the history import (--import-rows), as JSON"
    )
    p.add_argument(
        "--learning-only",
        action="store_true",
        help="only the training and held-out accuracy of the suggestions (bench/learning.py), as JSON",
    )
    p.add_argument(
        "--pages-only",
        action="store_true",
        help="only the sequential page timings of SPEC §13 (the writes included), as a table and JSON",
    )
    p.add_argument("--live-only", action="store_true", help="only the live scenario (bench/live.py), as JSON")
    p.add_argument(
        "--no-live-probe",
        dest="live_probe",
        action="store_false",
        help="skip the page timings taken while the live pages are open",
    )
    p.add_argument(
        "--drain-only",
        action="store_true",
        help="only the SLA catch-up and its escalation drain (--sla-due thresholds), as JSON",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from .targets import compare, evaluate, load, pages_table, table

    if args.compare and args.against:
        print(compare(load(args.against), load(args.compare)))
        return 0
    base = os.environ.get("DATABASE_URL")
    if not base:
        print(
            "bench: DATABASE_URL (the PostgreSQL server) is not set; run it through scripts/bench.sh",
            file=sys.stderr,
        )
        return 2
    started = datetime.now(UTC)
    t_start = time.monotonic()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    logdir = out / "logs"
    logdir.mkdir(exist_ok=True)
    (out / "state").mkdir(exist_ok=True)

    marker = database_prepare(base, args.database, force=args.reload)
    wanted = {"incidents": args.incidents, "loader": LOADER_VERSION, "articles": args.articles}
    if marker is not None and any(marker.get(k) != v for k, v in wanted.items()):
        log(f"{args.database} holds another size ({marker}): loading it again")
        database_reset(base, args.database)
        marker = None
    url = _db_url(base, args.database)
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15")
    env = {
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings.production",
        "DATABASE_URL": url,
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-only-not-secret-" + "x" * 40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "CELERY_BROKER_URL": broker,
        # Rate limits and sessions in Redis as in production (which refuses a process-local cache).
        "CACHE_URL": broker,
        "EMAIL_URL": "dummymail://",
        "THROTTLE_WRITES": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": "600",
        "SERVICEDESK_VAR_DIR": str(out / "state"),
    }
    django_setup(env)
    migrate_if_needed()
    stats = None
    if marker is None:
        log(f"loading {args.incidents:,} incidents into {args.database}")
        stats = load_everything(args)
        marker = {
            **wanted,
            "prev_month": stats["prev_month_label"],
            "callers": 2000,
            "load_s": stats["load_s"],
        }
        database_mark(base, args.database, marker)
    else:
        log(f"reusing {args.database} ({marker['incidents']:,} incidents; --reload to load again)")

    from django.db import connection

    from incidents.models import Incident

    ids = identities()
    numbers = list(
        Incident.objects.filter(created_at__gte=_recent())
        .exclude(assignment_group__slug="security")
        .exclude(category__slug="security")
        .values_list("number", flat=True)[:5000]
    )
    month = marker["prev_month"]

    def live_probe(port: int) -> dict[str, Any]:
        """SPEC §13's page timings (reads) on the live scenario's server, its pages open (issue 22 §5)."""
        probed = Pages(ids, numbers, ids["caller_username"], month)
        own = {who: Client("127.0.0.1", port, ids[who]) for who in ("agent", "manager", "caller", "api")}
        try:
            probed.cursor21 = find_cursor_21(own["api"])
            # workers=1: gthread keeps each client's connection alive on one worker, so the warm-up can
            # only ever reach that one (waiting for all three, it ran its bound of 600 requests a page).
            # Every pooled connection of the worker warmed as well: the pool hands them out in turn, and
            # a connection's first searches cost more (its server process's caches are cold; once in a
            # connection's life of up to an hour in production). With 10 warm-up requests, the first
            # page that searched paid it on the connections not yet warmed: SQL p95 18 ms against 3.
            warmup = max(args.warmup, 2 * LIVE_POOL_SIZE) if args.warmup else 0
            return sequential(probed, own, warmup=warmup, requests=args.requests, workers=1, reads_only=True)
        finally:
            for client in own.values():
                client.close()

    def live_scenario(server_env: dict[str, str]) -> dict[str, Any]:
        # BENCH_PROFILE on: the page probes under the open pages read the server's timings
        return live_pages(
            server_env,
            logdir,
            ids,
            numbers,
            pages=args.live_pages,
            idle_s=args.live_idle,
            workers=LIVE_WORKERS,
            probe=live_probe if args.live_probe else None,
        )

    if args.live_only:  # the live scenario alone, on the loaded database (issue 22 §5)
        live = live_scenario({**os.environ, **env, "BENCH_PROFILE": "1"})
        print(json.dumps({"machine": machine_facts(args.workers), "live": live}, indent=2))
        return 0
    if args.drain_only:  # the catch-up and the escalation drain alone (issue 25 §5)
        connection.close()
        drain_env = {**os.environ, **env}
        catch = sla_catch_up(args.sla_due, drain_env, args.celery_concurrency, logdir, args.sla_timeout)
        print(json.dumps({"machine": machine_facts(args.workers), "catch_up": catch}, indent=2))
        return 0
    if args.learning_only:  # training and held-out accuracy alone (issue 24 §1)
        figures = learning_bench.train_and_measure()
        log(learning_bench.summary(figures))
        print(json.dumps({"machine": machine_facts(args.workers), "learning": figures}, indent=2))
        return 0
    if args.import_only:  # the history import alone (issue 24 §4)
        figures = import_bench.import_and_measure(args.import_rows, out / "state" / "import")
        log(import_bench.summary(figures))
        print(json.dumps({"machine": machine_facts(args.workers), "import": figures}, indent=2))
        return 0
    result: dict[str, Any] = {
        "version": 1,
        "started_at": started.isoformat(timespec="seconds"),
        "database": args.database,
        "settings": {
            "requests_per_page": args.requests,
            "warmup": args.warmup,
            "clients": args.clients,
            "throughput_seconds": args.seconds,
        },
        "machine": machine_facts(args.workers),
    }
    if not args.pages_only:
        result["report"] = report_generate(month)
        result["learning"] = learning_bench.train_and_measure()
    if args.import_rows and not args.pages_only:
        result["import"] = import_bench.import_and_measure(args.import_rows, out / "state" / "import")
        log(import_bench.summary(result["import"]))
    connection.close()

    server_env = {**os.environ, **env, "BENCH_PROFILE": "1"}
    port = _free_port()
    server = server_start(server_env, port, args.workers, logdir)
    try:
        pages = Pages(ids, numbers, ids["caller_username"], month)
        clients = {who: Client("127.0.0.1", port, ids[who]) for who in ("agent", "manager", "caller", "api")}
        pages.cursor21 = find_cursor_21(clients["api"])
        log(f"gunicorn on 127.0.0.1:{port} ({args.workers} workers); {args.requests} requests per page")
        result["pages"] = sequential(
            pages, clients, warmup=args.warmup, requests=args.requests, workers=args.workers
        )
        if args.pages_only:  # the page timings alone (issue 25 §6)
            print(pages_table(result["pages"]))
            print(json.dumps({"machine": result["machine"], "pages": result["pages"]}, indent=2))
            return 0
        log(f"mixed load: {args.clients} clients for {args.seconds:.0f} s")
        result["throughput"] = throughput(pages, ids, port, clients=args.clients, seconds=args.seconds)
        tp = result["throughput"]
        log(f"mixed load: {tp['rps']} req/s, {tp['errors']} errors")
        if args.purge_days and marker.get("purged"):
            result["purge"] = {"skipped": f"history purged on {marker['purged']}; --reload to measure again"}
            log(f"retention purge: {result['purge']['skipped']}")
        elif args.purge_days:
            result["purge"] = purge_under_load(
                {k: v for k, v in server_env.items() if k != "BENCH_PROFILE"},
                pages.table(),
                clients,
                days=args.purge_days,
                archive_dir=out / "state" / "purge-archive",
                logdir=logdir,
                summarise=summarise,
                log=log,
            )
            marker = {**marker, "purged": started.date().isoformat()}
            database_mark(base, args.database, marker)
    finally:
        stop(server)
    if args.live_pages:
        result["live"] = live_scenario(server_env)
    result["sla"] = sweep_idle(runs=args.sweep_runs)
    worker_env = {k: v for k, v in server_env.items() if k != "BENCH_PROFILE"}
    if args.sla_due:
        result["sla"]["catch_up"] = sla_catch_up(
            args.sla_due, worker_env, args.celery_concurrency, logdir, args.sla_timeout
        )
    result["data"] = data_facts(stats, marker)
    result["data"]["report_month"] = month
    result["duration_s"] = round(time.monotonic() - t_start, 1)
    result["targets"] = evaluate(result)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    path = out / f"bench-{stamp}-{args.incidents}.json"
    path.write_text(json.dumps(result, indent=2))
    (out / "latest.json").write_text(json.dumps(result, indent=2))
    print()
    print(table(result))
    print(f"\nwritten: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    if args.compare:
        print()
        print(compare(result, load(args.compare)))
    return 0
