"""Charts for mail and PDF: PNG images drawn server-side by matplotlib (Agg backend, no display)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib
from django.utils.translation import gettext as _

matplotlib.use("Agg")

from matplotlib.figure import Figure


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def bar_chart(title: str, labels: list[str], series: dict[str, list[float]]) -> bytes:
    fig = Figure(figsize=(6, 3))
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(labels))], values, width=width, label=name)
    ax.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(labels))], labels, fontsize=8)
    ax.set_title(title)
    if len(series) > 1:
        ax.legend(fontsize=8)
    return _png(fig)


def report_charts(data: dict[str, Any]) -> dict[str, bytes]:
    """Content-ID → PNG for a snapshot's mail."""
    prio = data["breakdown"]["priority"]
    sla = data["sla_by_priority"]
    return {
        "chart-priority": bar_chart(
            _("Incidents by priority"),
            [r["label"] for r in prio],
            {_("Logged"): [r["logged"] for r in prio], _("Resolved"): [r["resolved"] for r in prio]},
        ),
        "chart-sla": bar_chart(
            _("Resolution SLA met by priority (%)"),
            [r["label"] for r in sla],
            {_("Resolution met"): [round((r["resolution_rate"] or 0) * 100, 1) for r in sla]},
        ),
    }
