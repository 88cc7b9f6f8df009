"""The last successful run of each periodic task: recorded by a Celery signal, read by the metrics."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import task_success
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

log = logging.getLogger(__name__)


def beat_tasks() -> dict[str, Any]:
    """{task name: its schedule} for every task beat queues."""
    return {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def record_success(task_name: str) -> None:
    from .models import TaskRun

    TaskRun.objects.update_or_create(task=task_name, defaults={"succeeded_at": timezone.now()})


def _on_success(sender: Any = None, **kwargs: Any) -> None:
    name = getattr(sender, "name", None)
    if name not in beat_tasks():
        return
    try:
        record_success(name)
    except DatabaseError:  # the figure is for people watching; never fail the task for it
        log.warning("could not record the run of %s", name, exc_info=True)


def connect_celery_signals() -> None:
    task_success.connect(_on_success, weak=False, dispatch_uid="operations.taskruns")
