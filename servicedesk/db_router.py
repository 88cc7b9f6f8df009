"""The read-replica router (``DATABASE_ROUTERS``).

Reads made inside ``core.replica.replica_reads()`` go to the ``replica`` alias when
``DATABASE_REPLICA_URL`` configured one; every other read, every write and every migration go to the
primary (``default``), so that without the variable nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from core.replica import replica_reads_allowed

REPLICA = "replica"


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if replica_reads_allowed() and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read from either relates to the other.
        if {obj1._state.db, obj2._state.db} <= {"default", REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None
