"""Key figures of a snapshot with their month-over-month change, shared by the pages, the mail and the PDF."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext, gettext_lazy

# (key, label, kind, better): kind "count", "rate" or "seconds"; better "up", "down" or "" (neutral).
KEY_FIGURES = [
    ("logged", gettext_lazy("Logged"), "count", ""),
    ("resolved", gettext_lazy("Resolved"), "count", "up"),
    ("closed", gettext_lazy("Closed"), "count", "up"),
    ("backlog_end", gettext_lazy("Backlog at month end"), "count", "down"),
    ("sla_response_compliance", gettext_lazy("Response SLA met"), "rate", "up"),
    ("sla_resolution_compliance", gettext_lazy("Resolution SLA met"), "rate", "up"),
    ("first_contact_resolution_rate", gettext_lazy("First-contact resolution"), "rate", "up"),
    ("reopen_rate", gettext_lazy("Reopen rate"), "rate", "down"),
    ("time_to_resolve.median_s", gettext_lazy("Median time to resolve (business)"), "seconds", "down"),
    ("time_to_resolve.p90_s", gettext_lazy("90th percentile time to resolve (business)"), "seconds", "down"),
]


def lookup(data: dict[str, Any] | None, key: str) -> Any:
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def fmt(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value * 100:.1f} %"
    if kind == "seconds":
        hours = value / 3600
        return f"{hours:.1f} h" if hours >= 1 else f"{value / 60:.0f} min"
    return f"{value:,}"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: Any
    text: str
    previous_text: str
    arrow: str  # ▲ ▼ or =
    change: str  # "better", "worse" or ""
    direction_words: str


def key_figures(data: dict[str, Any], previous: dict[str, Any] | None) -> list[Figure]:
    out = []
    for key, label, kind, better in KEY_FIGURES:
        value = lookup(data, key)
        before = lookup(previous, key) if previous else None
        arrow, change, words = "", "", gettext("no previous month")
        if value is not None and before is not None:
            if value > before:
                arrow, words = "▲", gettext("up from")
            elif value < before:
                arrow, words = "▼", gettext("down from")
            else:
                arrow, words = "=", gettext("same as")
            if better and arrow in "▲▼":
                change = "better" if (arrow == "▲") == (better == "up") else "worse"
        out.append(
            Figure(
                key,
                str(label),
                value,
                fmt(value, kind),
                fmt(before, kind) if before is not None else "",
                arrow,
                change,
                words,
            )
        )
    return out
