"""Reads that may come from the read replica: ``with replica_reads(): ...``.

Only marks the current context; ``servicedesk.db_router.ReplicaRouter`` sends the ORM's reads made
inside it to the ``replica`` database when ``DATABASE_REPLICA_URL`` configures one, to the primary
otherwise. Writes always go to the primary. Use it for reads that tolerate the replica's lag (the
reporting figures and dashboard), never for a read that must see a write just made.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_replica_ok: ContextVar[bool] = ContextVar("replica_ok", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _replica_ok.set(True)
    try:
        yield
    finally:
        _replica_ok.reset(token)


def replica_reads_allowed() -> bool:
    return _replica_ok.get()
