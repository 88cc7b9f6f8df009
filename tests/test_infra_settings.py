import os
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


def test_the_readme_documents_every_variable_the_settings_read(settings_env_vars):
    readme = (REPO_ROOT / "README.md").read_text()
    undocumented = sorted(name for name in settings_env_vars if f"`{name}`" not in readme)
    assert not undocumented, f"README.md's production configuration misses {undocumented}"
