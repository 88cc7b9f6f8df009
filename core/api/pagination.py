"""Cursor pagination with an ordering allow-list, shared by every API list.

It is ``core.paging`` (the keyset pages of the web queues too) under DRF's pagination interface:
the response is ``{"next", "previous", "results"}``, the cursor travels in ``?cursor=``, the
page size in ``?page_size=`` and the order in ``?ordering=``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param

from core import paging


class ApiCursorPagination(BasePagination):
    """Keyset pages in the view's ``ordering``, or in one a client picks from its
    ``ordering_choices`` (name → columns). Every column order ends with a unique one
    (``core.paging`` appends the primary key otherwise), so ties page correctly."""

    cursor_query_param = "cursor"
    cursor_query_description = "The pagination cursor value."
    page_size: int = api_settings.PAGE_SIZE or 50
    page_size_query_param = "page_size"
    page_size_query_description = "Number of results to return per page."
    max_page_size = 100
    ordering_param = "ordering"
    invalid_cursor_message = "Invalid cursor"

    def get_ordering(self, request: Request, view: Any) -> tuple[str, ...]:
        choices: dict[str, tuple[str, ...]] = getattr(view, "ordering_choices", {})
        value = request.query_params.get(self.ordering_param)
        if value is None or not choices:
            return tuple(view.ordering)
        if value not in choices:
            raise ValidationError(
                {self.ordering_param: [_("Order by one of: %(choices)s.") % {"choices": ", ".join(choices)}]}
            )
        return choices[value]

    def get_page_size(self, request: Request) -> int:
        try:
            size = int(request.query_params[self.page_size_query_param])
        except (KeyError, ValueError):
            return self.page_size
        return min(size, self.max_page_size) if size > 0 else self.page_size

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list | None:
        self.base_url = request.build_absolute_uri()
        try:
            self.page = paging.paginate(
                queryset,
                self.get_ordering(request, view),
                cursor=request.query_params.get(self.cursor_query_param) or None,
                size=self.get_page_size(request),
            )
        except paging.InvalidCursor:
            # A cursor is the client's input too: a forged one is a 400, never a database error.
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None
        return self.page.rows

    def _link(self, cursor: str | None) -> str | None:
        return None if cursor is None else replace_query_param(self.base_url, self.cursor_query_param, cursor)

    def get_next_link(self) -> str | None:
        return self._link(self.page.next_cursor)

    def get_previous_link(self) -> str | None:
        return self._link(self.page.previous_cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        def link(example: str) -> dict[str, Any]:
            return {
                "type": "string",
                "nullable": True,
                "format": "uri",
                "example": f"http://api.example.org/accounts/?{self.cursor_query_param}={example}",
            }

        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": link('cD00ODY%3D"'), "previous": link("cj0xJnA9NDg3"), "results": schema},
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": self.cursor_query_description,
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": self.page_size_query_description,
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
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
