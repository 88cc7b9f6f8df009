"""Reads of the activity log for the live workspace (``live``): which incidents changed since a
cursor, filtered by the one visibility rule (``incidents.selectors.incidents_visible_to``).

The event table is the change feed: every change to an incident writes an event in the same
transaction, in whichever process makes it, so a page learns of it by reading events after the
newest id it has seen.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Max

from escalation.access import Access

from ..models import IncidentEvent, Notification
from ..selectors import incidents_visible_to
from . import texts

# Ids below the newest that a late commit may still add (PostgreSQL takes an id at insert and
# shows the row at commit): the watcher counts them, and a wake-up re-reads them.
WINDOW = 64
# At most this many events in one answer; a page that missed more reloads its regions anyway.
MAX_EVENTS = 500


def event_window_signature() -> tuple[int, int]:
    """The newest event id and how many events the last ``WINDOW`` ids hold (two index reads)."""
    newest = IncidentEvent.objects.aggregate(newest=Max("pk"))["newest"] or 0
    return newest, IncidentEvent.objects.filter(pk__gt=newest - WINDOW).count()


def change_signature() -> tuple[int, int, int]:
    """The newest event id, how many events the last ``WINDOW`` ids hold, and the newest notification
    id: what ``event_window_signature`` and ``newest_notification_id`` say, in one round trip (the live
    watcher asks four times a second in every web process; three index reads, on SQLite too)."""
    with connection.cursor() as cursor:
        cursor.execute(change_signature_sql(), [WINDOW, WINDOW])
        newest, count, notified = cursor.fetchone()
    return newest or 0, count or 0, notified or 0


def change_signature_sql() -> str:
    """The query of ``change_signature``. The window is read through ``LIMIT``: its lower bound comes
    from a sub-select, unknown when PostgreSQL plans, which then took a third of the event table as its
    estimate and counted the window with two parallel workers, 14 ms and three processes a read at
    1 M incidents (issue 22 §5: the pages' tail under open live pages). No more than ``WINDOW`` ids lie
    in the window, so the limit changes no count."""
    events = connection.ops.quote_name(IncidentEvent._meta.db_table)
    notifications = connection.ops.quote_name(Notification._meta.db_table)
    return (
        f"SELECT (SELECT MAX(id) FROM {events}),"  # noqa: S608 - table names from the models
        f" (SELECT COUNT(*) FROM (SELECT id FROM {events}"
        f" WHERE id > COALESCE((SELECT MAX(id) FROM {events}), 0) - %s ORDER BY id DESC LIMIT %s) w),"
        f" (SELECT MAX(id) FROM {notifications})"
    )


def events_touched_after(after: int) -> list[tuple[int, int]]:
    """(event id, incident id) of the events after ``after``, oldest first (the watcher's memory)."""
    return list(
        IncidentEvent.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "incident_id")[:MAX_EVENTS]
    )


def events_with_kinds_after(after: int) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """(event id, incident id, kind, changed field names) of the events after ``after``, oldest first
    (the watcher's memory, and what it tells the saved views' counts)."""
    rows = (
        IncidentEvent.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "incident_id", "kind", "changes")[:MAX_EVENTS]
    )
    return [
        (pk, inc, kind, tuple(f for f in changes or () if f != texts.TEXT)) for pk, inc, kind, changes in rows
    ]


def notifications_after(after: int) -> list[tuple[int, int]]:
    """(notification id, recipient id) of the notifications after ``after``, oldest first."""
    return list(
        Notification.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "recipient_id")[:MAX_EVENTS]
    )


def newest_notification_id() -> int:
    return Notification.objects.aggregate(newest=Max("pk"))["newest"] or 0


def has_new_notifications(*, access: Access, after: int) -> bool:
    """Whether the person has a notification newer than ``after`` (their bell must be redrawn)."""
    return Notification.objects.filter(recipient=access.user_id, pk__gt=after).exists()


@dataclass
class Change:
    """One event of an incident the viewer may open, as a live page learns of it."""

    id: int
    number: str
    detail: dict[str, Any] = field(default_factory=dict)


def changes_since(
    *,
    access: Access,
    after: int | None,
    since: datetime.datetime | None = None,
    look_back: bool = False,
    shown: Collection[str] = (),
    public_only: bool = False,
    named: bool = True,
    newest: int | None = None,
) -> tuple[int, list[Change], bool]:
    """The newest event id and the changes after ``after`` that the viewer may learn of.

    An event is told only if the viewer may open its incident: nothing of the others, not even
    their number. ``unseen`` says whether any of the others changed, so that a queue that shows
    ``shown`` rows re-reads itself (a row that has just left the viewer's sight goes); it says
    nothing to a page that shows no rows.
    ``after=None`` is a page's first question: the events since it was rendered (``since``).
    ``look_back`` re-reads the last ``WINDOW`` ids for late commits (the page ignores ids it has).
    ``public_only``: only what the caller sees on the portal (public replies and moves), naming no one.
    ``named``: with the actors' names (an incident page's collision warning; a queue needs none).
    ``newest``: the newest event id as the caller last read it (the live watcher's signature), to
    save reading it here; an older one only makes the returned cursor lower (the page re-reads a
    few ids it already has and ignores them), never skips an event.
    """
    if newest is None:
        newest = IncidentEvent.objects.aggregate(newest=Max("pk"))["newest"] or 0
    qs = IncidentEvent.objects.order_by("pk")
    if after is None:
        qs = qs.filter(pk__gt=newest - WINDOW, created_at__gte=since) if since else qs.none()
    else:
        qs = qs.filter(pk__gt=max(after - WINDOW, 0) if look_back else after)
    if public_only:
        qs = qs.filter(public=True)
    events = list(
        qs.values("pk", "incident_id", "kind", "actor_id", "public", "changes", "version")[:MAX_EVENTS]
    )
    if not events:
        return newest, [], False
    incident_ids = {e["incident_id"] for e in events}
    visible = dict(incidents_visible_to(access).filter(pk__in=incident_ids).values_list("pk", "number"))
    # Over the new ids only: the look-back's are already known to the page.
    unseen = bool(shown) and any(
        e["incident_id"] not in visible for e in events if after is None or e["pk"] > after
    )
    # A caller's portal names no member of the staff (``portal.wording``): no names for it.
    wanted = (
        () if public_only or not named else {e["actor_id"] for e in events if e["incident_id"] in visible}
    )
    actors = _names({a for a in wanted if a})
    changes = []
    for e in events:
        if e["incident_id"] in visible:
            detail = {
                "kind": e["kind"],
                "label": str(IncidentEvent.Kind(e["kind"]).label),
                "actor": actors.get(e["actor_id"], ""),
                "actor_id": None if public_only else e["actor_id"],
                "fields": sorted(f for f in e["changes"] or {} if f != texts.TEXT),
                "public": e["public"],
                "version": e["version"],
            }
            changes.append(Change(e["pk"], visible[e["incident_id"]], detail))
    return max(newest, events[-1]["pk"]), changes, unseen


def _names(user_ids: set[int]) -> dict[int, str]:
    users = get_user_model().objects.filter(pk__in=user_ids).only("username", "first_name", "last_name")
    return {u.pk: u.get_full_name() or u.get_username() for u in users}
