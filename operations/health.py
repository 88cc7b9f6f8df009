"""The product's own health figures: one reading shared by the Prometheus endpoint and the status page.

Each figure is read with one indexed query (or one broker command), so a scrape every 15 s costs little
even at a million incidents: the ages read the oldest row through the partial indexes the outbox, the
mail sender and the sweep already have; the open incidents are counted through the open-priority index.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from kombu import Connection

from escalation.choices import Priority
from incidents.models import OPEN_STATUSES, Incident, IncidentEvent, Notification, SlaState
from intake.models import InboundMessage, Outcome

from .models import TaskRun
from .taskruns import beat_tasks

log = logging.getLogger(__name__)

OK, WARNING, CRITICAL, UNKNOWN = "ok", "warning", "critical", "unknown"


@dataclass(frozen=True)
class Figure:
    """One reading: ``metric`` and ``labels`` name it for Prometheus, ``label`` for people."""

    metric: str
    label: Any
    value: float | None
    unit: str = ""  # "s" for ages, "" for counts
    labels: dict[str, str] = field(default_factory=dict)
    warning: float | None = None
    critical: float | None = None

    @property
    def level(self) -> str:
        if self.value is None:
            return UNKNOWN
        if self.critical is not None and self.value >= self.critical:
            return CRITICAL
        if self.warning is not None and self.value >= self.warning:
            return WARNING
        return OK


def thresholds(name: str) -> tuple[float, float]:
    """(warning, critical) of a figure: OPERATIONS_THRESHOLDS overrides the defaults."""
    return tuple(settings.OPERATIONS_THRESHOLDS[name])  # type: ignore[return-value]


def _age(oldest: datetime | None, now: datetime) -> float:
    """Seconds since ``oldest``; 0 when there is nothing waiting (nothing is late)."""
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


# --- the broker ---------------------------------------------------------------------------------------


def queue_depths() -> dict[str, int | None]:
    """Messages waiting in each Celery queue (None when the broker cannot be read)."""
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith("filesystem://"):
            folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
            names = os.listdir(folder)
            return {q: sum(1 for n in names if n.endswith(f".{q}.msg")) for q in settings.TASK_QUEUES}
        if url.startswith(("redis://", "rediss://")):
            timeout = settings.CELERY_BROKER_CONNECTION_TIMEOUT
            options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "max_retries": 0}
            with Connection(url, connect_timeout=timeout, transport_options=options) as broker:
                channel: Any = broker.default_channel
                client = channel.client
                # kombu keeps each priority of a queue in its own list: the queue's name, then name\x06\x16N.
                steps = channel.priority_steps
                depths = {}
                for queue in settings.TASK_QUEUES:
                    pipe = client.pipeline()
                    for step in steps:
                        pipe.llen(queue if not step else f"{queue}\x06\x16{step}")
                    depths[queue] = sum(pipe.execute())
                return depths
    except Exception as exc:  # a broker that does not answer is a reading, not an error page
        log.warning("queue depths unreadable: %s", exc.__class__.__name__)
        return dict.fromkeys(settings.TASK_QUEUES)
    return dict.fromkeys(settings.TASK_QUEUES)


# --- the database -------------------------------------------------------------------------------------


def outbox_figures(now: datetime) -> list[Figure]:
    oldest_event = IncidentEvent.objects.filter(notified_at__isnull=True).aggregate(m=Min("created_at"))["m"]
    oldest_mail = (
        Notification.objects.filter(emailed_at__isnull=True)
        .exclude(email_to="")
        .filter(email_attempts__lt=settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS)
        .aggregate(m=Min("created_at"))["m"]
    )
    # The sweep's backlog: the oldest pending SLA check that is due (a threshold due but not yet fired).
    oldest_due = Incident.objects.filter(sla_next_check_at__lte=now).aggregate(m=Min("sla_next_check_at"))[
        "m"
    ]
    oldest_review = InboundMessage.objects.filter(outcome=Outcome.REVIEW, reviewed_at__isnull=True).aggregate(
        m=Min("received_at")
    )["m"]
    return [
        Figure(
            "servicedesk_oldest_unpublished_event_age_seconds",
            _("Oldest unpublished event"),
            _age(oldest_event, now),
            "s",
            {},
            *thresholds("event_age"),
        ),
        Figure(
            "servicedesk_oldest_unsent_mail_age_seconds",
            _("Oldest unsent mail"),
            _age(oldest_mail, now),
            "s",
            {},
            *thresholds("mail_age"),
        ),
        Figure(
            "servicedesk_oldest_due_sla_check_age_seconds",
            _("Oldest due SLA threshold not yet fired"),
            _age(oldest_due, now),
            "s",
            {},
            *thresholds("sla_due_age"),
        ),
        Figure(
            "servicedesk_oldest_unread_inbound_message_age_seconds",
            _("Oldest incoming mail waiting for review"),
            _age(oldest_review, now),
            "s",
            {},
            *thresholds("inbound_age"),
        ),
    ]


def open_incident_figures() -> list[Figure]:
    rows = (
        Incident.objects.filter(status__in=OPEN_STATUSES)
        .values("priority", "sla_state")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {(r["priority"], r["sla_state"]): r["n"] for r in rows}
    figures = []
    for priority in Priority:
        for state in SlaState:
            if state == SlaState.MET:
                continue  # an open incident's clock is never "met"
            figures.append(
                Figure(
                    "servicedesk_open_incidents",
                    _("Open incidents"),
                    float(counts.get((priority.value, state.value), 0)),
                    "",
                    {"priority": f"P{priority.value}", "sla_state": state.value},
                )
            )
    return figures


def beat_figures(now: datetime) -> list[Figure]:
    """Seconds each periodic task is overdue: 0 while its last success is younger than its schedule."""
    runs = dict(TaskRun.objects.values_list("task", "succeeded_at"))
    warning, critical = thresholds("beat_overdue")
    figures = []
    for task, schedule in sorted(beat_tasks().items()):
        last = runs.get(task)
        overdue: float | None = None
        if last is not None:
            every = schedule if not isinstance(schedule, int | float) else timedelta(seconds=schedule)
            if isinstance(every, timedelta):
                overdue = max(0.0, (now - last - every).total_seconds())
            else:  # a crontab: how long past its next due time after the last success
                remaining = every.remaining_estimate(last)
                overdue = max(0.0, -remaining.total_seconds())
        figures.append(
            Figure(
                "servicedesk_beat_task_overdue_seconds",
                _("Periodic task overdue"),
                overdue,
                "s",
                {"task": task},
                warning,
                critical,
            )
        )
        figures.append(
            Figure(
                "servicedesk_beat_task_last_success_timestamp_seconds",
                _("Periodic task last succeeded"),
                last.timestamp() if last else None,
                "time",
                {"task": task},
            )
        )
    return figures


def figures() -> list[Figure]:
    """Every health figure, read now."""
    now = timezone.now()
    warning, critical = thresholds("queue_depth")
    out = [
        Figure(
            "servicedesk_celery_queue_depth", _("Tasks waiting"), depth, "", {"queue": q}, warning, critical
        )
        for q, depth in queue_depths().items()
    ]
    out += outbox_figures(now)
    out += open_incident_figures()
    out += beat_figures(now)
    return out
