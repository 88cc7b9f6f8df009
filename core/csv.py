"""CSV exports: streamed row by row, every cell neutralised against spreadsheet formula injection.

A cell that starts with ``=``, ``+``, ``-``, ``@``, ``|``, ``%``, a tab or a carriage return is what a
spreadsheet may run as a formula or a DDE command (the class of iTop CVE-2021-41161; the characters
defusedcsv neutralises): it gets a leading apostrophe, which spreadsheets show as text. Numbers are
written as numbers, so negative figures stay numbers; dates and times in ISO 8601.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from django.http import StreamingHttpResponse

DANGEROUS = ("=", "+", "-", "@", "|", "%", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell to write for ``value``: text a spreadsheet shows as text, or a number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = value.isoformat() if isinstance(value, date) else str(value)  # a datetime is a date
    if text.startswith(DANGEROUS):
        return "'" + text
    return text


class _Echo:
    """A file that hands back what is written: ``csv.writer`` then yields lines to stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow([neutralise(v) for v in row])


def csv_response(
    filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """Rows streamed as a CSV download: a long export is never held in memory."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
