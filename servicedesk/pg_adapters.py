"""Timestamps read from PostgreSQL by psycopg's compiled loader, not a pure-Python one.

Django (5.2) reads every ``timestamptz`` through its own loader, ``BaseTzLoader``, a subclass of psycopg's
*Python* ``TimestamptzLoader``: with ``psycopg[binary]`` installed, each date is still parsed in Python
(Django ticket #36960; psycopg's compiled loader is final, so Django cannot subclass it, psycopg #1273).
A queue page reads some 250 of them, the API list nearly 500: about 6 µs each, 1.5–3 ms a request at
1 M incidents (issue 25 §6).

The loader registered here is still Django's class (its ``timezone`` is what ``create_cursor`` compares),
but where the connection's own time zone is the one Django wants, which ``ensure_timezone`` sees to for
every connection, each instance hands its ``load`` to psycopg's compiled loader. That loader gives the
connection's zone to what it reads, the same ``datetime.UTC`` that Django's ``replace`` would have set;
on any other connection the instance keeps Django's Python path.
"""

from __future__ import annotations

import datetime
from typing import Any


def register_compiled_timestamptz_loader() -> None:
    """On the adapters that Django's PostgreSQL connections in UTC start from (``USE_TZ``)."""
    from django.conf import settings

    if not settings.USE_TZ:
        return
    try:
        from django.db.backends.postgresql.psycopg_any import BaseTzLoader, get_adapters_template
        from psycopg import adapters
        from psycopg.pq import Format
    except ImportError:  # psycopg 3 is not installed (SQLite only)
        return
    oid = adapters.types["timestamptz"].oid
    compiled = adapters.get_loader(oid, Format.TEXT)
    if compiled is None or compiled.__module__.startswith("psycopg.types"):
        return  # the pure-Python psycopg: Django's loader is as fast as any
    fast: Any = compiled

    class CompiledUTCLoader(BaseTzLoader):
        timezone = datetime.UTC

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            connection = getattr(context, "connection", None)
            if connection is not None and connection.info.timezone is datetime.UTC:
                self.load = fast(oid, context).load

    get_adapters_template(True, datetime.UTC).register_loader("timestamptz", CompiledUTCLoader)
