"""The monthly report's figures as tables, for its CSV, its PDF and the month page's exports.

The CSV writing and the neutralising of cells a spreadsheet would run are ``core.csv``'s, shared with
the incident queue's export.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext, gettext_lazy

from core.csv import csv_lines
from core.csv import csv_response as csv_response  # the reporting views' one way to a CSV

# The words a person reads for the tables' and columns' keys (the PDF): the CSV keeps the keys themselves,
# which stay the same in every language so that a spreadsheet or script reading them keeps working.
COLUMN_LABELS = {
    "summary": gettext_lazy("Summary"),
    "figure": gettext_lazy("Figure"),
    "value": gettext_lazy("Value"),
    "month": gettext_lazy("Month"),
    "period_start": gettext_lazy("Period start"),
    "period_end": gettext_lazy("Period end"),
    "logged": gettext_lazy("Logged"),
    "resolved": gettext_lazy("Resolved"),
    "closed": gettext_lazy("Closed"),
    "backlog_end": gettext_lazy("Backlog at month end"),
    "sla_response_compliance": gettext_lazy("Response SLA met"),
    "sla_resolution_compliance": gettext_lazy("Resolution SLA met"),
    "first_contact_resolution_rate": gettext_lazy("First-contact resolution"),
    "reopen_rate": gettext_lazy("Reopen rate"),
    "satisfaction_mean": gettext_lazy("Mean satisfaction"),
    "priority": gettext_lazy("Priority"),
    "category": gettext_lazy("Category"),
    "service": gettext_lazy("Service"),
    "group": gettext_lazy("Group"),
    "channel": gettext_lazy("Channel"),
    "tier": gettext_lazy("Tier"),
    "reached": gettext_lazy("Reached"),
    "escalated": gettext_lazy("Escalated"),
    "rate": gettext_lazy("Rate"),
    "response_met": gettext_lazy("Response met"),
    "response_rate": gettext_lazy("Response rate"),
    "resolution_met": gettext_lazy("Resolution met"),
    "resolution_rate": gettext_lazy("Resolution rate"),
    "sla_by_priority": gettext_lazy("SLA by priority"),
    "escalation_rate": gettext_lazy("Escalation rate"),
    "top_categories": gettext_lazy("Top categories"),
    "top_services": gettext_lazy("Top services"),
    "by_priority": gettext_lazy("By priority"),
    "by_category": gettext_lazy("By category"),
    "by_service": gettext_lazy("By service"),
    "by_group": gettext_lazy("By group"),
    "by_channel": gettext_lazy("By channel"),
    "time_by_group": gettext_lazy("Time worked by group"),
    "minutes": gettext_lazy("Minutes"),
    "entries": gettext_lazy("Entries"),
}


def column_label(key: str) -> Any:
    """A table's or column's label in the reader's language; an unknown key spelled out."""
    return COLUMN_LABELS.get(key) or key.replace("_", " ").capitalize()


def report_tables(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """A snapshot's figures as titled tables: the CSV attachment, the PDF and the month page's exports."""
    tables: list[tuple[str, list[str], list[list[Any]]]] = []
    tables.append(
        (
            "summary",
            ["figure", "value"],
            [
                ["month", data["month"]],
                ["period_start", data["period_start"]],
                ["period_end", data["period_end"]],
                ["logged", data["logged"]],
                ["resolved", data["resolved"]],
                ["closed", data["closed"]],
                ["backlog_end", data["backlog_end"]],
                ["sla_response_compliance", data["sla_response_compliance"]],
                ["sla_resolution_compliance", data["sla_resolution_compliance"]],
                ["first_contact_resolution_rate", data["first_contact_resolution_rate"]],
                ["reopen_rate", data["reopen_rate"]],
                *(
                    [f"{name}_{stat}", data[name][stat]]
                    for name in (
                        "time_to_respond",
                        "time_to_respond_wall",
                        "time_to_resolve",
                        "time_to_resolve_wall",
                    )
                    for stat in ("mean_s", "median_s", "p90_s")
                ),
                [
                    "satisfaction_mean",
                    (data.get("satisfaction") or {}).get("mean", gettext("not yet available")),
                ],
            ],
        )
    )
    for dim, rows in data["breakdown"].items():
        tables.append(
            (
                f"by_{dim}",
                [dim, "logged", "resolved", "closed", "backlog_end"],
                [[r["label"], r["logged"], r["resolved"], r["closed"], r["backlog_end"]] for r in rows],
            )
        )
    tables.append(
        (
            "sla_by_priority",
            ["priority", "resolved", "response_met", "response_rate", "resolution_met", "resolution_rate"],
            [
                [
                    r["label"],
                    r["resolved"],
                    r["response_met"],
                    r["response_rate"],
                    r["resolution_met"],
                    r["resolution_rate"],
                ]
                for r in data["sla_by_priority"]
            ],
        )
    )
    tables.append(
        (
            "escalation_rate",
            ["tier", "reached", "escalated", "rate"],
            [[r["tier"], r["reached"], r["escalated"], r["rate"]] for r in data["escalation_rate"]],
        )
    )
    tables.append(
        (
            "top_categories",
            ["category", "logged"],
            [[r["label"], r["logged"]] for r in data["top_categories"]],
        )
    )
    tables.append(
        ("top_services", ["service", "logged"], [[r["label"], r["logged"]] for r in data["top_services"]])
    )
    time_worked = data.get("time_worked")  # reports made before issue 23 have none
    if time_worked is not None:
        tables.append(
            (
                "time_by_group",
                ["group", "minutes", "entries"],
                [[r["label"] or r["key"] or "", r["minutes"], r["entries"]] for r in time_worked["by_group"]],
            )
        )
    return tables


def report_csv_rows(data: dict[str, Any]) -> Iterator[list[Any]]:
    """One CSV for the whole report: ``table, column…`` blocks separated by an empty row."""
    for title, header, rows in report_tables(data):
        yield [title, *header]
        for row in rows:
            yield ["", *row]
        yield []


def report_csv_text(data: dict[str, Any]) -> str:
    return "".join(csv_lines(["report", data["month"]], report_csv_rows(data)))
