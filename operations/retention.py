"""Retention: old rows archived as compressed JSON Lines, then purged in batches (docs/operations/).

Each kind names the rows that may go after ``RETENTION_DAYS[kind]`` days (0 keeps them for ever). A batch is
the oldest ``RETENTION_BATCH_SIZE`` of them with everything Django would delete with them (a closed incident's
events take their deliveries and notifications along): all of it is written, as Django's ``jsonl``
serialisation, to one gzipped file under ``RETENTION_ARCHIVE_DIR/<kind>/``, flushed to disk, and only then
deleted, in one transaction per batch so that pages and workers never wait long on a lock. A crash between
the two leaves a record archived twice, never one lost. ``manage.py loaddata <file>.jsonl.gz`` reads an
archive back into the database (``manage.py retention_archive_show`` prints it). Incidents themselves are
never purged, and the monthly reports read incidents, not these rows, so a report regenerated after a purge
is the same.
"""

from __future__ import annotations

import gzip
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import router, transaction
from django.db.models import Model, QuerySet
from django.db.models.deletion import Collector
from django.utils import timezone

from history.services import import_uploads_purge
from incidents.models import IncidentEvent, Notification
from incidents.records.models import Status
from intake.models import InboundMessage, Outcome
from reporting.models import ReportDelivery
from reporting.services import DELIVERY_MAX_ATTEMPTS, delivery_retention_cutoff
from surveys.models import Invitation, SurveyMail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    name: str
    rows: Callable[[datetime], QuerySet]  # the rows past retention, given the cut-off
    archived: bool = True


KINDS: tuple[Kind, ...] = (
    # The activity log of incidents closed before the cut-off (with its deliveries and notifications).
    # Not imported history's: it was brought in to be kept, and it is as large as the import, once.
    Kind(
        "closed_incident_events",
        lambda cut: IncidentEvent.objects.filter(
            incident__status=Status.CLOSED, incident__closed_at__lt=cut, incident__imported=False
        ),
    ),
    # In-app notifications, and the mail records they are: read or not, once their mail is settled.
    Kind(
        "notifications",
        lambda cut: Notification.objects.filter(created_at__lt=cut).exclude(
            emailed_at__isnull=True,
            email_attempts__lt=settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS,
            email_to__gt="",
        ),
    ),
    # Survey mail sent before the cut-off.
    Kind(
        "survey_mail", lambda cut: SurveyMail.objects.filter(created_at__lt=cut).exclude(sent_at__isnull=True)
    ),
    # Inbound mail copies no one has to decide on any more (the review queue is kept).
    Kind(
        "inbound_messages",
        lambda cut: InboundMessage.objects.filter(received_at__lt=cut).exclude(outcome=Outcome.REVIEW),
    ),
    # Survey invitations that expired unanswered (answered ones carry the survey results and stay).
    Kind(
        "survey_invitations",
        lambda cut: Invitation.objects.filter(
            created_at__lt=cut, answered_at__isnull=True, expired_at__isnull=False
        ),
    ),
    # Monthly report mail recorded before the cut-off, once sent or given up (the reports themselves stay).
    Kind(
        "report_deliveries",
        lambda cut: ReportDelivery.objects.filter(created_at__lt=cut).exclude(
            sent_at__isnull=True, attempts__lt=DELIVERY_MAX_ATTEMPTS
        ),
    ),
    # Expired sessions: deleted, never archived (a session is a credential).
    Kind("sessions", lambda cut: Session.objects.filter(expire_date__lt=cut), archived=False),
)


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder keeps milliseconds only; an archive keeps every microsecond of a time."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def cutoff(kind: Kind, now: datetime) -> datetime | None:
    if kind.name == "report_deliveries":
        return delivery_retention_cutoff(now)  # one rule with reporting's "circulated once" guard
    days = settings.RETENTION_DAYS.get(kind.name, 0)
    if kind.name == "sessions":
        return now - timedelta(days=days)  # 0: every session already expired
    return now - timedelta(days=days) if days > 0 else None


def _archive(kind: Kind, objects: list[Model], now: datetime, batch: int) -> Path:
    folder = Path(settings.RETENTION_ARCHIVE_DIR) / kind.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{now:%Y%m%d-%H%M%S}-{batch:05d}.jsonl.gz"
    partial = path.with_name(path.name + ".partial")
    with gzip.open(partial, "wt", encoding="utf-8") as out:
        serializers.serialize("jsonl", objects, stream=out, cls=ExactJSONEncoder)
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    partial.replace(path)
    return path


def purge_batch(
    kind: Kind, cut: datetime, *, now: datetime, batch: int, after: Any = None
) -> tuple[int, Any]:
    """Archive and delete one batch of ``kind`` past the key ``after``; returns how many root rows went
    (0: nothing left) and the last key, where the next batch starts.

    The batches walk the primary key once (keyset): without ``after`` each batch would walk again, from
    the start, past every row a kind keeps (the log of an incident still open, mail not yet sent), a
    walk that grows with every batch at a million incidents."""
    size = settings.RETENTION_BATCH_SIZE
    rows = kind.rows(cut)
    model = rows.model
    if after is not None:
        rows = rows.filter(pk__gt=after)
    with transaction.atomic():
        ids = list(rows.order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return 0, after
        # Locked so that nothing changes them between the archive and the delete.
        roots = list(model._default_manager.filter(pk__in=ids).select_for_update().order_by("pk"))
        collector = Collector(using=router.db_for_write(model))
        collector.collect(roots)
        if kind.archived:
            objects: list[Model] = []
            for instances in collector.data.values():
                objects.extend(instances)
            for qs in collector.fast_deletes:
                objects.extend(qs)
            _archive(kind, objects, now, batch)
        collector.delete()
    return len(ids), ids[-1]


def purge(*, now: datetime | None = None, max_batches: int | None = None) -> dict[str, int]:
    """Archive and purge every kind past its retention; returns the rows purged per kind."""
    now = now or timezone.now()
    limit = max_batches or settings.RETENTION_MAX_BATCHES
    done: dict[str, int] = {}
    for kind in KINDS:
        cut = cutoff(kind, now)
        if cut is None:
            continue
        total = batch = 0
        after = None
        while batch < limit:
            n, after = purge_batch(kind, cut, now=now, batch=batch, after=after)
            if not n:
                break
            total += n
            batch += 1
        if total:
            log.info("retention: purged %d %s older than %s", total, kind.name, cut.isoformat())
        done[kind.name] = total
    # The CSV files uploaded for history imports: files, not rows (no archive); the runs, the audit, stay.
    if settings.HISTORY_UPLOAD_RETENTION_DAYS > 0:
        before = now - timedelta(days=settings.HISTORY_UPLOAD_RETENTION_DAYS)
        done["history_uploads"] = import_uploads_purge(before=before)
    return done
