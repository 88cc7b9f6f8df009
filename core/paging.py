"""Keyset ("seek") pagination of any ordered queryset: the one implementation behind the web
queues and every API list.

A page is cut with a WHERE on the ordering values of the row it follows, never with OFFSET, so
the hundredth page costs what the first does, and a row inserted meanwhile shifts nothing.

- **Ordering.** A tuple of Django ``order_by`` names (``"-created_at"``, ``"id"``) of concrete,
  non-null fields of the model; directions may be mixed. The last column must tell rows apart:
  when no column is unique the primary key is appended (in the last column's direction).
- **Cursor.** Opaque to clients: URL-safe base64 of a JSON list ``[direction, *values]`` where
  ``direction`` is ``"n"`` (rows after the position) or ``"p"`` (rows before it) and each value
  is the field's ``value_to_string`` of the boundary row. Decoding runs the field's own
  ``to_python`` and validators, so a forged cursor raises ``InvalidCursor`` (the surfaces turn it
  into a 400 or a message), never a database error.
- **Cost.** One query: ``size + 1`` rows are fetched to know whether another page follows. A
  ``previous`` cursor that finds nothing before it (forged, or the rows are gone) falls back to
  the first page, with one more query.
- **Index use.** The WHERE is ``c1 >= v1 AND ((c1 > v1) OR (c1 = v1 AND c2 < v2) OR ...)`` (the
  comparison flipped per column for descending ones): the leading range lets an index on the
  ordering columns start the scan at the position, whatever the mix of directions.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

T = TypeVar("T", bound=models.Model)

NEXT = "n"
PREVIOUS = "p"


class InvalidCursor(ValueError):
    """A cursor this module did not make for this ordering."""

    message = "This page link is not valid (it may have been altered); start again from the first page."


@dataclass(frozen=True)
class Column:
    field: models.Field
    descending: bool

    @property
    def name(self) -> str:
        return self.field.attname

    def order_by(self, *, reverse: bool = False) -> str:
        return f"-{self.name}" if self.descending != reverse else self.name

    def beyond(self, value: Any, *, reverse: bool, inclusive: bool = False) -> Q:
        """Rows past ``value`` in this column's direction (before it when ``reverse``)."""
        lookup = "lt" if self.descending != reverse else "gt"
        return Q(**{f"{self.name}__{lookup}{'e' if inclusive else ''}": value})


def columns_for(model: type[models.Model], ordering: Sequence[str]) -> tuple[Column, ...]:
    """The ordering's columns, ending with a unique one. A programming error raises
    ``ImproperlyConfigured``: ordering by a nullable or unknown column could skip rows."""
    if not ordering:
        raise ImproperlyConfigured(f"Keyset pagination of {model.__name__} needs an ordering.")
    columns: list[Column] = []
    for name in ordering:
        descending = name.startswith("-")
        field_name = name.lstrip("-")
        try:
            field = model._meta.pk if field_name == "pk" else model._meta.get_field(field_name)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(f"{model.__name__} has no field {field_name!r} to order by.") from None
        if not isinstance(field, models.Field) or not field.concrete or field.null:
            raise ImproperlyConfigured(
                f"Keyset pagination orders by concrete non-null columns, "
                f"and {model.__name__}.{field_name} is not one."
            )
        columns.append(Column(field, descending))
    if not any(c.field.unique for c in columns):
        columns.append(Column(model._meta.pk, columns[-1].descending))
    return tuple(columns)


def order(queryset: QuerySet[T], ordering: Sequence[str]) -> QuerySet[T]:
    """``queryset`` in the given order with its unique tiebreaker, as the pages cut it (for
    exports that stream the same rows in the same order)."""
    return queryset.order_by(*(c.order_by() for c in columns_for(queryset.model, ordering)))


# --- cursors -----------------------------------------------------------------------------------


def encode_cursor(row: models.Model, columns: Sequence[Column], *, direction: str = NEXT) -> str:
    values = [direction, *(c.field.value_to_string(row) for c in columns)]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, columns: Sequence[Column]) -> tuple[str, list[Any]]:
    """The direction and position a cursor holds; ``InvalidCursor`` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor from None
    if (
        not isinstance(values, list)
        or len(values) != len(columns) + 1
        or values[0] not in (NEXT, PREVIOUS)
        or not all(isinstance(v, str) for v in values[1:])
    ):
        raise InvalidCursor
    position = [_field_value(column.field, text) for column, text in zip(columns, values[1:], strict=True)]
    return values[0], position


def _field_value(field: models.Field, text: str) -> Any:
    if "\x00" in text:
        raise InvalidCursor
    try:
        value = field.to_python(text)
        field.run_validators(value)  # max_length, the database's integer range, …
    except (ValidationError, ValueError, TypeError, OverflowError):
        raise InvalidCursor from None
    if value is None or (isinstance(value, datetime) and settings.USE_TZ and timezone.is_naive(value)):
        raise InvalidCursor
    return value


# --- pages -------------------------------------------------------------------------------------


@dataclass
class Page(Generic[T]):
    rows: list[T]
    next_cursor: str | None
    previous_cursor: str | None


def _past(columns: Sequence[Column], position: Sequence[Any], *, reverse: bool) -> Q:
    """Rows strictly past ``position`` in the order (before it when ``reverse``)."""
    condition = Q()
    equal = Q()
    for column, value in zip(columns, position, strict=True):
        condition |= equal & column.beyond(value, reverse=reverse)
        equal &= Q(**{column.name: value})
    return columns[0].beyond(position[0], reverse=reverse, inclusive=True) & condition


def paginate(queryset: QuerySet[T], ordering: Sequence[str], *, cursor: str | None, size: int) -> Page[T]:
    """One page of ``queryset`` in ``ordering``: the rows after (or before) the cursor's
    position, at most ``size`` of them. Raises ``InvalidCursor`` for a cursor it did not make."""
    if size < 1:
        raise ValueError("A page holds at least one row.")
    columns = columns_for(queryset.model, ordering)
    direction, position = decode_cursor(cursor, columns) if cursor else (NEXT, [])
    reverse = direction == PREVIOUS
    qs = queryset.order_by(*(c.order_by(reverse=reverse) for c in columns))
    if position:
        qs = qs.filter(_past(columns, position, reverse=reverse))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if reverse:
        if not rows:  # nothing before this position: the first page is the closest thing
            return paginate(queryset, ordering, cursor=None, size=size)
        rows.reverse()
        return Page(
            rows=rows,
            next_cursor=encode_cursor(rows[-1], columns, direction=NEXT),
            previous_cursor=encode_cursor(rows[0], columns, direction=PREVIOUS) if more else None,
        )
    return Page(
        rows=rows,
        next_cursor=encode_cursor(rows[-1], columns, direction=NEXT) if more else None,
        previous_cursor=encode_cursor(rows[0], columns, direction=PREVIOUS) if position and rows else None,
    )
