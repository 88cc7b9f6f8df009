"""Where rows come from: a CSV file read a line at a time, or django-helpdesk's tables read with a cursor.

Each source yields ``(row number, {field: value})``, the fields being ``mapping.FIELDS``.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .mapping import Mapping, check_columns

CSV_FIELD_LIMIT = 1_000_000  # characters in one cell: far above every field's own limit


@contextmanager
def text_of(binary: IO[bytes]) -> Iterator[IO[str]]:
    """The file as text: UTF-8 (a byte-order mark is skipped), newlines left to the CSV reader."""
    stream = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="")
    try:
        yield stream
    finally:
        stream.detach()


def csv_header(binary: IO[bytes]) -> list[str]:
    """The names of the file's columns (its first line)."""
    binary.seek(0)
    with text_of(binary) as text:
        try:
            header = next(_reader(text), None)
        except (UnicodeDecodeError, csv.Error) as error:
            raise ValidationError(
                _("The file is not a UTF-8 CSV file: %(error)s") % {"error": error}
            ) from None
    binary.seek(0)
    if not header or not any(h.strip() for h in header):
        raise ValidationError(_("The file is empty: its first line must name the columns."))
    return [h.strip() for h in header]


def count_lines(binary: IO[bytes]) -> int:
    """Lines after the header, read in blocks: the progress bar's 100 % (a cell with a line break
    makes it a little high; the bar then jumps to done)."""
    binary.seek(0)
    lines = sum(block.count(b"\n") for block in iter(lambda: binary.read(1 << 20), b""))
    binary.seek(0)
    return max(0, lines - 1)


def _reader(text: IO[str]) -> Iterator[list[str]]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    sample = text.read(64 * 1024)
    text.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(text, dialect)


def csv_rows(binary: IO[bytes], mapping: Mapping) -> Iterator[tuple[int, dict[str, Any]]]:
    """The file's rows as fields, one at a time. A line the CSV reader cannot read stops the run
    with its line number (ValidationError), a short row is padded with empty cells."""
    header = csv_header(binary)
    check_columns(mapping, header)
    index = {f: header.index(column) for f, column in mapping.columns.items()}
    with text_of(binary) as text:
        reader = _reader(text)
        next(reader, None)
        number = 1
        try:
            for number, cells in enumerate(reader, start=2):
                if not any(cells):
                    continue
                yield number, {f: (cells[i] if i < len(cells) else "") for f, i in index.items()}
        except (UnicodeDecodeError, csv.Error) as error:
            raise ValidationError(
                _("Line %(line)s of the file cannot be read: %(error)s")
                % {"line": number + 1, "error": error}
            ) from None


# django-helpdesk (the closest open-source peer): its ticket states and priorities.
HELPDESK_STATUS = {3: "resolved", 4: "closed", 5: "cancelled"}  # 1 open, 2 reopened: not history
HELPDESK_OPEN = {1: "open", 2: "reopened"}


@contextmanager
def helpdesk_connection(target: str) -> Iterator[Any]:
    """A DB-API connection to django-helpdesk's database: an SQLite file (a path or sqlite:///path)
    or a PostgreSQL URL (postgres://user:password@host/name), read-only."""
    if target.startswith(("postgres://", "postgresql://")):
        import psycopg

        conn: Any = psycopg.connect(target)
        conn.read_only = True
    else:
        path = target.removeprefix("sqlite:///").removeprefix("sqlite://")
        if not Path(path).is_file():
            raise ValidationError(_("There is no SQLite file at %(path)s.") % {"path": path})
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def _has_table(conn: Any, name: str) -> bool:
    cursor = conn.cursor()
    try:
        cursor.execute(f"SELECT 1 FROM {name} WHERE 1 = 0")  # noqa: S608 (a fixed name, not input)
    except Exception:
        conn.rollback()
        return False
    return True


def helpdesk_count(conn: Any) -> int:
    cursor = conn.cursor()
    cursor.execute("SELECT COUNT(*) FROM helpdesk_ticket")
    return int(cursor.fetchone()[0])


def _has_columns(conn: Any, table: str, columns: str) -> bool:
    return _has_table(conn, f"(SELECT {columns} FROM {table}) AS probe")  # noqa: S608 (fixed names)


FOLLOWUPS_PER_QUERY = 500  # ticket ids in one IN (...): below every SQLite's limit on parameters


def _followup_authors(conn: Any) -> tuple[str, str]:
    """The join and the columns that name a follow-up's author, as far as the database has them (asked
    before the tickets are read: a failed probe rolls back)."""
    users = _has_table(conn, "auth_user")
    names = users and _has_columns(conn, "auth_user", "first_name, last_name")
    join = "LEFT JOIN auth_user u ON u.id = f.user_id" if users else ""
    author = "u.username, u.email" if users else "NULL, NULL"
    author += ", u.first_name, u.last_name" if names else ", NULL, NULL"
    return join, author


def helpdesk_followups(
    conn: Any, ticket_ids: list[int], authors: tuple[str, str]
) -> dict[int, list[dict[str, Any]]]:
    """The follow-ups of these tickets, oldest first, with their author (username, e-mail and name when
    django-helpdesk's auth_user is there): the comments of the incidents they become."""
    join, author = authors
    marker = "?" if isinstance(conn, sqlite3.Connection) else "%s"
    found: dict[int, list[dict[str, Any]]] = {}
    cursor = conn.cursor()
    for start in range(0, len(ticket_ids), FOLLOWUPS_PER_QUERY):
        ids = ticket_ids[start : start + FOLLOWUPS_PER_QUERY]
        cursor.execute(
            f"""SELECT f.id, f.ticket_id, f.date, f.title, f.comment, f.public, {author}
                FROM helpdesk_followup f {join}
                WHERE f.ticket_id IN ({", ".join([marker] * len(ids))})
                ORDER BY f.ticket_id, f.date, f.id""",  # noqa: S608 (fixed names and markers only)
            ids,
        )
        for followup_id, ticket_id, date, title, comment, public, username, email, first, last in cursor:
            found.setdefault(int(ticket_id), []).append(
                {
                    "id": str(followup_id),
                    "date": _utc(date),
                    "title": title or "",
                    "comment": comment or "",
                    "public": bool(public),
                    "username": username or "",
                    "email": email or "",
                    "name": " ".join(n for n in (first, last) if n),
                }
            )
    return found


def helpdesk_rows(conn: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """django-helpdesk's tickets as fields: queue -> group, priority 1-5 -> P1-P5, status -> state;
    the resolution is the ticket's, the resolved and closed times the follow-ups' that set them, and
    the follow-ups themselves the incident's comments (``comments``)."""
    if not _has_table(conn, "helpdesk_ticket"):
        raise ValidationError(_("The database has no helpdesk_ticket table: is it django-helpdesk's?"))
    users = _has_table(conn, "auth_user")
    user_join = "LEFT JOIN auth_user u ON u.id = t.assigned_to_id" if users else ""
    user_col = "u.username" if users else "NULL"
    authors = _followup_authors(conn)
    sql = f"""
        SELECT t.id, t.title, t.description, t.created, t.modified, t.status, t.priority,
               t.resolution, t.submitter_email, q.title, {user_col},
               (SELECT MAX(f.date) FROM helpdesk_followup f WHERE f.ticket_id = t.id AND f.new_status = 3),
               (SELECT MAX(f.date) FROM helpdesk_followup f WHERE f.ticket_id = t.id AND f.new_status = 4)
        FROM helpdesk_ticket t
        LEFT JOIN helpdesk_queue q ON q.id = t.queue_id
        {user_join}
        ORDER BY t.id
    """  # noqa: S608 (only the fixed join above is formatted in)
    cursor = conn.cursor()
    cursor.execute(sql)
    number = 0
    while chunk := cursor.fetchmany(2000):
        followups = helpdesk_followups(conn, [int(row[0]) for row in chunk], authors)
        for (
            ticket_id,
            title,
            description,
            created,
            modified,
            status,
            priority,
            resolution,
            submitter,
            queue,
            assignee,
            resolved,
            closed,
        ) in chunk:
            number += 1
            state = HELPDESK_STATUS.get(int(status or 0), HELPDESK_OPEN.get(int(status or 0), str(status)))
            yield (
                number,
                {
                    "external_id": str(ticket_id),
                    "title": title,
                    "description": description or "",
                    "opened_at": _utc(created),
                    "resolved_at": _utc(resolved or (modified if state in ("resolved", "closed") else None)),
                    "closed_at": _utc(closed or (modified if state == "closed" else None)),
                    "status": state,
                    "priority": priority,
                    "group": queue or "",
                    "caller": submitter or "",
                    "assigned_to": assignee or "",
                    "resolution_notes": resolution or "",
                    "comments": followups.get(int(ticket_id), []),
                },
            )


def _utc(value: Any) -> Any:
    """django-helpdesk's times: Django keeps them in UTC (naive text in SQLite, aware in PostgreSQL)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value  # the importer refuses the row with its reason
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


HELPDESK_MAPPING: dict[str, Any] = {
    "columns": {name: name for name in ("external_id", "title", "opened_at", "status")},
}
