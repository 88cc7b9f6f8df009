"""Backup and restore on real PostgreSQL: every row and every attachment's bytes come back into an empty
database, the incident numbers go on without a gap or a reuse, and the SLA sweep fires nothing twice."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from incidents.models import Attachment, Incident
from incidents.sla.sweep import sla_sweep
from tests import workers
from tests.workers import REPO_ROOT

pytestmark = pytest.mark.slow


def _url(name: str) -> str:
    return urlunsplit(urlsplit(workers.test_database_url())._replace(path=f"/{name}"))


def _admin(sql: str) -> None:
    conn = psycopg2.connect(_url("postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def table_contents(url: str) -> dict[str, tuple[int, str]]:
    """Every table of the public schema: its row count and a digest of all its rows."""
    out = {}
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            for (table,) in cur.fetchall():
                cur.execute(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) "  # noqa: S608
                    f'FROM "{table}" t'
                )
                out[table] = cur.fetchone()
            cur.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
            )
            out["<sequences>"] = (0, str(cur.fetchall()))
    finally:
        conn.close()
    return out


def media_files() -> dict[str, str]:
    root = Path(settings.MEDIA_ROOT)
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


AFTER_RESTORE = """
import sys
from datetime import datetime
import django
django.setup()
from django.contrib.auth import get_user_model
from incidents import services
from incidents.models import Incident, Notification, SlaThresholdFire, OlaThresholdFire
from incidents.sla.sweep import sla_sweep

now = datetime.fromisoformat(sys.argv[1])
before = (SlaThresholdFire.objects.count(), OlaThresholdFire.objects.count(), Notification.objects.count())
result = sla_sweep(now=now)
after = (SlaThresholdFire.objects.count(), OlaThresholdFire.objects.count(), Notification.objects.count())
assert before == after and result.fired == 0 and result.ola_fired == 0, (before, after, result)
agent = get_user_model().objects.get(username=sys.argv[2])
incident = services.incident_create(actor=agent, caller=agent, title="After the restore")
print(incident.number)
"""


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database_whole(tmp_path):
    from tests.world import build_world

    world = build_world()  # the demo and the canaries, through the services: incidents, comments,
    # attachments, SLA fires and their mail, surveys answered, monthly reports
    now = timezone.now()
    sla_sweep(now=now)  # everything due until now has fired: a restored sweep at `now` has nothing to do
    assert Attachment.objects.exists() and Incident.objects.count() > 20
    from incidents.models import SlaThresholdFire
    from reporting.models import MonthlyReport
    from surveys.models import Answer

    assert SlaThresholdFire.objects.exists() and MonthlyReport.objects.exists() and Answer.objects.exists()
    numbers = set(Incident.objects.values_list("number", flat=True))
    original = table_contents(workers.test_database_url())
    files = media_files()
    assert files, "the world has attachments on disk"

    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive))
    assert archive.stat().st_size > 0

    # the disaster: the files are gone, and the database is a new, empty one
    shutil.rmtree(settings.MEDIA_ROOT)
    restored_name = f"{connection.settings_dict['NAME']}_restored"
    _admin(f'DROP DATABASE IF EXISTS "{restored_name}"')
    _admin(f'CREATE DATABASE "{restored_name}"')
    env = dict(
        os.environ, DJANGO_SETTINGS_MODULE="servicedesk.settings.test", DATABASE_URL=_url(restored_name)
    )
    try:
        done = subprocess.run(
            [sys.executable, "manage.py", "restore", str(archive)],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]

        assert table_contents(_url(restored_name)) == original
        assert media_files() == files

        # a second restore into the now full database is refused without --replace, with a clear message
        again = subprocess.run(
            [sys.executable, "manage.py", "restore", str(archive)],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode != 0 and "--replace" in again.stderr

        after = subprocess.run(
            [sys.executable, "-c", AFTER_RESTORE, now.isoformat(), world.user("agent").username],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert after.returncode == 0, after.stderr[-3000:]
        number = after.stdout.strip().splitlines()[-1]
        assert number not in numbers
        assert int(number.removeprefix("INC")) == max(int(n.removeprefix("INC")) for n in numbers) + 1
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{restored_name}"')


@pytest.mark.django_db
def test_restore_refuses_what_is_not_an_archive(tmp_path):
    missing = tmp_path / "nothing.tar.gz"
    with pytest.raises(CommandError, match="no such archive"):
        call_command("restore", str(missing))
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar")
    with pytest.raises(CommandError, match="not a backup archive"):
        call_command("restore", str(junk))
