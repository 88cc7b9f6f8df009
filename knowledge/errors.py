"""Named refusals of the knowledge services, with their HTTP status (``core.errors.DomainError``)."""

from __future__ import annotations

from core.errors import DomainError


class ArticleTransitionNotAllowed(DomainError):
    """The lifecycle table refuses the move: 409, with a sentence naming the status."""

    status_code = 409
