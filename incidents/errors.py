"""Named errors a service raises. Each message is written for the person who caused it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from core.errors import DomainError

__all__ = ["IncidentError", "PermissionDenied", "TransitionNotAllowed", "VersionConflict"]


class IncidentError(DomainError):
    """Base of the errors that a view turns into a 4xx with the message shown (409 in the API)."""


class TransitionNotAllowed(IncidentError):
    def __init__(self, *, number: str, action: str, status: str, allowed_from: list[str]) -> None:
        self.action = action
        self.status = status
        readable = ", ".join(s.replace("_", " ") for s in allowed_from)
        super().__init__(
            f"{number} is {status.replace('_', ' ')}: it cannot be {_past(action)} now. "
            f"That is possible only when it is {readable}."
        )


class VersionConflict(IncidentError):
    """The editor saw an older version than the one stored: someone else saved in between."""

    def __init__(self, *, number: str, expected: int, current: int, changes: list[str]) -> None:
        self.expected = expected
        self.current = current
        self.changes = changes
        detail = "; ".join(changes) if changes else "it was changed"
        super().__init__(
            f"{number} was changed after you opened it (you had version {expected}, it is now version "
            f"{current}): {detail}. Review the incident and apply your change again."
        )

    def payload(self) -> dict[str, Any]:
        return {"current_version": self.current}


def _past(action: str) -> str:
    return {
        "assign": "assigned",
        "start": "started",
        "escalate": "escalated",
        "hold": "put on hold",
        "resume": "resumed",
        "resolve": "resolved",
        "reopen": "reopened",
        "close": "closed",
        "cancel": "cancelled",
        "consult": "sent for consultation",
        "update": "updated",
        "comment": "commented on",
        "attach": "given attachments",
    }.get(action, action)
