"""/readyz: each dependency named with its state, 503 naming what fails, nothing secret in the body."""

import json
import os
import re
import secrets
import socket
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from core.beat import BEAT_MARK_KEY
from incidents.sla.tasks import sla_sweep_task
from tests.workers import REPO_ROOT

pytestmark = pytest.mark.django_db

CHECKS = {"database", "cache", "broker", "migrations", "beat"}


@pytest.fixture(autouse=True)
def _beat_has_run(time_machine):
    """Beat's SLA sweep ran just now (through the real task, which records the mark)."""
    from django.core.cache import cache

    time_machine.move_to("2026-06-01 09:00:00+00:00", tick=False)
    cache.delete(BEAT_MARK_KEY)
    sla_sweep_task()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the socket is


def test_ready_with_every_check_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": dict.fromkeys(CHECKS, "ok")}
    assert response["Content-Type"] == "application/json"


def test_a_broker_that_does_not_answer_is_named(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"] == "error"
    assert {name for name, state in checks.items() if state != "ok"} == {"broker"}


def test_beat_not_run_recently_is_stale(client, time_machine):
    time_machine.shift(settings.READYZ_BEAT_MAX_AGE - 1)
    assert client.get("/readyz").status_code == 200
    time_machine.shift(2)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == "stale"
    sla_sweep_task()  # beat queues the next sweep: ready again
    assert client.get("/readyz").status_code == 200


def test_beat_never_seen_is_not_ready(client):
    from django.core.cache import cache

    cache.delete(BEAT_MARK_KEY)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == "unknown"


def test_a_helper_sweep_does_not_count_as_beat(client, time_machine):
    time_machine.shift(settings.READYZ_BEAT_MAX_AGE + 1)
    sla_sweep_task(helpers=0)  # queued by a sweep, not by beat
    assert client.get("/readyz").json()["checks"]["beat"] == "stale"


def test_an_unapplied_migration_is_named(client):
    # Really unapplied as far as the database says: the record of the latest migration of an app is
    # gone (inside the test's transaction, rolled back after it), so the plan would apply it again.
    recorder = MigrationRecorder(connection)
    latest = recorder.migration_qs.filter(app="incidents").order_by("-id").first()
    assert latest is not None
    latest.delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["migrations"] == "unapplied"
    assert {name for name, state in checks.items() if state != "ok"} == {"migrations"}


def test_a_failing_check_is_a_503_not_a_500(client, monkeypatch):
    from servicedesk import readiness

    def broken() -> str:
        raise RuntimeError(
            f"cannot reach {settings.DATABASES['default'].get('PASSWORD')} {settings.SECRET_KEY}"
        )

    monkeypatch.setitem(readiness.CHECKS, "database", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error"
    assert settings.SECRET_KEY not in response.content.decode()


def test_the_body_holds_no_secret(client, settings):
    password = "s3cr3t-broker-pw"
    settings.CELERY_BROKER_URL = f"redis://:{password}@127.0.0.1:{_closed_port()}/0"
    body = client.get("/readyz").content.decode()
    secrets = [password, settings.SECRET_KEY]
    db_password = settings.DATABASES["default"].get("PASSWORD")
    if db_password:
        secrets.append(db_password)
    assert not [s for s in secrets if s in body]
    assert set(json.loads(body)) == {"status", "checks"}


def test_healthz_stays_one_query_and_ignores_the_broker(client, settings, django_assert_num_queries):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_command_runs_one_check_and_fails_on_it(capsys, time_machine):
    call_command("readyz", check=["beat"])
    assert capsys.readouterr().out.strip() == "beat: ok"
    time_machine.shift(settings.READYZ_BEAT_MAX_AGE + 1)
    with pytest.raises(CommandError, match="beat"):
        call_command("readyz", check=["beat"])


def test_both_probes_skip_the_https_redirect_in_production():
    # Production settings load in a child process (they read the environment once, at import).
    script = "import json, django; from django.conf import settings; django.setup(); "
    script += "print(json.dumps(settings.SECURE_REDIRECT_EXEMPT))"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "servicedesk.example.org",
        "DATABASE_URL": "postgresql://servicedesk:pw@db.example.org:5432/servicedesk",
        "CACHE_URL": "rediscache://redis.example.org:6379/1",
    }
    started = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 0, started.stderr
    exempt = [re.compile(pattern) for pattern in json.loads(started.stdout)]
    for path in ("healthz", "readyz"):  # SecurityMiddleware matches the path without its leading slash
        assert any(pattern.search(path) for pattern in exempt), path
    assert not any(pattern.search("incidents/") for pattern in exempt)
