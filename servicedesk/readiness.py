"""The readiness checks behind `/readyz` and `manage.py readyz`.

Each check answers ``"ok"`` or a short, fixed state (``"error"``, ``"unapplied"``, ``"stale"``,
``"unknown"``); never an exception's message, which can carry a URL with its password.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from kombu import Connection

from core.beat import last_beat_run

log = logging.getLogger(__name__)

OK = "ok"


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def check_cache() -> str:
    key = f"servicedesk:readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    answer = cache.get(key)
    cache.delete(key)
    return OK if answer == "1" else "error"


def check_broker() -> str:
    """A connection to the broker, with a short timeout and no retry (the check must stay cheap)."""
    timeout = settings.CELERY_BROKER_CONNECTION_TIMEOUT
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "max_retries": 0}
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options) as broker:
        broker.ensure_connection(max_retries=0, timeout=timeout)
        channel = broker.default_channel
        ping = getattr(getattr(channel, "client", None), "ping", None)
        if callable(ping):  # Redis: prove it answers, not only accepts the connection
            ping()
    return OK


def check_migrations() -> str:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return "unapplied" if plan else OK


def check_beat() -> str:
    last = last_beat_run()
    if last is None:
        return "unknown"
    return OK if time.time() - last <= settings.READYZ_BEAT_MAX_AGE else "stale"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "migrations": check_migrations,
    "beat": check_beat,
}


def run_checks(names: list[str] | None = None) -> dict[str, str]:
    """Each named check (all by default) with its state; a check that raises is ``"error"``."""
    states = {}
    for name in names or list(CHECKS):
        try:
            states[name] = CHECKS[name]()
        except Exception as exc:  # any failure of a dependency makes the instance not ready
            log.warning("readiness check %s failed: %s", name, exc.__class__.__name__)
            states[name] = "error"
    return states
