"""The column mapping of a CSV import: which column of the file feeds which field of an incident.

Given in the import page (one choice per field) or as a JSON/YAML file, e.g.::

    {"columns": {"external_id": "Ticket", "title": "Summary", "opened_at": "Created"},
     "date_format": "%d/%m/%Y %H:%M", "status_values": {"done": "closed"}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Our fields, in the order the page shows them; the first three are required.
FIELDS: dict[str, Any] = {
    "external_id": gettext_lazy("Ticket id in the source (required)"),
    "title": gettext_lazy("Title (required)"),
    "opened_at": gettext_lazy("Opened at (required)"),
    "status": gettext_lazy("Status"),
    "resolved_at": gettext_lazy("Resolved at"),
    "closed_at": gettext_lazy("Closed at"),
    "description": gettext_lazy("Description"),
    "priority": gettext_lazy("Priority (1-5)"),
    "category": gettext_lazy("Category"),
    "subcategory": gettext_lazy("Subcategory"),
    "service": gettext_lazy("Service"),
    "group": gettext_lazy("Assignment group"),
    "caller": gettext_lazy("Caller (username or e-mail)"),
    "assigned_to": gettext_lazy("Assigned to (username or e-mail)"),
    "resolution_notes": gettext_lazy("Resolution notes"),
    "comments": gettext_lazy("Comments (kept as one internal comment)"),
}
REQUIRED = ("external_id", "title", "opened_at")

# Source statuses (lower case) and the state they become. Only finished work is history: a ticket
# still open in the old tool is refused (finish it there, or log it here as a new incident).
DEFAULT_STATUS_VALUES = {
    "closed": "closed",
    "close": "closed",
    "done": "closed",
    "completed": "closed",
    "resolved": "resolved",
    "solved": "resolved",
    "fixed": "resolved",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "duplicate": "cancelled",
    "rejected": "cancelled",
}
HISTORY_STATUSES = ("resolved", "closed", "cancelled")


@dataclass
class Mapping:
    columns: dict[str, str]
    date_format: str = ""  # empty: ISO 8601 (2024-03-01, 2024-03-01 14:05, 2024-03-01T14:05:00+01:00)
    status_values: dict[str, str] = field(default_factory=dict)
    default_status: str = "closed"  # when no status column is mapped
    default_group: str = ""  # a group's name when the row names none (empty: the service desk)

    def status_for(self, raw: str) -> str | None:
        key = raw.strip().lower()
        return {**DEFAULT_STATUS_VALUES, **self.status_values}.get(key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "date_format": self.date_format,
            "status_values": self.status_values,
            "default_status": self.default_status,
            "default_group": self.default_group,
        }


def mapping_from_dict(data: Any) -> Mapping:
    """A mapping from its dict form, every name and value checked (a clear error, never a crash)."""
    if not isinstance(data, dict):
        raise ValidationError(_("The mapping must be an object with a “columns” entry."))
    unknown_keys = set(data) - {"columns", "date_format", "status_values", "default_status", "default_group"}
    if unknown_keys:
        raise ValidationError(
            _("The mapping has unknown entries: %(names)s.") % {"names": ", ".join(sorted(unknown_keys))}
        )
    columns = data.get("columns")
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise ValidationError(_("“columns” must map field names to column names."))
    columns = {k: v for k, v in columns.items() if v}
    unknown = set(columns) - set(FIELDS)
    if unknown:
        raise ValidationError(
            _("The mapping names fields this product does not have: %(names)s. Known fields: %(known)s.")
            % {"names": ", ".join(sorted(unknown)), "known": ", ".join(FIELDS)}
        )
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise ValidationError(
            _("Map a column to each required field: %(names)s.") % {"names": ", ".join(missing)}
        )
    status_values = data.get("status_values") or {}
    if not isinstance(status_values, dict):
        raise ValidationError(_("“status_values” must map source statuses to resolved, closed or cancelled."))
    bad = {str(v) for v in status_values.values()} - set(HISTORY_STATUSES)
    if bad:
        raise ValidationError(
            _("Imported history can only be resolved, closed or cancelled, not %(values)s.")
            % {"values": ", ".join(sorted(bad))}
        )
    default_status = str(data.get("default_status") or "closed")
    if default_status not in HISTORY_STATUSES:
        raise ValidationError(_("The default status must be resolved, closed or cancelled."))
    return Mapping(
        columns=columns,
        date_format=str(data.get("date_format") or ""),
        status_values={str(k).strip().lower(): str(v) for k, v in status_values.items()},
        default_status=default_status,
        default_group=str(data.get("default_group") or ""),
    )


def mapping_from_text(text: str) -> Mapping:
    """A mapping file: JSON, or YAML (a superset of JSON)."""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValidationError(
                _("The mapping file is neither JSON nor YAML: %(error)s") % {"error": error}
            ) from None
    return mapping_from_dict(data)


def check_columns(mapping: Mapping, header: list[str]) -> None:
    """Every column the mapping names must be in the file's header."""
    missing = [c for c in mapping.columns.values() if c not in header]
    if missing:
        raise ValidationError(
            _("The file has no column named %(names)s. Its columns are: %(header)s.")
            % {"names": ", ".join(f"“{c}”" for c in missing), "header": ", ".join(header)}
        )
