"""The SLA configuration, read once per process and kept until it changes (SPEC §13: API create ≤ 15 queries).

Policies, targets, calendars with their working hours and holidays, escalation rules and points,
and the policy rules of ``incidents.sla.rules`` change rarely and are read by every write of an
incident and by every sweep. Each process keeps what it read under a *version*: the token of the
``ConfigVersion`` row and the newest ``RegisterChange`` id, read in one query.

- Every write of a configuration row rewrites the token in the writer's transaction: database
  triggers installed by the migrations (``escalation.config_triggers``) see every statement,
  ``save()``, ``QuerySet.update()`` or raw SQL alike.
- A process compares the version before it uses what it cached: once it sees a committed change,
  it reads the configuration again. Another process (a gunicorn or Celery worker) therefore never
  computes with configuration older than the last commit before its request or task began.
- Within one request or task (``unit_begin``/``unit_end``, hooked to Django's request signals and
  Celery's task signals) the version is read once; outside of one, at every use. A request that
  changes the configuration through ``save()``/``delete()`` forgets what it read at once
  (``config_changed``, on the models' signals), so it computes with its own change.
- The token is random, not counted: a rolled-back change brings its old token back with the old
  rows, so a token names one state of the configuration even across test rollbacks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from .models import ConfigVersion, RegisterChange

T = TypeVar("T")

_lock = threading.Lock()
_store: dict[str, Any] = {"version": None, "values": {}}
_unit = threading.local()


def _version_read() -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        sql = (  # the table names come from the models, never from input
            f"SELECT (SELECT token FROM {ConfigVersion._meta.db_table} WHERE id = 1), "  # noqa: S608
            f"(SELECT MAX(id) FROM {RegisterChange._meta.db_table})"
        )
        cursor.execute(sql)
        row = cursor.fetchone()
    return tuple(row) if row else (None, None)


def config_version() -> tuple[Any, ...]:
    """The configuration's version: read once per request or task, at every call outside of one."""
    if getattr(_unit, "active", False):
        version = getattr(_unit, "version", None)
        if version is None:
            version = _unit.version = _version_read()
        return version
    return _version_read()


def cached(key: Any, load: Callable[[], T]) -> T:
    """``load()``'s value, kept in this process while the configuration's version is unchanged.

    The version is read before loading: a change committed in between is stored under the older
    version and read again at the next use, never the other way round.
    """
    version = config_version()
    if version[0] is None:  # no token row (a flushed test database): nothing to key on
        return load()
    with _lock:
        if _store["version"] != version:
            _store["version"], _store["values"] = version, {}
        values = _store["values"]
        if key in values:
            return values[key]
    value = load()
    with _lock:
        if _store["version"] == version:
            _store["values"][key] = value
    return value


def cache_clear() -> None:
    """Forget what this process read (a change made here; tests)."""
    with _lock:
        _store["version"], _store["values"] = None, {}
    _unit.version = None


def config_changed(**_: Any) -> None:
    """This process changed the configuration: read it and its version again (a signal receiver).

    The new version itself is written by the database triggers, for every process.
    """
    cache_clear()


def unit_begin(**_: Any) -> None:
    """A request or task starts: its first use reads the version, the others reuse it."""
    _unit.active, _unit.version = True, None


def unit_end(**_: Any) -> None:
    _unit.active, _unit.version = False, None


@contextmanager
def unit() -> Iterator[None]:
    """One unit of work outside a request or task (a batch of the sweep): the version is read once.

    Inside a request or task already, it reads the version afresh and leaves the unit open.
    """
    outer = getattr(_unit, "active", False)
    unit_begin()
    try:
        yield
    finally:
        if outer:
            _unit.version = None
        else:
            unit_end()


def watch(*models: type[Model]) -> None:
    """Forget the cached configuration whenever this process saves or deletes a row of these models."""
    for model in models:
        uid = f"config-cache-{model._meta.label_lower}"
        post_save.connect(config_changed, sender=model, dispatch_uid=f"{uid}-save", weak=False)
        post_delete.connect(config_changed, sender=model, dispatch_uid=f"{uid}-delete", weak=False)
