"""Constructors of activity-log rows, written in the same transaction as the change.

Imports only the models and the hook registry (``incidents.records.hooks``, which imports nothing of the
project): services, the sweep and the dispatcher import this module, never the other way round.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from . import hooks, texts
from .models import Attachment, Consultation, Incident, IncidentEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def api_value(value: Any) -> Any:
    """A value as the API and the activity log show it: users by username, groups by slug."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, AbstractBaseUser):
        return value.get_username()
    if isinstance(value, models.Model):
        return getattr(value, "number", None) or getattr(value, "slug", None) or str(value)
    return str(value)


def snapshot(incident: Incident, fields: list[str]) -> dict[str, Any]:
    return {f: api_value(getattr(incident, f)) for f in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f: {"old": before[f], "new": after[f]} for f in before if before[f] != after.get(f)}


# What made the changes recorded inside ``attributed_to``: a macro, a routing rule (issue 23).
_attribution: ContextVar[dict[str, str] | None] = ContextVar("event_attribution", default=None)


@contextmanager
def attributed_to(**names: str) -> Iterator[None]:
    """Every event recorded inside names what made it (``macro="Password reset"``) among its changes,
    so that the timeline says which macro or rule acted, whatever service wrote the event."""
    token = _attribution.set({**(_attribution.get() or {}), **names})
    try:
        yield
    finally:
        _attribution.reset(token)


def event_record(
    *,
    incident: Incident,
    kind: str,
    actor: User | None,
    now: datetime,
    changes: dict[str, dict[str, Any]] | None = None,
    body: str = "",
    public: bool = False,
    attachment: Attachment | None = None,
    consultation: Consultation | None = None,
    said: dict[str, Any] | None = None,
) -> IncidentEvent:
    """Call after the incident row is saved, so that the event carries its new version.

    ``said`` is the body as a stored message (``texts.message``) when the system words it: it is shown in
    the reader's language, and ``body`` (its English, by default) is the fallback.

    An event that no subscriber takes is born published, so the outbox never holds it; the
    others are published to their subscribers after commit (``incidents.records.hooks``).
    """
    pending = bool(hooks.subscribers_of(kind))
    attribution = _attribution.get()
    if attribution:
        changes = {**(changes or {}), **{k: {"old": None, "new": v} for k, v in attribution.items()}}
    if said is not None:
        changes = texts.with_text(changes, body=[said])
        body = body or texts.english(said)
    event = IncidentEvent.objects.create(
        incident=incident,
        kind=kind,
        actor=actor,
        created_at=now,
        changes=changes or {},
        body=body,
        public=public,
        attachment=attachment,
        consultation=consultation,
        version=incident.version,
        notified_at=None if pending else now,
    )
    if pending:
        hooks.publish_on_commit(event.pk)
    return event
