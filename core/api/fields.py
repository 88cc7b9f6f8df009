"""Serializer fields every API shares."""

from __future__ import annotations

from datetime import datetime

from rest_framework import serializers


class IsoDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a numeric offset (``+01:00``, ``+00:00``), never a bare ``Z``."""

    def to_representation(self, value: datetime) -> str:
        return self.enforce_timezone(value).isoformat()
