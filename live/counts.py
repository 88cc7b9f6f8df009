"""Saved views' live counts: recounted when a change may touch them, at most once a second per process.

The watcher (``live/watcher.py``) reads each new event's kind and changed fields and hands the board
the *aspects* it touches (status, assignment, priority ...). Every second at most, the board turns
what it gathered into a new generation and the watcher wakes the pages that show counts. A page asks
for its reader's views (``views_for``): the board recounts, in one aggregate query, only the views of
that reader whose queue or filters depend on an aspect touched since the reader's counts were made;
the others keep their count. What it computes is kept per process for the reader's standing, so the
pages of one person (and two requests woken together) cost one query, not one each.

Counts come from ``live.selectors`` (the queue's queryset through the visibility rule): a count is
the number of incidents the reader may see.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from core import versions
from escalation.access import Access

from . import selectors

VERSION_KEY = selectors.VIEWS_VERSION_KEY
COALESCE_S = 1.0
ALL = "*"
# The aspects each event kind may change; a kind not named here may change anything.
KIND_ASPECTS: dict[str, frozenset[str]] = {
    "assigned": frozenset({"assignment", "status"}),
    "escalated": frozenset({"assignment", "status"}),
    "started": frozenset({"status"}),
    "held": frozenset({"status"}),
    "resumed": frozenset({"status"}),
    "resolved": frozenset({"status"}),
    "reopened": frozenset({"status"}),
    "closed": frozenset({"status"}),
    "cancelled": frozenset({"status"}),
    "comment": frozenset({"text"}),  # the search may read comments
    "attachment": frozenset({"text"}),
    "sla_threshold": frozenset({"sla"}),
    "ola_threshold": frozenset({"sla"}),
    "sla_escalation": frozenset({"sla"}),
    "sla_policy": frozenset({"sla"}),
    "major_update": frozenset(),
    "review_recorded": frozenset(),
    "knowledge_linked": frozenset(),
}
# The aspects a changed field of an ``updated`` event touches; any other field may change anything
# (the visibility of a restricted incident, say).
FIELD_ASPECTS: dict[str, str] = {
    "title": "text",
    "description": "text",
    "priority": "priority",
    "impact": "priority",
    "urgency": "priority",
    "category": "category",
    "subcategory": "category",
    "service": "service",
    "channel": "channel",
    "assignment_group": "assignment",
    "assigned_to": "assignment",
    "status": "status",
}
# The aspects each queue depends on (besides a new incident, which touches every view).
QUEUE_ASPECTS: dict[str, frozenset[str]] = {
    "mine": frozenset({"assignment", "status"}),
    "groups": frozenset({"assignment", "status"}),
    "unassigned": frozenset({"assignment", "status"}),
    "open": frozenset({"status"}),
    "on_hold": frozenset({"status"}),
    "resolved": frozenset({"status"}),
    "all": frozenset(),
}
FILTER_ASPECTS: dict[str, str] = {
    "q": "text",
    "status": "status",
    "priority": "priority",
    "group": "assignment",
    "assignee": "assignment",
    "category": "category",
    "service": "service",
    "channel": "channel",
    "sla_state": "sla",
}


def event_aspects(kind: str, fields: Iterable[str]) -> frozenset[str]:
    """What an event may change of a queue's membership (``ALL``: anything)."""
    if kind == "updated":
        aspects = set()
        for name in fields:
            aspect = FIELD_ASPECTS.get(name)
            if aspect is None and name not in {"macro", "rule"}:  # attribution, not a change
                return frozenset({ALL})
            if aspect:
                aspects.add(aspect)
        return frozenset(aspects)
    return KIND_ASPECTS.get(kind, frozenset({ALL}))


def view_aspects(query: str) -> frozenset[str]:
    """What a saved view's count depends on: its queue (by default: assignment, status) and filters."""
    params = QueryDict(query)
    aspects = set(QUEUE_ASPECTS.get(params.get("queue", ""), frozenset({"assignment", "status"})))
    for name, value in params.items():
        if value and name in FILTER_ASPECTS:
            aspects.add(FILTER_ASPECTS[name])
        elif value and name not in {"sort", "queue"}:
            aspects.add(ALL)  # a filter this table does not know: any change may touch it
    return frozenset(aspects)


def touches(event: frozenset[str], view: frozenset[str]) -> bool:
    return ALL in event or ALL in view or bool(event & view)


def views_version() -> int:
    """Bumped by every saved view's creation or deletion, in the shared cache (read by the watcher)."""
    return versions.read(VERSION_KEY)


def bump_views_version() -> None:
    versions.bump(VERSION_KEY)


@dataclass
class Entry:
    generation: int
    version: int
    views: list[dict[str, Any]]
    aspects: dict[int, frozenset[str]]
    counts: dict[int, int]
    tag: str
    saved: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _tag(views: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(views, sort_keys=True).encode()).hexdigest()[:16]


class Board:
    """The per-process generations of count-touching changes and the counts made for each reader."""

    MAX_TOUCHED = 256
    MAX_READERS = 2000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.generation = 0
        self._touched: OrderedDict[int, frozenset[str]] = OrderedDict()  # generation -> aspects
        self._pending: set[str] = set()
        self._last_bump = 0.0
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self.recounts = 0  # queries made (tests, the bench)

    # --- the watcher's side ---------------------------------------------------------------------

    def note(self, aspects: Iterable[frozenset[str]]) -> None:
        with self._lock:
            for a in aspects:
                self._pending |= a

    def tick(self, now: float | None = None) -> bool:
        """Turn what was gathered into a generation, at most once every ``COALESCE_S``: True if it did."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if not self._pending or now - self._last_bump < COALESCE_S:
                return False
            self.generation += 1
            self._touched[self.generation] = frozenset(self._pending)
            while len(self._touched) > self.MAX_TOUCHED:
                self._touched.popitem(last=False)
            self._pending = set()
            self._last_bump = now
            return True

    def reset(self) -> None:
        with self._lock:
            self.generation += 1
            self._touched[self.generation] = frozenset({ALL})
            self._pending = set()
            self._entries.clear()

    def _touched_since(self, generation: int) -> frozenset[str]:
        if generation == self.generation:
            return frozenset()
        if generation + 1 not in self._touched:
            return frozenset({ALL})  # forgotten: recount everything
        out: set[str] = set()
        for gen, aspects in self._touched.items():
            if gen > generation:
                out |= aspects
        return frozenset(out)

    # --- the feed's side ------------------------------------------------------------------------

    def views_for(self, access: Access, *, live: bool = True) -> tuple[str, list[dict[str, Any]], int]:
        """The reader's views with their counts, a tag that changes when they do, and the generation.
        ``live=False`` (no watcher tells the board of changes): counted afresh."""
        version = views_version()
        key = (
            access.user_id,
            tuple(sorted(access.group_ids)),
            tuple(sorted(access.roles)),
            access.is_superuser,
        )
        with self._lock:
            entry = self._entries.get(key)
            generation = self.generation
            if entry is None or entry.version != version or not live:
                entry = Entry(generation=-1, version=version, views=[], aspects={}, counts={}, tag="")
                self._entries[key] = entry
                while len(self._entries) > self.MAX_READERS:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(key)
        with entry.lock:  # pages of one reader woken together: one of them counts
            if entry.generation == generation:
                return entry.tag, entry.views, generation
            if entry.generation < 0:
                saved = list(selectors.views_visible_to(access)[: selectors.MAX_VIEWS])
                entry.aspects = {v.pk: view_aspects(v.query) for v in saved}
                entry.views = [
                    {"id": v.pk, "name": v.name, "url": v.url, "shared": v.group_id is not None, "count": 0}
                    for v in saved
                ]
                entry.saved, entry.counts = saved, {}
                stale = {v.pk for v in saved}
            else:
                with self._lock:
                    touched = self._touched_since(entry.generation)
                stale = {pk for pk, a in entry.aspects.items() if touches(touched, a)}
            if stale:
                counted = selectors.count_views(access, [v for v in entry.saved if v.pk in stale])
                self.recounts += 1
                entry.counts.update(counted)
                entry.views = [{**v, "count": entry.counts.get(v["id"], 0)} for v in entry.views]
                entry.tag = _tag(entry.views)
            elif entry.generation < 0:
                entry.tag = _tag(entry.views)
            entry.generation = generation
            return entry.tag, entry.views, generation


board = Board()
