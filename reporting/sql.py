"""``percentile_cont`` for Django: PostgreSQL's ordered-set aggregate, and the same function on SQLite.

SQLite has no ``percentile_cont``; ``register_sqlite_functions`` adds one with PostgreSQL's
definition (linear interpolation between the two nearest ranks), so that both back ends give the
same numbers. ``percentile_cont`` below is that definition in Python, and tests hold it against
PostgreSQL's on the same values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.db.models import Aggregate, FloatField


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY v)``; None for no values."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    return float(ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower]))


class _SqlitePercentile:
    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: Any, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return percentile_cont(self.values, self.fraction)


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("percentile_cont", 2, _SqlitePercentile)


class PercentileCont(Aggregate):
    function = "percentile_cont"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = f"percentile_cont({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = f"percentile_cont(%(expressions)s, {self.fraction!r})"
        return self.as_sql(compiler, connection, template=template, **extra)
