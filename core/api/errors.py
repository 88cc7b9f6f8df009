"""One error shape for the whole API: JSON with a readable ``detail``.

The domain's named errors become their HTTP answers here, so that views only call services:

- a ``core.errors.DomainError`` → its own ``status_code`` with ``detail`` plus its ``payload()``
  (``TransitionNotAllowed`` → 409; ``VersionConflict`` → 409 with ``current_version``);
- Django's ``PermissionDenied`` → 403, ``Http404`` → 404;
- a ``ValidationError`` (Django's or DRF's) → 400 with ``detail`` plus one key per invalid field;
- ``DataError`` (a value the database cannot store) → 400, never a 500.

Anything else falls through to DRF's own handler.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from core.errors import DomainError

NON_FIELD = "non_field_errors"


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=gettext_lazy("What went wrong, written for a person."))


class ValidationErrorSerializer(ErrorSerializer):
    """A 400: ``detail`` sums up; every invalid field is a key whose value lists its messages."""

    class Meta:
        ref_name = "ValidationError"


class ConflictSerializer(ErrorSerializer):
    current_version = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy(
            "Present when the incident changed after the client read it: the version it has now."
        ),
    )


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, list | tuple):
        return [m for value in detail for m in _flatten(value)]
    return [str(detail)]


def _summary(fields: dict[str, Any]) -> str:
    parts = []
    for name, messages in fields.items():
        text = " ".join(_flatten(messages))
        parts.append(text if name == NON_FIELD else f"{name}: {text}")
    return " ".join(parts) or "Invalid input."


def _validation_response(fields: dict[str, Any]) -> Response:
    set_rollback()
    return Response(validation_error_body(fields), status=status.HTTP_400_BAD_REQUEST)


def validation_error_body(fields: dict[str, Any]) -> dict[str, Any]:
    """The body of a 400: ``detail`` sums up, then one key per invalid field."""
    return {"detail": _summary(fields), **fields}


def _django_validation_fields(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        return {(NON_FIELD if k == "__all__" else k): v for k, v in exc.message_dict.items()}
    return {NON_FIELD: exc.messages}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        set_rollback()
        return Response({"detail": exc.message, **exc.payload()}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        return _validation_response(_django_validation_fields(exc))
    if isinstance(exc, DataError):
        return _validation_response({NON_FIELD: ["A value is out of the range this field can store."]})
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {NON_FIELD: detail}
        return _validation_response(dict(fields))
    return exception_handler(exc, context)


# Shared response documentation: every operation lists the errors it can answer with.
E400 = OpenApiResponse(
    ValidationErrorSerializer, description="Invalid input: `detail` plus one key per field."
)
E401 = OpenApiResponse(ErrorSerializer, description="Not authenticated.")
E403 = OpenApiResponse(ErrorSerializer, description="Authenticated, but not allowed to do this.")
E404 = OpenApiResponse(ErrorSerializer, description="No such object, or not one this user may see.")
E409 = OpenApiResponse(
    ConflictSerializer,
    description="The lifecycle forbids the move, or the incident changed since the client read it "
    "(`current_version` then says the version it has now).",
)
E429 = OpenApiResponse(ErrorSerializer, description="Too many requests: retry after `Retry-After` seconds.")

READ_ERRORS = {401: E401, 403: E403, 404: E404}
WRITE_ERRORS = {400: E400, 401: E401, 403: E403, 404: E404, 409: E409, 429: E429}
