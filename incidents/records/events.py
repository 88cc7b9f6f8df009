"""Constructors of activity-log rows, written in the same transaction as the change.

Imports only the models and the hook registry (``incidents.records.hooks``, which imports nothing of the
project): services, the sweep and the dispatcher import this module, never the other way round.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any, Required, TypedDict, Unpack

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


class EventFields(TypedDict, total=False):
    """What an activity-log row is made of (``event_build``, ``event_record``)."""

    incident: Required[Incident]
    kind: Required[str]
    actor: Required[User | None]
    now: Required[datetime]
    changes: dict[str, dict[str, Any]] | None
    body: str
    public: bool
    attachment: Attachment | None
    consultation: Consultation | None
    # the body as a stored message (``texts.message``) when the system words it: shown in the reader's
    # language, with ``body`` (its English, by default) as the fallback
    said: dict[str, Any] | None


def event_build(**fields: Unpack[EventFields]) -> IncidentEvent:
    """The event ``event_record`` writes, not yet written: for ``events_record``, which writes many with
    one insert (a batch of the SLA sweep)."""
    incident, kind, now = fields["incident"], fields["kind"], fields["now"]
    changes, body, said = fields.get("changes"), fields.get("body", ""), fields.get("said")
    pending = bool(hooks.subscribers_of(kind))
    attribution = _attribution.get()
    if attribution:
        changes = {**(changes or {}), **{k: {"old": None, "new": v} for k, v in attribution.items()}}
    if said is not None:
        changes = texts.with_text(changes, body=[said])
        body = body or texts.english(said)
    return IncidentEvent(
        incident=incident,
        kind=kind,
        actor=fields["actor"],
        created_at=now,
        changes=changes or {},
        body=body,
        public=fields.get("public", False),
        attachment=fields.get("attachment"),
        consultation=fields.get("consultation"),
        version=incident.version,
        notified_at=None if pending else now,
    )


def event_record(**fields: Unpack[EventFields]) -> IncidentEvent:
    """Write an activity-log row. Call after the incident row is saved, so that the event carries its
    new version.

    An event that no subscriber takes is born published, so the outbox never holds it; the
    others are published to their subscribers after commit (``incidents.records.hooks``).
    """
    event = event_build(**fields)
    event.save()
    if event.notified_at is None:
        hooks.publish_on_commit(event.pk)
    return event


def events_record(events: list[IncidentEvent]) -> None:
    """Write events built by ``event_build`` with one insert, in their order, and publish them as
    ``event_record`` does."""
    IncidentEvent.objects.bulk_create(events)
    for event in events:
        if event.notified_at is None:
            hooks.publish_on_commit(event.pk)
