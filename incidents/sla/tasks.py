"""The SLA sweep's Celery task (name kept from ``incidents.tasks``, see ``incidents.records.tasks``)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from core.beat import record_beat_run

from .sweep import sla_sweep

log = logging.getLogger(__name__)


@shared_task(name="incidents.tasks.sla_sweep_task", acks_late=True)
def sla_sweep_task(batch_size: int = 100, helpers: int | None = None) -> int:
    """Fire due SLA thresholds and escalation rules (beat, every minute). Safe to run twice at once.

    With a backlog (the first batch was full), it queues ``SLA_SWEEP_PARALLEL - 1`` helpers on
    the sweep queue, so that several workers share the catch-up; helpers start no helpers. They
    claim other rows (``SKIP LOCKED``), and the unique fire rows keep every threshold once.
    """
    if helpers is None:  # queued by beat (helpers are queued by a sweep): beat is alive
        try:
            record_beat_run()
        except Exception:  # the cache is away: the sweep matters more than the mark
            log.warning("could not record beat's run in the cache", exc_info=True)
    count = max(0, settings.SLA_SWEEP_PARALLEL - 1) if helpers is None else helpers

    def start_helpers() -> None:
        for _ in range(count):
            try:
                sla_sweep_task.apply_async(kwargs={"batch_size": batch_size, "helpers": 0})
            except Exception:  # the broker is away: this sweep and the next beat carry on alone
                log.warning("could not queue an SLA sweep helper", exc_info=True)
                return

    return sla_sweep(batch_size=batch_size, on_backlog=start_helpers if count else None).fired
