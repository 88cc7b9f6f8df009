import ast
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
    }


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
