"""Beat makes the month once; the mail goes over real SMTP once per subscriber, with both attachments."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from reporting.models import MonthlyReport, ReportDelivery, Subscriber
from reporting.periods import Month
from reporting.services import report_generate, subscriber_add
from reporting.tasks import monthly_report_task, report_delivery_send_task
from tests.factories import make_user
from tests.smtp import smtp_server, smtp_settings

pytestmark = pytest.mark.django_db


def test_beat_makes_the_previous_month_once_and_mails_each_subscriber_once(
    manager, incident_manager, agent, alice, settings, time_machine
):
    from tests.factories import make_incident

    incident_manager.email = "im1@example.org"
    incident_manager.save()
    admin = make_user("root1", is_superuser=True)
    extra = make_user("quality1", email="quality@example.org")
    subscriber_add(actor=admin, user=extra)
    time_machine.move_to("2026-09-15 10:00:00+01:00", tick=False)
    for _ in range(3):
        make_incident(actor=agent, caller=alice)
    time_machine.move_to("2026-10-01 02:15:00+01:00", tick=False)
    report_generate(month=Month(2026, 8))  # August, for the month-over-month arrows

    with smtp_server() as (recorder, port):
        for key, value in smtp_settings(port).items():
            setattr(settings, key, value)
        assert monthly_report_task() == "2026-09"
        assert monthly_report_task() == "2026-09"  # a second beat, or a retry
        assert report_generate(month=Month(2026, 9), automatic=True) is None
        assert MonthlyReport.objects.filter(month="2026-09-01").count() == 1
        deliveries = list(ReportDelivery.objects.order_by("email"))
        assert {d.email for d in deliveries} == {
            "manager1@example.org",
            "im1@example.org",
            "quality@example.org",
        }
        for d in deliveries:
            assert report_delivery_send_task(d.pk) is True
            assert report_delivery_send_task(d.pk) is False  # sent already: never twice
        assert len(recorder.messages) == 3

    message = recorder.to("manager1@example.org")[0]
    assert message["Subject"] == "Incident report September 2026"
    html = message.get_body(("html",)).get_content()
    assert "Logged" in html and "▲" in html and "up from" in html and "<script" not in html
    cids = [part["Content-ID"] for part in message.walk() if part.get_content_type() == "image/png"]
    assert cids and all(f'src="cid:{cid.strip("<>")}"' in html for cid in cids)
    assert "http://" not in html.replace(settings.SITE_URL, "")  # no external images or scripts
    attachments = {part.get_filename(): part for part in message.iter_attachments() if part.get_filename()}
    assert "report-2026-09.csv" in attachments and "report-2026-09.pdf" in attachments
    csv_text = attachments["report-2026-09.csv"].get_content()
    assert "logged,3" in csv_text
    pdf = PdfReader(io.BytesIO(attachments["report-2026-09.pdf"].get_content()))
    assert len(pdf.pages) >= 1
    text = "".join(page.extract_text() for page in pdf.pages)
    assert (
        "Incident report September 2026" in text and "Logged: 3" in text and "Backlog at month end: 3" in text
    )


def test_only_an_administrator_adds_subscribers(manager):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        subscriber_add(actor=manager, user=manager)
    assert not Subscriber.objects.exists()
