"""CSV files and mappings for the import tests."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

HEADER = [
    "Ticket",
    "Summary",
    "Details",
    "Opened",
    "Resolved",
    "Closed",
    "State",
    "Prio",
    "Category",
    "Sub",
    "Service",
    "Team",
    "Requester",
]

MAPPING: dict[str, Any] = {
    "columns": {
        "external_id": "Ticket",
        "title": "Summary",
        "description": "Details",
        "opened_at": "Opened",
        "resolved_at": "Resolved",
        "closed_at": "Closed",
        "status": "State",
        "priority": "Prio",
        "category": "Category",
        "subcategory": "Sub",
        "service": "Service",
        "group": "Team",
        "caller": "Requester",
    },
    "status_values": {"erledigt": "closed"},
}


def row(ticket: str, **values: str) -> list[str]:
    base = {
        "Ticket": ticket,
        "Summary": f"Printer jam on floor {ticket}",
        "Details": "Paper stuck",
        "Opened": "2025-03-01 09:00",
        "Resolved": "2025-03-01 10:30",
        "Closed": "2025-03-04 10:30",
        "State": "Closed",
        "Prio": "4",
        "Category": "hardware",
        "Sub": "Printer",
        "Service": "Printing",
        "Team": "Service Desk",
        "Requester": "alice@example.org",
    }
    base.update(values)
    return [base[h] for h in HEADER]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture
def upload():
    def make(rows: list[list[str]], name: str = "old.csv") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, csv_bytes(rows), content_type="text/csv")

    return make
