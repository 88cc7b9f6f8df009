"""Cursor pagination with an ordering allow-list, shared by every API list."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class ApiCursorPagination(CursorPagination):
    """Cursor pagination whose order a client may pick from the view's ``ordering_choices``.

    Only near-unique columns are offered: a cursor positions on the first ordering column, so
    ordering by a column with many ties (priority) would page badly.
    """

    page_size_query_param = "page_size"
    max_page_size = 100
    ordering_param = "ordering"

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> tuple[str, ...]:
        choices: dict[str, tuple[str, ...]] = getattr(view, "ordering_choices", {})
        value = request.query_params.get(self.ordering_param)
        if value is None or not choices:
            return tuple(view.ordering)
        if value not in choices:
            raise ValidationError({self.ordering_param: [f"Order by one of: {', '.join(choices)}."]})
        return choices[value]

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list | None:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Any:
        """A cursor is the client's input too: a forged one is a 400, never a database error."""
        invalid = ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid from None
        if cursor is None or cursor.position is None:
            return cursor
        try:
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
            if "\x00" in str(cursor.position):
                raise ValueError
            field.to_python(cursor.position)
        except (FieldDoesNotExist, DjangoValidationError, ValueError, TypeError, OverflowError):
            raise invalid from None
        return cursor

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        choices = getattr(view, "ordering_choices", {})
        if choices:
            parameters.append(
                {
                    "name": self.ordering_param,
                    "required": False,
                    "in": "query",
                    "description": "Sort order; a leading `-` sorts descending.",
                    "schema": {"type": "string", "enum": list(choices)},
                }
            )
        return parameters
