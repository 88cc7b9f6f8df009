"""Thin tasks of the history app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="history.tasks.import_run_task")
def import_run_task(run_id: int) -> str:
    """Run a queued import (from the import page); returns its state. A run no longer queued is left alone."""
    from .models import ImportRun
    from .services import import_execute

    # Claimed in one statement: a task delivered twice runs the import once.
    if not ImportRun.objects.filter(pk=run_id, state=ImportRun.State.QUEUED).update(
        state=ImportRun.State.RUNNING
    ):
        return "skipped"
    return import_execute(ImportRun.objects.get(pk=run_id)).state
