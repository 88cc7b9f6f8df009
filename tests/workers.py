"""A real Celery worker in a subprocess, for integration tests against the pytest-django database.

The worker runs the project's own app (``celery -A servicedesk``) with the test settings, pointed
at the test database and at a Redis database of its own, so that two pytest-xdist workers never
share a broker and purging one is harmless to the other. The test process's Celery app is pointed
at the same Redis database for as long as the worker runs, so that tasks queued by the code under
test (``transaction.on_commit(lambda: task.delay(...))``) reach it.

Use it through the ``celery_worker_process`` fixture in ``tests/conftest.py``::

    @pytest.mark.django_db(transaction=True)
    def test_breach_is_notified(celery_worker_process): ...
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import redis
from django.conf import settings
from kombu import pools as kombu_pools

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 30.0


def test_database_url() -> str:
    """The DATABASE_URL of the database this test process uses (pytest-django's test database).

    Only meaningful once the test database is set up: pytest-django rewrites NAME then.
    """
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        raise RuntimeError(f"a worker subprocess needs the PostgreSQL test database, not {db['ENGINE']}")
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(db['NAME'], safe='')}"


_claimed_databases: dict[str, tuple[int, object]] = {}


def dedicated_broker_url(base_url: str | None = None) -> str:
    """The Redis broker URL with a database number no other test process on this machine uses.

    Each pytest process (every xdist worker, and every concurrent pytest session, e.g. two
    developers' on one machine) claims the first free database 1-15 with a lock file held until it
    exits, so purging its broker never touches another's queue or pidbox. Database 0 stays for
    people and for `make run` against Redis.
    """
    base_url = base_url or os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    parts = urlsplit(base_url)
    if parts.scheme not in ("redis", "rediss"):
        raise RuntimeError(f"worker tests need a Redis broker, got {parts.scheme}://")
    if parts.netloc not in _claimed_databases:
        _claimed_databases[parts.netloc] = _claim_database(parts.netloc)
    number = _claimed_databases[parts.netloc][0]
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", "", ""))


def _claim_database(netloc: str) -> tuple[int, object]:
    server = re.sub(r"[^A-Za-z0-9]+", "_", netloc.rpartition("@")[2])
    for number in range(1, 16):
        lock = open(Path(tempfile.gettempdir()) / f"servicedesk-test-redis-{server}-{number}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return number, lock  # the open file holds the lock for the life of this process
    raise RuntimeError("all Redis databases 1-15 are claimed by other test processes")


def _reset_connection_pools(app) -> None:
    # kombu keeps pools in a registry keyed by connection: closing one in place would hand the
    # closed pool to the next user, so reset the registry itself.
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    with suppress(AttributeError):
        del app.control.mailbox.producer_pool


@contextmanager
def app_broker(app, broker_url: str) -> Iterator[None]:
    """Point the test process's Celery app at ``broker_url`` for the duration of the block.

    Celery prefers the CELERY_BROKER_URL environment variable to its configuration, so both change.
    """
    previous_conf = app.conf.broker_url
    previous_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = broker_url
    app.conf.broker_url = broker_url
    _reset_connection_pools(app)
    try:
        yield
    finally:
        if previous_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = previous_env
        app.conf.broker_url = previous_conf
        _reset_connection_pools(app)


class CeleryWorker:
    """One ``celery -A servicedesk worker`` subprocess, optionally with embedded beat (``-B``).

    It runs in its own process group, so ``kill()`` takes its pool children and beat with it.
    """

    def __init__(
        self,
        *,
        database_url: str,
        broker_url: str,
        work_dir: Path,
        beat: bool = False,
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.broker_url = broker_url
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.beat = beat
        self.concurrency = concurrency
        self.extra_env = dict(extra_env or {})
        self.hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.log_path = self.work_dir / "worker.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "servicedesk",
            "worker",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "--concurrency",
            str(self.concurrency),
            "--queues",
            ",".join(settings.TASK_QUEUES),  # every queue, as `make run`'s worker
            "--hostname",
            self.hostname,
        ]
        if self.beat:
            cmd += ["--beat", "--schedule", str(self.work_dir / "celerybeat-schedule")]
        return cmd

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="servicedesk.settings.test",
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            SERVICEDESK_VAR_DIR=str(self.work_dir),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def purge(self) -> None:
        """Empty the dedicated Redis database: queued tasks, unacked messages and beat's leftovers."""
        redis.Redis.from_url(self.broker_url).flushdb()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, *, purge: bool = True) -> CeleryWorker:
        if self.running:
            raise RuntimeError("the worker is already running")
        if purge:
            self.purge()
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=REPO_ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if " ready." in self.log(since_start=True):
                return
            if not self.running:
                raise RuntimeError(f"the Celery worker exited before it was ready:\n{self.log()}")
            time.sleep(0.05)
        self.kill()
        raise TimeoutError(f"the Celery worker was not ready within {READY_TIMEOUT_S:.0f} s:\n{self.log()}")

    def stop(self, timeout: float = 15.0) -> None:
        """Warm shutdown (SIGTERM): running tasks finish. Falls back to kill() after ``timeout``."""
        if not self.running:
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash or an OOM kill would: nothing gets to clean up."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def restart(self) -> CeleryWorker:
        """Start again, keeping the queue: what was sent meanwhile (or left unacked) is still there."""
        self.stop()
        return self.start(purge=False)

    def log(self, *, since_start: bool = False) -> str:
        if not self.log_path.exists():
            return ""
        data = self.log_path.read_bytes()
        return (data[self._log_offset :] if since_start else data).decode(errors="replace")

    def dump_log(self, file=None) -> None:
        print(f"----- celery worker log ({self.log_path}) -----", file=file or sys.stdout)
        print(self.log(), file=file or sys.stdout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, *, deadline_s: float, poll_s: float = 0.2, every=None, every_s: float = 3.0) -> None:
    """Poll the database until ``condition()`` holds; ``every()`` is called every ``every_s`` seconds."""
    end = time.monotonic() + deadline_s
    last = 0.0
    while time.monotonic() < end:
        if condition():
            return
        if every is not None and time.monotonic() - last >= every_s:
            every()
            last = time.monotonic()
        time.sleep(poll_s)
    raise AssertionError(f"not true within {deadline_s:.0f} s: {condition.__doc__ or condition}")


class OwnRedis:
    """A throw-away redis-server on its own port, to stop and start under a running worker."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
