"""Rate limits that hold in production: one count per client, whichever worker answers (issue 20 §2).

The throttles keep their counters in Django's default cache. Production runs several gunicorn
workers, so that cache must be shared (Redis): these tests start a real gunicorn with three workers
on the production settings and check that the limit arrives at the documented count.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests import workers
from tests.factories import make_incident, make_user

WORKERS = 3
LIMIT = 4  # per minute, for the token guesses and for one person's writes
START_TIMEOUT_S = 60.0


def test_a_forged_forwarded_for_header_does_not_buy_more_guesses(db):
    # given the token endpoint's limit and no trusted proxy (TRUSTED_PROXY_COUNT=0)
    client = APIClient()
    rates = {"token": f"{LIMIT}/min", "writes": f"{LIMIT}/min"}
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        # when a client invents a new X-Forwarded-For address for each guess
        statuses = [
            client.post(
                "/api/v1/auth/token/",
                {"username": f"guess{n}", "password": "wrong"},
                format="json",
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            ).status_code
            for n in range(LIMIT + 2)
        ]

    # then it is still counted by the address it connects from
    assert statuses == [400] * LIMIT + [429, 429]


def test_while_the_shared_cache_is_down_writes_go_through_and_the_outage_is_logged(db, caplog):
    # given a person with a token, and a Redis cache nothing answers on
    agent = make_user("agent", groups=["service-desk"])
    incident = make_incident(actor=agent, caller=make_user("alice"))
    _, token = AuthToken.objects.create(user=agent)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    down = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{workers.free_port()}/0",
    }

    # when they write
    with override_settings(CACHES={"default": down}):
        response = client.post(f"/api/v1/incidents/{incident.number}/comments/", {"body": "n"}, format="json")

    # then the write is not refused for want of a counter, and the outage is in the log
    assert response.status_code == 201
    assert any("the cache is unreachable" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


# --- three gunicorn workers, one shared cache ------------------------------------------------------


class Gunicorn:
    """gunicorn on the production settings, on loopback, logging which worker answered each request."""

    def __init__(self, log: Path, cache_url: str) -> None:
        self.port = workers.free_port()
        self.log = log
        self.errors = log.with_name("gunicorn.log")
        self.env = {
            "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "servicedesk.settings.production",
            "SECRET_KEY": "gunicorn-test-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": workers.test_database_url(),
            "CONN_MAX_AGE": "0",
            "CACHE_URL": cache_url,
            "CELERY_BROKER_URL": "memory://",  # the outbox catches up later; no worker here
            "SECURE_SSL_REDIRECT": "false",
            "THROTTLE_TOKEN": f"{LIMIT}/min",
            "THROTTLE_WRITES": f"{LIMIT}/min",
            "AXES_FAILURE_LIMIT": "1000",  # the lockout is not what this test measures
            "SERVICEDESK_VAR_DIR": str(log.parent),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "servicedesk.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(WORKERS),
            "--access-logfile", str(self.log),
            "--access-logformat", "%(p)s %(s)s %(m)s %(U)s",
        ]  # fmt: skip
        with self.errors.open("wb") as errors:  # gunicorn holds its own copy of the file
            # Its own process group: the arbiter and its workers go together, whatever happened.
            self.process = subprocess.Popen(
                command, cwd=workers.REPO_ROOT, env=self.env, stderr=errors, start_new_session=True
            )
        try:
            self._wait_for_every_worker()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)
        # A worker busy in a round outlives the arbiter's graceful stop; none outlives the test.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def _wait_for_every_worker(self) -> None:
        """Until each worker has answered /healthz once (its Django is loaded and connected)."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.errors.read_text()}")
            try:
                self.round([("GET", "/healthz", None, {})] * WORKERS)
            except OSError:
                time.sleep(0.2)
                continue
            if len({pid for pid, _ in self.served("/healthz")}) == WORKERS:
                return
        pytest.fail(
            f"not all {WORKERS} gunicorn workers answered in {START_TIMEOUT_S} s:\n{self.errors.read_text()}"
        )

    def served(self, path: str) -> list[tuple[str, int]]:
        """(worker pid, status) of each request to ``path``, in the order they were answered."""
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [
            (match["pid"], int(match["status"]))
            for line in lines
            if (match := re.fullmatch(r"<(?P<pid>\d+)> (?P<status>\d+) \w+ (?P<path>\S+)", line))
            and match["path"] == path
        ]

    def _wait_until_accepted(self) -> None:
        """Until no connection waits in the listening socket's accept queue (Linux /proc/net/tcp)."""
        port = f"{self.port:04X}"
        # generous: on a loaded machine a sync worker can take seconds to come back to accept()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
                _, local, _, state, queues = line.split()[:5]
                # state 0A is LISTEN; there, rx_queue counts the connections not yet accepted
                if local.endswith(f":{port}") and state == "0A" and int(queues.split(":")[1], 16) == 0:
                    return
            time.sleep(0.01)
        pytest.fail("gunicorn's workers did not accept the round's connections")

    def round(self, requests: list[tuple[str, str, dict | None, dict[str, str]]]) -> list[int]:
        """Send these requests so that each is answered by a different worker, one after another.

        A sync worker serves one connection at a time: while every connection of the round holds a
        request without its last byte, each holds a worker of its own. The requests are then
        completed one by one, each after the previous answer, so the counter is never raced.
        """
        assert len(requests) <= WORKERS
        pending = []
        for method, path, payload, headers in requests:
            body = json.dumps(payload).encode() if payload is not None else b""
            head = "".join(
                [
                    f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
                    "Content-Type: application/json\r\n",
                    f"Content-Length: {len(body)}\r\n",
                    *(f"{name}: {value}\r\n" for name, value in headers.items()),
                ]
            ).encode()
            connection = socket.create_connection(("127.0.0.1", self.port), timeout=20)
            connection.sendall(head)
            pending.append((connection, b"\r\n" + body))
        self._wait_until_accepted()
        statuses = []
        for connection, rest in pending:
            with connection:
                connection.sendall(rest)
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
            statuses.append(int(answer.split(b" ", 2)[1]))
        return statuses


@pytest.fixture
def shared_cache_url() -> Iterator[str]:
    """A Redis database no other test process on this machine uses, emptied of throttle counters."""
    url = workers.dedicated_broker_url()
    server = redis.Redis.from_url(url)

    def forget_counters() -> None:
        keys = list(server.scan_iter(match="*throttle_*"))
        if keys:
            server.delete(*keys)

    forget_counters()
    yield url
    forget_counters()


@pytest.mark.django_db(transaction=True)
def test_three_workers_refuse_the_guess_after_the_limit_not_three_limits_later(shared_cache_url, tmp_path):
    with Gunicorn(tmp_path / "access.log", shared_cache_url) as web:
        # when one client sends guesses at the token endpoint, each round spread over the three workers
        guess = [("POST", "/api/v1/auth/token/", {"username": "nobody", "password": "guess"}, {})]
        statuses = web.round(guess * WORKERS) + web.round(guess * WORKERS)
        served = web.served("/api/v1/auth/token/")

    # then every worker answered, and the guess after the documented limit is the first refused
    assert len({pid for pid, _ in served}) == WORKERS
    assert [status for _, status in served] == statuses
    assert statuses == [400] * LIMIT + [429] * (2 * WORKERS - LIMIT)


@pytest.mark.django_db(transaction=True)
def test_three_workers_throttle_one_persons_writes_at_the_documented_count(shared_cache_url, tmp_path):
    agent = make_user("agent", groups=["service-desk"])
    incident = make_incident(actor=agent, caller=make_user("alice"))
    _, token = AuthToken.objects.create(user=agent)
    url = f"/api/v1/incidents/{incident.number}/comments/"

    with Gunicorn(tmp_path / "access.log", shared_cache_url) as web:
        # when one person writes comments, each round spread over the three workers
        write = [("POST", url, {"body": "note"}, {"Authorization": f"Token {token}"})]
        statuses = web.round(write * WORKERS) + web.round(write * WORKERS)
        served = web.served(url)

    # then the write after the documented limit is the first refused, whichever worker took it
    assert len({pid for pid, _ in served}) == WORKERS
    assert statuses == [201] * LIMIT + [429] * (2 * WORKERS - LIMIT)
