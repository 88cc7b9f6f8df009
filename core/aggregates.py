"""``TextList``: the values of a group of rows joined with spaces, on PostgreSQL and SQLite alike.

PostgreSQL's ``string_agg`` (in value order) and SQLite's ``group_concat``; used for the short lists a
row shows or exports in its own query (an incident's tags), never to build text to parse back.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, CharField


class TextList(Aggregate):
    function = "STRING_AGG"
    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "STRING_AGG(%(expressions)s, ' ' ORDER BY %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="GROUP_CONCAT(%(expressions)s, ' ')", **extra)
