"""docker-compose.yml cannot run here (no Docker engine), so check that what it names exists."""

import importlib
import shlex

import pytest
import yaml
from celery import Celery
from django.core.management import get_commands

from tests.workers import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
APP_SERVICES = {name: svc for name, svc in COMPOSE["services"].items() if "build" in svc}


def _argv(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_it_describes_the_production_stack():
    assert COMPOSE["services"]["db"]["image"].startswith("postgres:15")
    assert COMPOSE["services"]["redis"]["image"].startswith("redis:7")
    assert {"web", "worker-sweep", "worker-notifications", "beat"} <= set(APP_SERVICES)
    for service in APP_SERVICES.values():
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "servicedesk.settings.production"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_each_app_service_command_names_something_that_exists(name):
    argv = _argv(APP_SERVICES[name])
    if argv[0] == "gunicorn":
        module, _, attribute = argv[1].partition(":")
        assert callable(getattr(importlib.import_module(module), attribute or "application"))
    elif argv[0] == "celery":
        app_module = argv[argv.index("-A") + 1]
        assert isinstance(importlib.import_module(app_module).celery_app, Celery)
        assert argv[argv.index("-A") + 2] in {"worker", "beat"}
    elif argv[:2] == ["python", "manage.py"]:
        assert argv[2] in get_commands()
    else:
        pytest.fail(f"{name}: unrecognised command {argv}")


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_each_app_service_sets_only_variables_the_settings_read(name, settings_env_vars):
    unknown = sorted(set(APP_SERVICES[name]["environment"]) - settings_env_vars)
    assert not unknown, f"{name} sets variables no setting reads: {unknown}"


def test_the_discovery_of_settings_variables_finds_the_core_ones(settings_env_vars):
    # If the discovery found nothing, the test above would pass for the wrong reason.
    core = {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SITE_URL"}
    assert core <= settings_env_vars


def _queues_of(argv: list[str]) -> set[str]:
    flag = next(f for f in ("--queues", "-Q") if f in argv)
    return set(argv[argv.index(flag) + 1].split(","))


def _routed_tasks() -> dict[str, str]:
    """Every task of the project registered in the app, with the queue the router sends it to."""
    from servicedesk.celery import app

    app.loader.import_default_modules()
    return {
        name: app.amqp.router.route({}, name)["queue"].name
        for name in app.tasks
        if not name.startswith("celery.")
    }


def test_every_task_is_routed_to_a_queue_a_compose_worker_consumes():
    workers = {n: s for n, s in APP_SERVICES.items() if _argv(s)[3:4] == ["worker"]}
    consumed = set().union(*(_queues_of(_argv(s)) for s in workers.values()))
    routed = _routed_tasks()
    assert "incidents.tasks.sla_sweep_task" in routed
    stranded = {name: queue for name, queue in routed.items() if queue not in consumed}
    assert not stranded, f"no worker in docker-compose.yml consumes these tasks' queues: {stranded}"
    # split by kind: the sweep, mail delivery, mail intake and reports each have their own queue
    assert routed["incidents.tasks.sla_sweep_task"] == "sweep"
    assert routed["incidents.tasks.notification_email_task"] == "notifications"
    assert routed["intake.tasks.mailbox_poll_task"] == "intake"
    assert routed["reporting.tasks.monthly_report_task"] == "reports"
    assert len(set(routed.values())) >= 4
    assert all(len(_queues_of(_argv(s))) <= 2 for s in workers.values()), "one worker per kind of queue"


def test_the_run_and_test_workers_consume_every_queue(tmp_path):
    from django.conf import settings

    from tests.workers import CeleryWorker

    run_sh = (REPO_ROOT / "scripts" / "run.sh").read_text().replace("\\\n", " ")
    line = next(line for line in run_sh.splitlines() if "celery -A servicedesk worker" in line)
    routed = set(_routed_tasks().values()) | {settings.CELERY_TASK_DEFAULT_QUEUE}
    assert routed <= _queues_of(shlex.split(line.rstrip("& "))), "make run's worker strands a queue"
    test_worker = CeleryWorker(database_url="sqlite://", broker_url="redis://localhost/15", work_dir=tmp_path)
    assert routed <= _queues_of(test_worker.command()), "the tests' worker strands a queue"
    assert set(settings.TASK_QUEUES) == routed


def _healthcheck(name: str) -> list[str]:
    test = APP_SERVICES[name]["healthcheck"]["test"]
    return shlex.split(test[1]) if test[0] == "CMD-SHELL" else list(test[1:])


def test_every_long_running_app_service_has_a_healthcheck():
    long_running = {name for name, svc in APP_SERVICES.items() if svc.get("restart") != "no"}
    assert {"web", "beat", "worker-sweep"} <= long_running
    missing = sorted(name for name in long_running if "healthcheck" not in APP_SERVICES[name])
    assert not missing, f"no healthcheck: {missing}"


def test_each_worker_pings_its_own_node():
    workers = [n for n, s in APP_SERVICES.items() if _argv(s)[3:4] == ["worker"]]
    assert workers
    for name in workers:
        argv = _healthcheck(name)
        assert argv[:5] == ["celery", "-A", "servicedesk", "inspect", "ping"], name
        # Celery's default node name is celery@<host name>; compose turns $$ into $ for the shell.
        assert argv[argv.index("--destination") + 1] == "celery@$$HOSTNAME", name
        assert "--hostname" not in _argv(APP_SERVICES[name]) and "-n" not in _argv(APP_SERVICES[name])


def test_beat_is_checked_by_the_readiness_checks_of_beat_and_broker():
    from servicedesk.readiness import CHECKS

    argv = _healthcheck("beat")
    assert argv[:3] == ["python", "manage.py", "readyz"]
    assert "readyz" in get_commands()
    checks = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--check"]
    assert set(checks) == {"beat", "broker"} and set(checks) <= set(CHECKS)


def test_the_web_healthcheck_exits_0_on_200_and_not_on_503_sending_an_allowed_host():
    import http.server
    import os
    import subprocess
    import sys
    import threading

    from django.urls import resolve

    argv = _healthcheck("web")
    assert argv[:2] == ["python", "-c"]
    code = argv[2]
    assert "http://127.0.0.1:8000/healthz" in code
    assert resolve("/healthz").url_name == "healthz"
    seen: list[tuple[str, str | None]] = []
    answer = {"status": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Host")))
            self.send_response(answer["status"])
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local = code.replace("127.0.0.1:8000", f"127.0.0.1:{server.server_port}")
    env = {"PATH": os.environ.get("PATH", ""), "ALLOWED_HOSTS": ".example.org,localhost"}

    def probe() -> int:
        return subprocess.run(
            [sys.executable, "-c", local], env=env, capture_output=True, timeout=30
        ).returncode

    try:
        assert probe() == 0
        answer["status"] = 503
        assert probe() != 0
    finally:
        server.shutdown()
    # Django refuses a Host outside ALLOWED_HOSTS: the probe sends the first one (a leading dot stripped)
    assert seen == [("/healthz", "example.org"), ("/healthz", "example.org")]
