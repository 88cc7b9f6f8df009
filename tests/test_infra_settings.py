import ast
import json
import os
import re
import secrets
import subprocess
import sys

import pytest

from tests.workers import REPO_ROOT

REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL")


def _production_env(**values: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings.production",
        **values,
    }


def _realistic_values() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "servicedesk.example.org",
        "DATABASE_URL": "postgresql://servicedesk:pw@db.example.org:5432/servicedesk",
        "CELERY_BROKER_URL": "redis://redis.example.org:6379/0",
        "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.org:587",
        "SITE_URL": "https://servicedesk.example.org",
        "CACHE_URL": "rediscache://redis.example.org:6379/1",
    }


_PRINT_SETTINGS = """
import json
import django
from django.conf import settings
django.setup()
print(settings.CACHES["default"]["BACKEND"])
print(settings.SESSION_ENGINE)
print(json.dumps(settings.CACHES["default"].get("OPTIONS", {})))
"""


def _start_production(**values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _PRINT_SETTINGS],
        cwd=REPO_ROOT,
        env=_production_env(**values),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", REQUIRED)
def test_production_refuses_to_start_without_a_required_variable(missing):
    # given production settings with every required variable but one
    env = _production_env(**{k: v for k, v in _realistic_values().items() if k != missing})

    # when Django starts
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then it stops and names the variable
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


@pytest.mark.parametrize("cache_url", [None, "locmemcache://", "dummycache://"])
def test_production_refuses_a_process_local_cache_unless_told_it_is_one_process(cache_url):
    # given production settings whose cache each worker would keep for itself
    values = {k: v for k, v in _realistic_values().items() if k != "CACHE_URL"}
    if cache_url:
        values["CACHE_URL"] = cache_url

    # when Django starts, without and then with the explicit permission
    refused = _start_production(**values)
    allowed = _start_production(**values, ALLOW_PROCESS_LOCAL_CACHE="true")

    # then it first stops and says what to set, then starts with sessions in the database only
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr
    assert "CACHE_URL" in refused.stderr and "ALLOW_PROCESS_LOCAL_CACHE=true" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.split()[:2] == [
        "django.core.cache.backends.locmem.LocMemCache"
        if cache_url != "dummycache://"
        else "django.core.cache.backends.dummy.DummyCache",
        "django.contrib.sessions.backends.db",
    ]


def test_production_with_a_shared_cache_keeps_rate_limits_and_sessions_in_it():
    started = _start_production(**_realistic_values())

    assert started.returncode == 0, started.stderr
    backend, sessions, options = started.stdout.split(maxsplit=2)
    # Django's Redis cache, keeping its client (servicedesk/cache.py)
    assert backend == "servicedesk.cache.RedisCache"
    assert sessions == "django.contrib.sessions.backends.cached_db"
    # a Redis that does not answer fails within seconds instead of holding a web worker
    assert json.loads(options) == {"socket_connect_timeout": 2, "socket_timeout": 2}


_PRINT_DATABASES = """
import json
import django
from django.conf import settings
django.setup()
from core.replica import replica_reads
from incidents.models import Incident
from servicedesk.db_router import ReplicaRouter
with replica_reads():
    routed = ReplicaRouter().db_for_read(Incident)
print(json.dumps({"databases": settings.DATABASES, "routed": routed}, default=str))
"""


def test_production_keeps_the_read_replica_with_the_primarys_pool():
    # given production settings with a read replica
    env = _production_env(
        **_realistic_values(),
        DATABASE_REPLICA_URL="postgresql://reader:pw@replica.example.org:5432/servicedesk",
    )
    # when Django loads them
    result = subprocess.run(
        [sys.executable, "-c", _PRINT_DATABASES],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then the replica is there, pooled like the primary, mirrored in tests, and the marked reads go to it
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    default, replica = printed["databases"]["default"], printed["databases"]["replica"]
    assert replica["HOST"] == "replica.example.org" and replica["USER"] == "reader"
    assert default["HOST"] == "db.example.org"
    assert replica["OPTIONS"]["pool"] == default["OPTIONS"]["pool"]
    assert replica["CONN_MAX_AGE"] == 0
    assert replica["TEST"]["MIRROR"] == "default"
    assert printed["routed"] == "replica"


def test_production_without_a_replica_has_only_the_primary():
    result = subprocess.run(
        [sys.executable, "-c", _PRINT_DATABASES],
        cwd=REPO_ROOT,
        env=_production_env(**_realistic_values()),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert list(printed["databases"]) == ["default"]
    assert printed["routed"] is None


def test_compose_gives_every_django_process_the_shared_cache():
    import yaml

    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    apps = {name: svc for name, svc in compose["services"].items() if "build" in svc}
    assert {"web", "beat", "worker-sweep"} <= set(apps)
    for name, service in apps.items():
        assert service["environment"]["CACHE_URL"].startswith("${CACHE_URL:-rediscache://redis:6379/"), name


def test_production_passes_the_deployment_checks():
    env = _production_env(**_realistic_values())
    assert len(env["SECRET_KEY"]) >= 50

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


# The variables a settings module reads, named in its source: `env.int("X", ...)`, `env("X")`,
# `environ.Env().str("X")`, `os.environ.get("X")`, `os.environ.setdefault("X", ...)`, `os.environ["X"]`,
# `os.getenv("X")`. The import-time recording (the `settings_env_vars` fixture) finds what a run reads;
# this finds what a branch not taken would read too.
_READERS = re.compile(r"^(env|environ\.Env\(\))(\.\w+)?$|^os\.environ\.(get|setdefault|pop)$|^os\.getenv$")
# Read by manage.py, the wsgi/asgi modules and the Celery app, not by a settings module.
_READ_OUTSIDE_SETTINGS = {"DJANGO_SETTINGS_MODULE"}
CONFIGURATION_DOC = REPO_ROOT / "docs" / "admin" / "configuration.md"


def variables_named_in(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _READERS.match(ast.unparse(node.func)) and node.args:
            first = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            first = node.slice
        else:
            continue
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def documented_variables() -> set[str]:
    """The first column of the tables in docs/admin/configuration.md."""
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", CONFIGURATION_DOC.read_text(), re.MULTILINE))


@pytest.fixture(scope="module")
def variables_the_settings_read(settings_env_vars) -> set[str]:
    in_source = set()
    for module in sorted((REPO_ROOT / "servicedesk" / "settings").glob("*.py")):
        in_source |= variables_named_in(module.read_text())
    return in_source | set(settings_env_vars)


def test_the_scan_finds_every_way_a_settings_module_reads_the_environment():
    # If the scan missed a form, a variable read that way would go undocumented unnoticed.
    source = """
import os, environ
env = environ.Env()
A = env.int("READ_BY_ENV_INT", default=1)
B = env("READ_BY_ENV_CALL")
C = environ.Env().str("READ_BY_A_FRESH_ENV", default="")
D = os.environ.get("READ_BY_OS_ENVIRON_GET")
os.environ.setdefault("READ_BY_SETDEFAULT", "x")
E = os.environ["READ_BY_SUBSCRIPT"]
F = os.getenv("READ_BY_GETENV")
G = {"NOT_A_READ": 1}.get("NOT_A_READ")
"""
    assert variables_named_in(source) == {
        "READ_BY_ENV_INT",
        "READ_BY_ENV_CALL",
        "READ_BY_A_FRESH_ENV",
        "READ_BY_OS_ENVIRON_GET",
        "READ_BY_SETDEFAULT",
        "READ_BY_SUBSCRIPT",
        "READ_BY_GETENV",
    }


def test_the_configuration_doc_names_every_variable_the_settings_read(variables_the_settings_read):
    assert {"SECRET_KEY", "DATABASE_URL", "PORT", "TEST_DATABASE_NAME"} <= variables_the_settings_read
    undocumented = sorted(variables_the_settings_read - documented_variables())
    assert not undocumented, f"docs/admin/configuration.md does not document {undocumented}"


def test_the_configuration_doc_names_no_variable_the_settings_no_longer_read(variables_the_settings_read):
    documented = documented_variables()
    assert len(documented) > 40, "the tables of docs/admin/configuration.md were not found"
    stale = sorted(documented - variables_the_settings_read - _READ_OUTSIDE_SETTINGS)
    assert not stale, f"docs/admin/configuration.md documents variables no setting reads: {stale}"


def test_the_image_build_can_load_the_production_settings_for_collectstatic():
    # given the throw-away variables the Dockerfile's collectstatic step sets
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    step = re.search(r"RUN ((?:\w+=\S+\s+\\?\s*)+)python manage\.py collectstatic", dockerfile)
    assert step, "the Dockerfile runs collectstatic"
    values = dict(re.findall(r"(\w+)=(\S+)", step[1]))

    # when Django loads the production settings with only those
    started = _start_production(**values)

    # then it starts (no shared cache is needed to gather static files)
    assert started.returncode == 0, started.stderr
