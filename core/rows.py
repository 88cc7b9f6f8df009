"""Writing the same columns of many rows with one statement.

Django's ``bulk_update`` builds a ``CASE WHEN pk = … THEN …`` expression per row and column and resolves
each through the ORM: for a hundred incidents and fourteen columns, thousands of expressions, most of the
SLA sweep's time (issue 25 §5). On PostgreSQL, ``rows_update`` sends the values as one ``VALUES`` list
joined to the table by primary key instead, each column cast to its own type. Elsewhere (SQLite, the
embedded default) each row is saved as ``Model.save(update_fields=…)`` would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connections, models, router


def rows_update(objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of every object in ``objs`` (saved rows of one model) to its row, in one
    statement on PostgreSQL. Returns how many rows were written. Signals are not sent, as with
    ``QuerySet.update`` and ``bulk_update``."""
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        for obj in objs:
            obj.save(update_fields=list(fields))
        return len(objs)
    columns = [cast(models.Field, meta.get_field(name)) for name in fields]
    pk = meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    names = [quote(f.column) for f in (pk, *columns)]
    casts = [f"%s::{f.db_type(connection)}" for f in (pk, *columns)]
    row = f"({', '.join(casts)})"
    params: list[Any] = []
    for obj in objs:
        params.append(pk.get_db_prep_save(obj.pk, connection))
        params += [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns]
    table = quote(meta.db_table)
    # the names are the model's, quoted by the backend; every value is a parameter
    sql = (
        f"UPDATE {table} SET {', '.join(f'{n} = v.{n}' for n in names[1:])} "  # noqa: S608
        f"FROM (VALUES {', '.join([row] * len(objs))}) AS v({', '.join(names)}) "
        f"WHERE {table}.{names[0]} = v.{names[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
