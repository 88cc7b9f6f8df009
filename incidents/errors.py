"""Named errors a service raises. Each message is written for the person who caused it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.errors import DomainError

__all__ = ["ImportedReadOnly", "IncidentError", "PermissionDenied", "TransitionNotAllowed", "VersionConflict"]


class IncidentError(DomainError):
    """Base of the errors that a view turns into a 4xx with the message shown (409 in the API)."""


class TransitionNotAllowed(IncidentError):
    def __init__(self, *, number: str, action: str, status: str, allowed_from: list[str]) -> None:
        self.action = action
        self.status = status
        readable = ", ".join(_state(s) for s in allowed_from)
        super().__init__(
            _(
                "%(number)s is %(status)s: it cannot be %(done)s now. That is possible only when it is "
                "%(allowed)s."
            )
            % {"number": number, "status": _state(status), "done": _past(action), "allowed": readable}
        )


class ImportedReadOnly(IncidentError):
    """Imported history (``history/``) is kept as it was brought in: no move, no edit, no comment."""

    def __init__(self, *, number: str, source: str, external_id: str) -> None:
        super().__init__(
            _(
                "%(number)s is history imported from %(source)s (its id there: %(external_id)s): it is "
                "read-only and cannot be changed here. Log a new incident if the problem is back."
            )
            % {"number": number, "source": source or _("another tool"), "external_id": external_id}
        )


class VersionConflict(IncidentError):
    """The editor saw an older version than the one stored: someone else saved in between."""

    def __init__(self, *, number: str, expected: int, current: int, changes: list[str]) -> None:
        self.expected = expected
        self.current = current
        self.changes = changes
        detail = "; ".join(changes) if changes else _("it was changed")
        super().__init__(
            _(
                "%(number)s was changed after you opened it (you had version %(expected)s, it is now version "
                "%(current)s): %(detail)s. Review the incident and apply your change again."
            )
            % {"number": number, "expected": expected, "current": current, "detail": detail}
        )

    def payload(self) -> dict[str, Any]:
        return {"current_version": self.current}


# The words of the refusal, in the sentence "INC… is <status>: it cannot be <done> now." (lower case in
# English; each language words them for that sentence).
_STATES = {
    "new": pgettext_lazy("an incident's status in a sentence", "new"),
    "assigned": pgettext_lazy("an incident's status in a sentence", "assigned"),
    "in_progress": pgettext_lazy("an incident's status in a sentence", "in progress"),
    "on_hold": pgettext_lazy("an incident's status in a sentence", "on hold"),
    "resolved": pgettext_lazy("an incident's status in a sentence", "resolved"),
    "closed": pgettext_lazy("an incident's status in a sentence", "closed"),
    "cancelled": pgettext_lazy("an incident's status in a sentence", "cancelled"),
}
_DONE = {
    "assign": pgettext_lazy("it cannot be … now", "assigned"),
    "start": pgettext_lazy("it cannot be … now", "started"),
    "escalate": pgettext_lazy("it cannot be … now", "escalated"),
    "hold": pgettext_lazy("it cannot be … now", "put on hold"),
    "resume": pgettext_lazy("it cannot be … now", "resumed"),
    "resolve": pgettext_lazy("it cannot be … now", "resolved"),
    "reopen": pgettext_lazy("it cannot be … now", "reopened"),
    "close": pgettext_lazy("it cannot be … now", "closed"),
    "cancel": pgettext_lazy("it cannot be … now", "cancelled"),
    "consult": pgettext_lazy("it cannot be … now", "sent for consultation"),
    "update": pgettext_lazy("it cannot be … now", "updated"),
    "comment": pgettext_lazy("it cannot be … now", "commented on"),
    "attach": pgettext_lazy("it cannot be … now", "given attachments"),
}


def _state(status: str) -> str:
    return str(_STATES[status]) if status in _STATES else status.replace("_", " ")


def _past(action: str) -> str:
    return str(_DONE[action]) if action in _DONE else action
