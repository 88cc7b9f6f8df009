"""Backup and restore of everything that holds state, in one archive (docs/operations/backup.md).

The archive is a gzipped tar holding ``manifest.json`` first, then:

- ``database.dump``: PostgreSQL in pg_dump's custom format (a consistent snapshot while the service runs), or
  ``database.sqlite3``: the embedded SQLite file copied through SQLite's online backup API (consistent while
  web, workers and beat keep writing);
- ``media/``: the attachments (``MEDIA_ROOT``), each file's SHA-256 in the manifest;
- ``inbox/``: the Maildir intake reads (``INBOUND_MAILDIR``), when there is one: messages not yet taken in,
  and the ones set aside in ``failed/``;
- ``archive/``: the retention archives (``RETENTION_ARCHIVE_DIR``): what was purged lives only there.

The database is taken first, then the files: a file uploaded in between is at worst an orphan, never a row
without its file. Redis (the broker), the beat schedule, the embedded mail files and the static files are not
state (see the guide). Restore refuses a database that already has tables unless told to replace them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class Database:
    vendor: str  # "postgresql" or "sqlite"
    settings: dict[str, Any]

    @classmethod
    def default(cls) -> Database:
        return cls(connection.vendor, dict(connection.settings_dict))

    def pg_env(self) -> dict[str, str]:
        s = self.settings
        env = dict(os.environ)
        env.update(
            PGHOST=str(s.get("HOST") or "localhost"),
            PGPORT=str(s.get("PORT") or 5432),
            PGUSER=str(s.get("USER") or ""),
            PGDATABASE=str(s["NAME"]),
        )
        if s.get("PASSWORD"):
            env["PGPASSWORD"] = str(s["PASSWORD"])
        return env


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files_under(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


def _inbox() -> Path | None:
    if settings.INBOUND_IMAP_HOST:
        return None
    path = Path(settings.INBOUND_MAILDIR)
    return path if path.is_dir() else None


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{cmd[0]} is not installed: {what} needs PostgreSQL's client programs") from exc
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-2000:]}")


def dump_database(db: Database, target: Path) -> str:
    """Write the database to ``target``; returns the archive member's name."""
    if db.vendor == "postgresql":
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "-f", str(target)],
            db.pg_env(),
            "pg_dump",
        )
        return "database.dump"
    if db.vendor == "sqlite":
        source = sqlite3.connect(str(db.settings["NAME"]))
        copy = sqlite3.connect(str(target))
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        return "database.sqlite3"
    raise BackupError(f"no backup for the {db.vendor} database")


def backup(output: Path) -> dict[str, Any]:
    """Archive the database, the attachments and the Maildir to ``output``; return the manifest."""
    db = Database.default()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / "database"
        member = dump_database(db, dump)
        files: dict[str, dict[str, Any]] = {}
        for prefix, root in _folders():
            if root is None:
                continue
            for path in _files_under(root):
                files[f"{prefix}/{path.relative_to(root).as_posix()}"] = {
                    "sha256": sha256_of(path),
                    "size": path.stat().st_size,
                }
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": {"vendor": db.vendor, "member": member, "sha256": sha256_of(dump)},
            "files": files,
        }
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=member)
            roots = dict(_folders())
            for name in files:
                prefix, _, rest = name.partition("/")
                root = roots[prefix]
                assert root is not None
                tar.add(root / rest, arcname=name)
        partial.replace(output)  # a backup interrupted half-way never looks like a whole one
    return manifest


def _tables(db: Database) -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def _safe_member(name: str) -> bool:
    parts = Path(name).parts
    return not Path(name).is_absolute() and ".." not in parts


def restore(archive: Path, *, replace: bool = False) -> dict[str, Any]:
    """Restore an archive made by ``backup`` into the configured database and folders."""
    if not archive.is_file():
        raise BackupError(f"no such archive: {archive}")
    db = Database.default()
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{archive} is not a backup archive: {exc}") from exc
    with tar, tempfile.TemporaryDirectory() as work:
        try:
            manifest = json.load(tar.extractfile(MANIFEST))  # type: ignore[arg-type]
        except (KeyError, ValueError, TypeError) as exc:
            raise BackupError(f"{archive} has no readable manifest") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown archive format {manifest.get('format')!r}")
        if manifest["database"]["vendor"] != db.vendor:
            vendor = manifest["database"]["vendor"]
            raise BackupError(f"the archive holds a {vendor} database; this installation uses {db.vendor}")
        existing = _tables(db)
        if existing and not replace:
            raise BackupError(
                f"the database already has {len(existing)} tables: restore into an empty database, "
                "or pass --replace to drop what is there"
            )
        for member in tar.getmembers():
            if not _safe_member(member.name) or not (member.isfile() or member.isdir()):
                raise BackupError(f"refusing the archive member {member.name!r}")
        tar.extractall(work, filter="data")
        root = Path(work)
        dump = root / manifest["database"]["member"]
        if sha256_of(dump) != manifest["database"]["sha256"]:
            raise BackupError("the database dump does not match its checksum: the archive is damaged")
        for name, meta in manifest["files"].items():
            if sha256_of(root / name) != meta["sha256"]:
                raise BackupError(f"{name} does not match its checksum: the archive is damaged")

        connection.close()
        if db.vendor == "postgresql":
            if existing:
                _drop_everything(db)
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "-d",
                    db.settings["NAME"],
                    str(dump),
                ],
                db.pg_env(),
                "pg_restore",
            )
        else:
            target = Path(db.settings["NAME"])
            source = sqlite3.connect(str(dump))
            into = sqlite3.connect(str(target))
            try:
                with into:
                    source.backup(into)
            finally:
                into.close()
                source.close()

        targets = {"media": Path(settings.MEDIA_ROOT), "inbox": _inbox_target(), "archive": _archive_dir()}
        for prefix, folder in targets.items():
            if folder is None or not (root / prefix).is_dir():
                continue
            if replace and folder.is_dir():
                shutil.rmtree(folder)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copytree(root / prefix, folder, dirs_exist_ok=True)
    return manifest


def _archive_dir() -> Path:
    return Path(settings.RETENTION_ARCHIVE_DIR)


def _folders() -> list[tuple[str, Path | None]]:
    """The folders a backup takes, by their name in the archive."""
    return [("media", Path(settings.MEDIA_ROOT)), ("inbox", _inbox()), ("archive", _archive_dir())]


def _inbox_target() -> Path | None:
    return None if settings.INBOUND_IMAP_HOST else Path(settings.INBOUND_MAILDIR)


def _drop_everything(db: Database) -> None:
    """Empty the PostgreSQL database the archive replaces: its public schema, dropped and made again."""
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    connection.close()
