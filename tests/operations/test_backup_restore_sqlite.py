"""Backup and restore of the embedded default (`make run`): SQLite through its online backup API, with the
attachments and the Maildir, into a new, empty var directory."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workers import REPO_ROOT

pytestmark = pytest.mark.slow


def manage(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "MEDIA_ROOT"}
    }
    env.update(DJANGO_SETTINGS_MODULE="servicedesk.settings.dev", SERVICEDESK_VAR_DIR=str(var))
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def rows(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        tables = [
            t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}  # noqa: S608
    finally:
        conn.close()


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_embedded_default_restores_into_an_empty_var_directory(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    manage(old, "migrate", "-v0")
    manage(old, "seed_demo", "--incidents", "3")
    (old / "media" / "attachments" / "ab").mkdir(parents=True)
    (old / "media" / "attachments" / "ab" / "abc123").write_bytes(bytes(range(256)) * 10)
    (old / "inbox" / "new").mkdir(parents=True, exist_ok=True)
    (old / "inbox" / "new" / "1.msg").write_bytes(b"Subject: not yet taken in\r\n\r\nhello\r\n")
    (old / "archive" / "notifications").mkdir(parents=True)
    (old / "archive" / "notifications" / "20250101-000000-00000.jsonl.gz").write_bytes(b"\x1f\x8b archived")
    archive = tmp_path / "embedded.tar.gz"
    manage(old, "backup", str(archive))

    manage(new, "restore", str(archive))

    before, after = rows(old / "db.sqlite3"), rows(new / "db.sqlite3")
    assert before["incidents_incident"] and after == before
    assert files(new / "media") == files(old / "media")
    assert files(new / "inbox") == files(old / "inbox")
    assert files(new / "archive") == files(old / "archive")  # what retention purged lives only there
