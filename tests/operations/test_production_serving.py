"""Production: psycopg 3's connection pool, and hashed static files served with long immutable caching."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests import workers
from tests.test_infra_settings import _production_env, _realistic_values
from tests.workers import REPO_ROOT

POOL = """
import json
import django
from django.conf import settings
django.setup()
from django.db import connection
db = settings.DATABASES["default"]
print(json.dumps({"pool": db["OPTIONS"].get("pool"), "conn_max_age": db["CONN_MAX_AGE"],
                  "driver": connection.Database.__name__}))
"""

SERVE = """
import django
django.setup()
from django.templatetags.static import static
from django.test import Client
url = static("css/app.css")
client = Client(HTTP_HOST="localhost")
asset = client.get(url)
print(url)
print(asset.status_code, asset.headers.get("Cache-Control"))
page = client.get("/accounts/login/")
print(page.status_code, url in page.content.decode())
"""


def _run(script: str, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=_production_env(**{**_realistic_values(), **values}),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_production_uses_psycopg_3_with_a_pool():
    done = _run(POOL)
    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["driver"] == "psycopg"
    assert facts["pool"] == {"min_size": 1, "max_size": 4, "timeout": 10.0} and facts["conn_max_age"] == 0
    off = json.loads(_run(POOL, DB_POOL_MAX_SIZE="0").stdout.strip().splitlines()[-1])
    assert off["pool"] is None and off["conn_max_age"] == 60


@pytest.mark.django_db(transaction=True)
def test_the_pool_serves_queries_against_the_real_database():
    check = (
        POOL + "with connection.cursor() as c:\n    c.execute('SELECT 41 + 1')\n    print(c.fetchone()[0])\n"
    )
    done = _run(check, DATABASE_URL=workers.test_database_url())
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "42"


@pytest.mark.slow
@pytest.mark.django_db
def test_static_files_have_hashed_names_and_immutable_caching(tmp_path):
    values = {
        "STATIC_ROOT": str(tmp_path / "static"),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": workers.test_database_url(),
    }
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=REPO_ROOT,
        env=_production_env(**{**_realistic_values(), **values}),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert collected.returncode == 0, collected.stderr[-3000:]
    assert (tmp_path / "static" / "staticfiles.json").is_file()

    done = _run(SERVE, **values)
    assert done.returncode == 0, done.stderr[-3000:]
    url, asset, page = done.stdout.strip().splitlines()[-3:]
    assert (
        url.startswith("/static/css/app.") and url != "/static/css/app.css"
    )  # the content's hash in the name
    status, cache = asset.split(" ", 1)
    assert status == "200" and "immutable" in cache and "max-age=315360000" in cache
    assert page == "200 True"  # pages link the hashed names


@pytest.mark.django_db
def test_without_collectstatic_the_plain_names_still_serve_the_pages(tmp_path):
    """`make bench` runs the production settings from the repository, with nothing collected."""
    values = {
        "STATIC_ROOT": str(tmp_path / "nothing-collected"),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": workers.test_database_url(),
    }
    done = _run(SERVE, **values)
    assert done.returncode == 0, done.stderr[-3000:]
    url, _asset, page = done.stdout.strip().splitlines()[-3:]
    assert url == "/static/css/app.css" and page == "200 True"
