"""SQLite for a team: the database backend of the embedded default (``ENGINE = "servicedesk.db"``).

SQLite lets many connections read at once but only one write at a time, and the embedded default
has several writers: the web server's threads, the worker's processes, beat's tasks. Three
options in ``servicedesk/settings/dev.py`` make them queue instead of failing:

- WAL journal (``init_command``): readers never wait for the writer nor the writer for readers;
- a busy timeout (``timeout``): a connection that finds the write lock taken waits for it;
- ``transaction_mode = "IMMEDIATE"``: a transaction takes the write lock at ``BEGIN``.

The last one is what makes the timeout work. A DEFERRED transaction (SQLite's default) that has
read and then writes must upgrade its lock; if another connection wrote meanwhile, SQLite answers
``database is locked`` at once, without waiting, because waiting cannot help a transaction whose
snapshot is already stale. A transaction that takes the lock at ``BEGIN IMMEDIATE`` waits on the
timeout like any queue, then reads and writes the latest data. It also stands in for the row
locks the services take with ``select_for_update`` (a no-op on SQLite): one writer at a time is
a stronger lock than any row lock.

IMMEDIATE everywhere would be too much with ``ATOMIC_REQUESTS``: every page view and API list
would queue behind the writers, and a sign-in would hold the write lock while it hashes the
password (a second or two). So the *request* transaction is begun lazily: this backend sends no
``BEGIN`` when the view's atomic block opens, lets the view read in autocommit, and sends
``BEGIN IMMEDIATE`` just before the first statement that is not a ``SELECT`` (a write, or the
savepoint of a service's own atomic block). A GET that only reads never takes the lock; a POST
takes it when it first writes, and keeps it until the response, as ``ATOMIC_REQUESTS`` wants.
Reads before that first write see the latest committed data each, which is what PostgreSQL's
READ COMMITTED gives the same views in production; the services re-read what they change inside
their atomic block, under the lock. Every other transaction (services called by the worker,
beat's sweeps, management commands) begins IMMEDIATE at once: a service's reads must be under
the lock that its writes take.

``RequestTransactionMiddleware`` tells the two apart: it marks the thread just before Django opens
the request's atomic block, and the backend takes that mark when it opens a transaction.

Rejected: a per-request choice of DEFERRED (reads) or IMMEDIATE (writes) by HTTP method, which
fails a GET that writes under contention and hashes passwords under the lock (8 sign-ins at once
queued every writer for seconds); and IMMEDIATE everywhere with ``ATOMIC_REQUESTS`` off for safe
methods, which needs a middleware re-creating the request transaction with its own rollback
rules (and DRF's), unlike production.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

_request_transaction_next: ContextVar[bool] = ContextVar("servicedesk_db_request_next", default=False)


def take_request_mark() -> bool:
    """True once if the transaction being opened is a request's (``ATOMIC_REQUESTS``)."""
    marked = _request_transaction_next.get()
    if marked:
        _request_transaction_next.set(False)
    return marked


class RequestTransactionMiddleware:
    """Mark the transaction Django opens around the view as the request's: it begins lazily.

    Put it last in ``MIDDLEWARE``: its ``process_view`` then runs right before Django wraps the
    view in its atomic block, and nothing opens a transaction in between.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_transaction_next.set(False)
        try:
            return self.get_response(request)
        finally:
            _request_transaction_next.reset(token)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> None:
        # The same test as django.core.handlers.base.BaseHandler.make_view_atomic.
        atomic = connections[DEFAULT_DB_ALIAS].settings_dict["ATOMIC_REQUESTS"]
        if atomic and DEFAULT_DB_ALIAS not in getattr(view_func, "_non_atomic_requests", set()):
            _request_transaction_next.set(True)
