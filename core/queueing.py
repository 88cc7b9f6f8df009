"""Queue Celery tasks after the surrounding transaction commits, without ever failing the request.

A broker that is down must not stop incidents from being logged and worked: the work a task
would do is also recorded in the database (outbox rows), and beat catches it up later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    if getattr(_state, "muted", False):
        return

    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs, retry=False)
        except Exception:  # any broker failure; the outbox catches up
            log.warning("broker unavailable: %s not queued; beat will catch up", task.name, exc_info=True)

    transaction.on_commit(send)
