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
    assert {"web", "worker", "beat"} <= set(APP_SERVICES)
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
