"""Queue Celery tasks after the surrounding transaction commits, without ever failing the request.

A broker that is down must not stop incidents from being logged and worked: the work a task
would do is also recorded in the database (outbox rows), and beat catches it up later.

Tasks are queued by name: a service never imports the task that runs it (the task imports the
service), so the two cannot close an import circle. The name is the task's ``name=``, kept as a
constant beside the service that queues it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)
_state = threading.local()


@contextmanager
def muted() -> Iterator[None]:
    """Queue nothing inside the block: for loading history (demo data, imports), whose
    notifications belong to the past. The caller marks the outbox rows it wrote as done."""
    previous = getattr(_state, "muted", False)
    _state.muted = True
    try:
        yield
    finally:
        _state.muted = previous


def enqueue_on_commit(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Queue the task called ``task_name`` once the transaction commits (at once outside one).

    By signature, not ``send_task``: a task this process has registered is applied as itself (its
    routing, eager mode in a test), one it has not is sent by name to the queue its route names.
    """
    if getattr(_state, "muted", False):
        return

    def send() -> None:
        try:
            current_app.signature(task_name, args=args, kwargs=kwargs).apply_async(retry=False)
        except Exception:  # any broker failure; the outbox catches up
            log.warning("broker unavailable: %s not queued; beat will catch up", task_name, exc_info=True)

    transaction.on_commit(send)
