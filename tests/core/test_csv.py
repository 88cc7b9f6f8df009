"""The one CSV writer (core.csv) that every export streams through: cells a spreadsheet would run
as a formula are shown as text (issue 20 §3)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from core.csv import csv_lines, csv_response, neutralise


@pytest.mark.parametrize(
    "payload",
    [
        '=HYPERLINK("http://evil.example")',
        "+SUM(1+1)",
        "-2+3",
        "@SUM(A1)",
        "|cmd /C calc",
        "%APPDATA%",
        "\tx=1",
        "\rx=1",
    ],
)
def test_a_cell_starting_with_a_formula_character_is_prefixed_so_it_reads_as_text(payload: str) -> None:
    assert neutralise(payload) == "'" + payload


def test_other_cells_are_written_as_they_are() -> None:
    assert neutralise("plain") == "plain"
    assert neutralise("a=b|c") == "a=b|c"  # only the first character decides
    assert neutralise(-3) == -3 and neutralise(2.5) == 2.5  # numbers stay numbers, negative ones too
    assert neutralise(None) == ""
    assert neutralise(True) == "yes" and neutralise(False) == "no"
    assert neutralise(datetime(2026, 2, 10, 10, 0, tzinfo=UTC)) == "2026-02-10T10:00:00+00:00"
    assert neutralise(date(2026, 2, 10)) == "2026-02-10"


def test_the_header_and_every_row_are_neutralised() -> None:
    text = "".join(csv_lines(["=h", "b"], [["-x", 1], ["ok", "@y"]]))
    assert list(csv.reader(io.StringIO(text))) == [["'=h", "b"], ["'-x", "1"], ["ok", "'@y"]]


def test_the_response_streams_a_download() -> None:
    response = csv_response("x.csv", ["a"], iter([["%b"]]))
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert b"".join(response.streaming_content).decode().splitlines() == ["a", "'%b"]
