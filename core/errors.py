"""The base of every named domain error.

A service raises a subclass; the error carries the HTTP status it means and any extra fields
the JSON answer adds, so that the API's exception handler (``core.api.errors``) answers it
without importing the app that defined it.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error written for the person who caused it; ``message`` is shown as is.

    ``status_code`` is the HTTP answer (409 unless a subclass says otherwise); ``payload()``
    returns the keys the JSON answer carries next to ``detail``.
    """

    status_code = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def payload(self) -> dict[str, Any]:
        return {}
