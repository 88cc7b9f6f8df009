"""The change feed a live page holds open, and the presence a page reports.

``GET /live/feed/`` answers at once when something the page shows has changed since its cursor;
otherwise it waits (at most ``LIVE_WAIT_SECONDS``) on the process's watcher and answers when the
shared cursor moves, or empty when the time is up: the page asks again with the cursor it got.
A page that lost its connection asks with its old cursor and so catches up. What it is told
passes the visibility rule (``incidents.records.selectors.changes_since``).
"""

from __future__ import annotations

import datetime
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from escalation.access import Access, access_of, standing_version
from incidents.records.selectors import Change, changes_since, has_new_notifications, newest_notification_id
from incidents.selectors import incident_get_for_user, incident_id_for_user

from . import counts, presence
from .standings import standings
from .watcher import Interest, Signature, read_signature, watcher

MAX_SHOWN = 200
MAX_NUMBER = 32


class BadQuery(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    after: int | None
    notified: int | None
    since: datetime.datetime | None
    incident: str
    portal: str
    shown: tuple[str, ...]
    listing: bool  # a queue or the dashboard: every visible change counts
    typing: bool
    wait: bool
    views: str | None  # the tag of the saved views' counts the page shows ("" none yet); None: no counts


def _int(params: Any, name: str) -> int | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise BadQuery(_("%(name)s must be a whole number.") % {"name": name})
    return int(raw)


def _number(params: Any, name: str) -> str:
    raw = params.get(name, "")
    if len(raw) > MAX_NUMBER:
        raise BadQuery(_("%(name)s is not an incident number.") % {"name": name})
    return raw


def _tag(params: Any) -> str | None:
    if "views" not in params:
        return None
    raw = params.get("views", "")
    if len(raw) > 16 or any(c not in "0123456789abcdef" for c in raw):
        raise BadQuery(_("views is the tag the feed gave."))
    return str(raw)


def parse(params: Any) -> Query:
    since = _int(params, "since")
    shown = tuple(n for n in params.get("shown", "").split(",") if n)
    if len(shown) > MAX_SHOWN or any(len(n) > MAX_NUMBER for n in shown):
        raise BadQuery(_("shown lists at most %(count)d incident numbers.") % {"count": MAX_SHOWN})
    return Query(
        after=_int(params, "after"),
        notified=_int(params, "notified"),
        # The page's render time, less a margin for the clocks of several web servers.
        since=datetime.datetime.fromtimestamp(since - 2, tz=datetime.UTC) if since else None,
        incident=_number(params, "incident"),
        portal=_number(params, "portal"),
        shown=shown,
        listing=params.get("scope") in {"queue", "dashboard"},
        typing=params.get("typing") == "1",
        wait=params.get("wait", "1") != "0",
        views=_tag(params),
    )


def _display_name(request: HttpRequest) -> str:
    user: Any = request.user
    return user.get_full_name() or user.get_username()


def _answer(
    access: Access,
    query: Query,
    incident_id: int | None,
    seen: Signature,
    *,
    look_back: bool,
    waits: bool = False,
) -> dict[str, Any]:
    """What the page is told, from the newest ids of ``seen`` (the watcher's last signature, or one
    just read): a signature a moment old gives cursors a moment old, which only re-read a few ids.

    ``waits``: the request will wait on the watcher from ``seen`` if nothing is news. Then a cursor
    already at ``seen``'s newest event (or notification) needs no read: anything newer changes the
    signature, and the watcher wakes the request at once (its first read differs from ``seen``), which
    then reads with a look back. That is the idle page's usual question: answered with no read.
    """
    scoped = query.incident or query.portal
    changes: list[Change]
    caught_up = waits and query.after is not None and query.after >= seen.newest_event
    if caught_up:
        cursor, changes, unseen = query.after or 0, [], False
    elif scoped or query.listing:
        cursor, changes, unseen = changes_since(
            access=access,
            after=query.after,
            since=query.since,
            look_back=look_back,
            shown=query.shown,
            public_only=bool(query.portal),
            named=bool(query.incident),
            # Another process may have told the page of a newer id than this one's signature holds.
            newest=max(seen.newest_event, query.after or 0),
        )
    else:  # a page that shows no incident: its bell only
        cursor, changes, unseen = max(seen.newest_event, query.after or 0), [], False
    if scoped:
        changes = [c for c in changes if c.number == scoped]
    bell = (
        query.notified is not None
        and not (waits and query.notified >= seen.newest_notification)
        and has_new_notifications(access=access, after=query.notified)
    )
    # A new notification: its id read afresh, so the page is not told of it twice.
    notified = newest_notification_id() if bell else max(seen.newest_notification, query.notified or 0)
    answer: dict[str, Any] = {
        "cursor": cursor,
        "notified": notified,
        "bell": bell,
        "changes": [{"id": c.id, "incident": c.number, **c.detail} for c in changes],
        # Some incident this queue's reader may not open changed: re-read the rows, learn nothing more.
        "unseen": unseen and not scoped,
    }
    if query.incident and incident_id is not None and access.is_staff_member and access.user_id:
        answer["present"] = presence.others(incident_id=incident_id, user_id=access.user_id)
    return answer


class SharedAnswers:
    """Woken requests of one person asking the same question share one answer (per process).

    When a change wakes the waiting pages of a process together, the pages of one person that show the
    same thing (the same scope and cursor) would each run the same visibility-checked reads, each on a
    connection from the process's small pool (``DB_POOL_MAX_SIZE``). The first computes; the others wait
    for it and take its answer. The key holds the person's whole standing (``Access``), the page's
    question and the watcher's signature, so nobody is told what another person may see, and a new change
    is a new key.
    """

    MAX = 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._flights: dict[tuple[Any, ...], threading.Lock] = {}
        self.computed = 0

    def get(self, key: tuple[Any, ...], compute: Any) -> dict[str, Any]:
        with self._lock:
            if key in self._entries:
                return dict(self._entries[key])
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._entries:
                    return dict(self._entries[key])
            answer = compute()
            self.computed += 1
            with self._lock:
                self._entries[key] = answer
                while len(self._entries) > self.MAX:
                    self._entries.popitem(last=False)
                self._flights.pop(key, None)
            return dict(answer)


shared_answers = SharedAnswers()


def _woken_answer(access: Access, query: Query, incident_id: int | None, now: Signature) -> dict[str, Any]:
    key = (
        access,
        query.after,
        query.notified,
        query.since,
        query.incident,
        query.portal,
        query.shown,
        query.listing,
        incident_id,
        tuple(now),
    )
    return shared_answers.get(key, lambda: _answer(access, query, incident_id, now, look_back=True))


def _views(access: Access, query: Query, answer: dict[str, Any]) -> int | None:
    """Add the reader's saved views with their counts when they differ from what the page shows;
    the count generation they were made at (None: the page shows no counts)."""
    if query.views is None or not access.is_staff_member:
        return None
    # Without a running watcher nothing tells the board of changes: count afresh (plain polling).
    tag, views, generation = counts.board.views_for(access, live=watcher.snapshot() is not None)
    if tag != query.views:
        answer["views"] = views
        answer["views_tag"] = tag
    return generation


class Waiting:
    """How many feed requests of this process are waiting, against ``LIVE_MAX_WAITING``.

    A waiting request holds a gunicorn thread, and a worker whose threads all hold one queues any other
    request behind them (up to ``LIVE_WAIT_SECONDS``): the connections do not spread evenly over the
    workers (docs/architecture/live.md, Limits). Past the cap a question is answered at once instead."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def enter(self) -> bool:
        cap = settings.LIVE_MAX_WAITING
        with self._lock:
            if cap and self.count >= cap:
                return False
            self.count += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.count -= 1


waiting = Waiting()


def _news(answer: dict[str, Any]) -> bool:
    return bool(answer["changes"] or answer["bell"] or answer["unseen"] or "views" in answer)


@never_cache
@require_GET
@transaction.non_atomic_requests  # reads only, and a wait must hold no transaction
def feed(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Sign in to follow changes.")}, status=403)
    try:
        query = parse(request.GET)
    except BadQuery as error:
        return JsonResponse({"error": str(error)}, status=400)
    # The person's roles and groups as kept under the standing version now (read again if it moved). The
    # version is read from the cache, not from the watcher's last signature, which may be a poll behind:
    # an answer is never built from roles older than the request, and a wake-up that only brings the
    # watcher up to this version is not mistaken for a change of them.
    standing = standing_version()
    access = standings.access(request.user, standing)
    incident_id = None
    number = query.incident or query.portal
    if number:
        try:
            incident_id = incident_id_for_user(access=access, number=number)
        except Http404:
            return JsonResponse({"error": _("No such incident.")}, status=404)
    if query.incident and incident_id is not None and access.is_staff_member and access.user_id:
        presence.beat(
            incident_id=incident_id, user_id=access.user_id, name=_display_name(request), typing=query.typing
        )
    seen = watcher.snapshot() or read_signature()  # after the beat: this page's own arrival is seen
    waits = query.wait and query.after is not None and settings.LIVE_WAIT_SECONDS > 0
    answer = _answer(access, query, incident_id, seen, look_back=False, waits=waits)
    generation = _views(access, query, answer)
    if waits and not _news(answer):
        if waiting.enter():
            try:
                answer = _wait(query, access, standing, incident_id, seen, answer, generation)
            finally:
                waiting.leave()
        else:
            # The process holds as many waits as it may: answer now, and the page asks again later.
            answer["again_in"] = settings.LIVE_BUSY_AGAIN_SECONDS
    answer["at"] = timezone.now().isoformat()
    return JsonResponse(answer)


def _wait(
    query: Query,
    access: Access,
    standing: int,
    incident_id: int | None,
    seen: Signature,
    answer: dict[str, Any],
    generation: Any,
) -> dict[str, Any]:
    """Wait until something the page shows changed (a wake-up for nothing it shows: wait on); the
    newest answer."""
    deadline = time.monotonic() + settings.LIVE_WAIT_SECONDS
    while not _news(answer):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if not connection.in_atomic_block:
            connection.close()  # no connection held while waiting: 200 pages are not 200 connections
        interest = Interest(
            access.user_id, incident_id=incident_id, all_events=query.listing, counts_generation=generation
        )
        now = watcher.wait(seen, left, interest) or seen
        if now == seen and time.monotonic() >= deadline:
            break  # the time is up and nothing changed since the answer above: it stands, unread again
        if now.standing > standing:
            break  # someone's roles or groups changed: no answer from the old ones; the page asks again
        answer = _woken_answer(access, query, incident_id, now)
        generation = _views(access, query, answer)
        if query.incident and now.presence != seen.presence:
            break  # someone came, went or typed: the page shows who
        seen = now
    return answer


@require_POST
@transaction.non_atomic_requests
def presence_update(request: HttpRequest) -> JsonResponse:
    """``state``: ``typing``, ``viewing`` or ``left`` (sent by the page as it closes)."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Sign in to follow changes.")}, status=403)
    access = access_of(request)
    if not access.is_staff_member or not access.user_id:
        return JsonResponse({"error": _("Only the staff's presence is shown.")}, status=403)
    state = request.POST.get("state", "")
    if state not in {"typing", "viewing", "left"}:
        return JsonResponse({"error": _("state is typing, viewing or left.")}, status=400)
    try:
        number = _number(request.POST, "incident")
        incident = incident_get_for_user(access=access, number=number)
    except (BadQuery, Http404):
        return JsonResponse({"error": _("No such incident.")}, status=404)
    if state == "left":
        presence.leave(incident_id=incident.pk, user_id=access.user_id)
    else:
        presence.beat(
            incident_id=incident.pk,
            user_id=access.user_id,
            name=_display_name(request),
            typing=state == "typing",
        )
    return JsonResponse({"ok": True})
