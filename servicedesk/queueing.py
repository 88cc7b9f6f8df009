"""Queue Celery tasks after the surrounding transaction commits, without ever failing the request.

A broker that is down must not stop incidents from being logged and worked: the work a task
would do is also recorded in the database (outbox rows), and beat catches it up later.
"""
from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs, retry=False)
        except Exception:
            log.warning("broker unavailable: %s not queued; beat will catch up", task.name, exc_info=True)

    transaction.on_commit(send)
