"""The report as PDF, drawn with ReportLab (pure Python: no system libraries to install)."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .exports import column_label, report_tables
from .presentation import key_figures


def report_pdf(data: dict[str, Any], *, title: str, charts: dict[str, bytes], version: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, author=_("Service desk"), invariant=True)
    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(title, styles["Title"])]
    story.append(
        Paragraph(
            _("Period %(start)s to %(end)s (%(zone)s).")
            % {"start": data["period_start"], "end": data["period_end"], "zone": data["time_zone"]},
            styles["Normal"],
        )
    )
    story.append(Paragraph(_("Made by code version %(version)s.") % {"version": version}, styles["Normal"]))
    story.append(Spacer(1, 0.4 * cm))
    story.append(Paragraph(_("Key figures"), styles["Heading2"]))
    for figure in key_figures(data, None):
        story.append(Paragraph(f"{figure.label}: {figure.text}", styles["Normal"]))
    story.append(Spacer(1, 0.4 * cm))
    for png in charts.values():
        story.append(Image(io.BytesIO(png), width=14 * cm, height=7 * cm, kind="proportional"))
    for name, header, rows in report_tables(data):
        story.append(Spacer(1, 0.4 * cm))
        story.append(Paragraph(str(column_label(name)), styles["Heading3"]))
        table = Table(
            [
                [str(column_label(h)) for h in header],
                *[["" if v is None else str(v) for v in row] for row in rows],
            ],
            repeatRows=1,
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ]
            )
        )
        story.append(table)
    doc.build(story)
    return buffer.getvalue()
