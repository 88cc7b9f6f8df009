"""Django's SQLite backend, with request transactions begun at their first write (see the package)."""

from __future__ import annotations

from typing import Any

from django.db.backends.sqlite3 import base

from . import take_request_mark


# django-stubs leave out the private hooks overridden here, hence the ignores.
class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._begin_on_write = False
        self.execute_wrappers.append(self._begin_before_first_write)

    def _start_transaction_under_autocommit(self) -> None:
        if take_request_mark():
            self._begin_on_write = True
        else:  # BEGIN IMMEDIATE, from transaction_mode
            super()._start_transaction_under_autocommit()  # type: ignore[misc]

    def _begin_before_first_write(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self._begin_on_write and sql.lstrip()[:6].upper() != "SELECT":
            self._begin_on_write = False
            execute("BEGIN IMMEDIATE", None, False, context)
        return execute(sql, params, many, context)

    def _commit(self) -> None:
        self._begin_on_write = False
        super()._commit()  # type: ignore[misc]

    def _rollback(self) -> None:
        self._begin_on_write = False
        super()._rollback()  # type: ignore[misc]

    def _close(self) -> None:
        self._begin_on_write = False
        super()._close()  # type: ignore[misc]
