"""Retention: what is past its age is archived (read back by loaddata) then purged in batches; incidents,
pending mail and the review queue stay, and a monthly report regenerated after the purge is unchanged."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from incidents import services
from incidents.models import EventDelivery, Incident, IncidentEvent, Notification
from incidents.records.outbox import event_publish
from intake.models import InboundMessage, Outcome
from operations import retention
from operations.tasks import retention_purge_task
from reporting.models import MonthlyReport, ReportDelivery
from reporting.periods import Month
from reporting.services import delivery_mark, report_circulate, report_figures, report_generate
from tests.factories import make_incident, make_user

YEARS_AGO = timezone.now() - timedelta(days=3 * 365)


def _closed_incident(agent, alice) -> Incident:
    incident = make_incident(actor=agent, caller=alice)
    services.incident_comment(actor=agent, incident=incident, body="Replaced the toner", public=True)
    incident = services.incident_resolve(
        actor=agent,
        incident=Incident.objects.get(pk=incident.pk),
        expected_version=None,
        resolution_code="workaround",
        resolution_notes="Restarted the spooler.",
    )
    incident = services.incident_close(actor=agent, incident=incident, expected_version=None)
    for pk in IncidentEvent.objects.filter(incident=incident).values_list("pk", flat=True):
        event_publish(pk)  # what the outbox does: the notifications, their mail and the deliveries
    return incident


@pytest.fixture
def history(db, agent, alice, settings, tmp_path):
    settings.RETENTION_ARCHIVE_DIR = str(tmp_path / "archive")
    settings.RETENTION_BATCH_SIZE = 3  # several batches even for a little history
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "closed_incident_events": 730, "notifications": 365}
    with time_machine.travel(YEARS_AGO, tick=False):
        old = _closed_incident(agent, alice)
        month = Month.of(timezone.localdate())
        stale_pending = Notification.objects.create(
            recipient=agent, subject="never sent", email_to="a@example.org"
        )
        InboundMessage.objects.create(message_key="old-review", outcome=Outcome.REVIEW)
        InboundMessage.objects.create(message_key="old-done", outcome=Outcome.OPENED)
    recent = _closed_incident(agent, alice)
    open_one = make_incident(actor=agent, caller=alice)
    return {"old": old, "recent": recent, "open": open_one, "month": month, "pending": stale_pending}


def test_old_history_is_archived_then_purged_and_the_rest_stays(history, settings):
    old, recent, open_one = history["old"], history["recent"], history["open"]
    old_events = list(IncidentEvent.objects.filter(incident=old).order_by("pk").values())
    old_notes = list(Notification.objects.filter(event__incident=old).order_by("pk").values())
    assert len(old_events) >= 4 and old_notes
    kept = {
        "recent": IncidentEvent.objects.filter(incident=recent).count(),
        "open": IncidentEvent.objects.filter(incident=open_one).count(),
    }

    done = retention.purge()

    assert done["closed_incident_events"] == len(old_events)
    assert not IncidentEvent.objects.filter(incident=old).exists()
    assert not EventDelivery.objects.filter(event__incident=old).exists()
    assert Incident.objects.filter(pk=old.pk).exists()  # incidents are kept
    assert IncidentEvent.objects.filter(incident=recent).count() == kept["recent"]
    assert IncidentEvent.objects.filter(incident=open_one).count() == kept["open"]
    assert Notification.objects.filter(pk=history["pending"].pk).exists()  # mail still to send stays
    assert set(InboundMessage.objects.values_list("message_key", flat=True)) == {"old-review"}
    assert Path(settings.RETENTION_ARCHIVE_DIR, "closed_incident_events").is_dir()
    files = sorted(Path(settings.RETENTION_ARCHIVE_DIR).rglob("*.jsonl.gz"))
    assert len([f for f in files if f.parent.name == "closed_incident_events"]) >= 2  # in batches

    # the archives read back: every purged row, as it was
    for f in files:
        call_command("loaddata", str(f), verbosity=0)
    assert list(IncidentEvent.objects.filter(incident=old).order_by("pk").values()) == old_events
    assert list(Notification.objects.filter(event__incident=old).order_by("pk").values()) == old_notes


def test_a_second_run_finds_nothing_and_the_archive_prints(history, settings):
    retention_purge_task()  # what beat runs at night
    assert retention.purge() == dict.fromkeys(retention.purge(), 0)
    archive = next(Path(settings.RETENTION_ARCHIVE_DIR, "closed_incident_events").glob("*.jsonl.gz"))
    out = StringIO()
    call_command("retention_archive_show", str(archive), "--model", "incidents.IncidentEvent", stdout=out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert records and {r["model"] for r in records} == {"incidents.incidentevent"}
    with gzip.open(archive, "rt") as f:
        assert all(json.loads(line)["pk"] for line in f)


def test_a_report_regenerated_after_the_purge_is_unchanged(history, agent):
    month = history["month"]
    report = report_generate(month=month, actor=agent)
    assert report is not None
    before = report_figures(month)
    retention.purge()
    assert report_figures(month) == before
    report.refresh_from_db()
    stored = report.data
    report_generate(month=month, actor=agent)  # a regeneration after the purge stores the same figures
    assert report_figures(month) == before
    assert type(stored) is dict and stored


def test_zero_days_keeps_a_kind_for_ever(history, settings):
    settings.RETENTION_DAYS = dict.fromkeys(settings.RETENTION_DAYS, 0)
    done = retention.purge()
    assert "closed_incident_events" not in done
    assert IncidentEvent.objects.filter(incident=history["old"]).exists()


def test_expired_sessions_are_deleted_not_archived(db, settings, tmp_path):
    settings.RETENTION_ARCHIVE_DIR = str(tmp_path / "archive")
    expired, live = SessionStore(), SessionStore()
    expired.set_expiry(-10)
    expired.save()
    live.save()
    retention.purge()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert not Path(settings.RETENTION_ARCHIVE_DIR, "sessions").exists()


def test_report_mail_records_are_purged_the_report_stays_and_an_old_month_is_never_mailed_twice(
    db, incident_manager, agent, alice, settings, tmp_path
):
    make_user("manager1", roles=["Manager"], email="manager1@example.org")
    settings.RETENTION_ARCHIVE_DIR = str(tmp_path / "archive")
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "report_deliveries": 365}
    incident_manager.email = "im1@example.org"
    incident_manager.save()
    # given an old month's report mailed to one subscriber and never sent to the other (still to send)
    with time_machine.travel(YEARS_AGO, tick=False):
        make_incident(actor=agent, caller=alice)
        old_month = Month.current().previous()
        report = report_generate(month=old_month, actor=agent)
        assert report is not None and report_circulate(report=report) == 2
        sent, pending = ReportDelivery.objects.order_by("email")
        delivery_mark(delivery=sent)
    figures = report_figures(old_month)
    stored = MonthlyReport.objects.get(pk=report.pk).data
    row = ReportDelivery.objects.filter(pk=sent.pk).values().get()

    # when retention runs
    done = retention.purge()

    # then the sent mail's record is archived and gone, the unsent one stays, the report is unchanged
    assert done["report_deliveries"] == 1
    assert list(ReportDelivery.objects.values_list("pk", flat=True)) == [pending.pk]
    assert MonthlyReport.objects.get(pk=report.pk).data == stored
    assert report_figures(old_month) == figures
    # and the old month is not circulated again (its "sent once" records are gone)
    assert report_circulate(report=report) == 0
    assert ReportDelivery.objects.count() == 1
    # the archive reads back the record as it was
    (archive,) = Path(settings.RETENTION_ARCHIVE_DIR, "report_deliveries").glob("*.jsonl.gz")
    call_command("loaddata", str(archive), verbosity=0)
    assert ReportDelivery.objects.filter(pk=sent.pk).values().get() == row


def test_a_short_report_mail_retention_still_lets_last_month_be_circulated(db, agent, settings):
    make_user("manager1", roles=["Manager"], email="manager1@example.org")
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "report_deliveries": 1}  # raised to 90
    report = report_generate(month=Month.current().previous(), actor=agent)
    assert report is not None
    assert report_circulate(report=report) == 1
