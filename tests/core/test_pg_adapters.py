"""Timestamps come back from PostgreSQL through psycopg's compiled loader (``servicedesk.pg_adapters``),
as the same aware datetimes as Django's own Python loader gives."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import adapters
from psycopg.adapt import Transformer
from psycopg.pq import Format

from incidents.models import Incident
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db

OID = adapters.types["timestamptz"].oid
STAMPS = [
    "2026-12-07 08:26:15.304775+00",
    "2026-03-29 01:30:00+01",  # an offset: the same instant in UTC
    "2026-10-25 01:59:59.999999-07:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2000-02-29 12:00:00.5+00",
]


def _read(cursor: object) -> list[datetime.datetime]:
    cursor.execute(  # type: ignore[attr-defined]
        "SELECT s::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(s, n) ORDER BY n", [STAMPS]
    )
    return [row[0] for row in cursor.fetchall()]  # type: ignore[attr-defined]


def test_a_connection_reads_timestamps_with_psycopgs_compiled_loader():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        loader: Any = Transformer(cursor.cursor).get_loader(OID, Format.TEXT)
    compiled = adapters.get_loader(OID, Format.TEXT)
    assert compiled.__module__.startswith("psycopg_binary")
    assert type(loader.load.__self__) is compiled  # not the Python parser Django's loader inherits
    assert loader.timezone is connection.timezone is datetime.UTC  # what Django's create_cursor compares


def test_the_compiled_loader_gives_what_djangos_own_loader_gives():
    with connection.cursor() as cursor:
        ours = _read(cursor)
    with connection.cursor() as cursor:
        register_tzloader(datetime.UTC, cursor.cursor)  # Django's Python loader, on this cursor only
        djangos = _read(cursor)
    assert ours == djangos
    assert [d.tzinfo for d in ours] == [datetime.UTC] * len(STAMPS)
    assert ours[1] == datetime.datetime(2026, 3, 29, 0, 30, tzinfo=datetime.UTC)


def test_models_read_their_timestamps_aware_and_exact():
    incident = make_incident(actor=make_user("agent1", groups=["service-desk"]))
    stamp = datetime.datetime(2026, 12, 7, 8, 26, 15, 304775, tzinfo=datetime.UTC)
    Incident.objects.filter(pk=incident.pk).update(resolution_due_at=stamp)
    read = Incident.objects.get(pk=incident.pk).resolution_due_at
    assert read == stamp
    assert read is not None and read.tzinfo is datetime.UTC
