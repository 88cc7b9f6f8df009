"""The monthly mail: HTML with key figures and inline PNG charts (by Content-ID), CSV and PDF attached."""

from __future__ import annotations

from email.mime.image import MIMEImage
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.translation import gettext

from core.mail import render_email
from profiles.locale import in_locale_of

from . import charts, exports, pdf
from .models import MonthlyReport
from .periods import Month
from .presentation import key_figures


def previous_data(report: MonthlyReport) -> dict[str, Any] | None:
    previous = Month.of(report.month).previous()
    before = MonthlyReport.objects.filter(month=previous.first_day).first()
    return before.data if before else None


def report_message(report: MonthlyReport, *, to: str, site_url: str = "") -> EmailMultiAlternatives:
    # Written (mail, CSV and PDF) in the recipient's language and time zone.
    with in_locale_of(address=to):
        return _report_message(report, to=to, site_url=site_url)


def _report_message(report: MonthlyReport, *, to: str, site_url: str = "") -> EmailMultiAlternatives:
    month = Month.of(report.month)
    data = report.data
    images = charts.report_charts(data)
    context = {
        "report": report,
        "month": month,
        "data": data,
        "figures": key_figures(data, previous_data(report)),
        "chart_ids": list(images),
        "site_url": site_url or getattr(settings, "SITE_URL", ""),
    }
    rendered = render_email("reporting/email/monthly_report", context)
    message = EmailMultiAlternatives(rendered.subject, rendered.text, to=[to])
    message.mixed_subtype = "mixed"
    message.attach_alternative(rendered.html, "text/html")
    for cid, png in images.items():
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{cid}>")
        image.add_header("Content-Disposition", "inline", filename=f"{cid}.png")
        message.attach(image)
    message.attach(f"report-{month}.csv", exports.report_csv_text(data), "text/csv")
    message.attach(
        f"report-{month}.pdf",
        pdf.report_pdf(
            data,
            title=gettext("Incident report %(month)s") % {"month": month.label},
            charts=images,
            version=report.code_version,
        ),
        "application/pdf",
    )
    return message
