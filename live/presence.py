"""Who has an incident page open, and who is typing on it: heartbeats in the shared cache.

Each incident has one cache entry mapping a user id to their name, whether they are typing and
when the entry expires; a page's feed request renews it, leaving the page (or the expiry, if the
browser died) removes it. A change of who is there bumps one version number, which the watcher
reads, so the other pages on the incident hear of it at once. The cache is the one every process
shares in production (Redis, ``CACHE_URL``); ``make run`` is one web process, where the
process-local default is shared by every request.

Two heartbeats on one incident at the same instant may overwrite each other's entry: the lost one
is written again by that page's next request (at most ``LIVE_WAIT_SECONDS`` later).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

from core import versions

VERSION_KEY = "live:presence:version"
# Beyond the longest wait, the time a page takes to ask again.
GRACE_S = 15


def _key(incident_id: int) -> str:
    return f"live:presence:{incident_id}"


def version() -> int:
    return versions.read(VERSION_KEY)


def _bump() -> None:
    versions.bump(VERSION_KEY)


def _entries(incident_id: int, now: float) -> dict[str, Any]:
    entries = cache.get(_key(incident_id)) or {}
    return {uid: e for uid, e in entries.items() if e["expires"] > now}


def beat(*, incident_id: int, user_id: int, name: str, typing: bool) -> None:
    """Renew the user's presence; a new arrival or a change of typing state tells the others."""
    now = time.time()
    entries = _entries(incident_id, now)
    key = str(user_id)
    before = entries.get(key)
    ttl = settings.LIVE_WAIT_SECONDS + GRACE_S
    entries[key] = {"name": name, "typing": typing, "expires": now + ttl}
    cache.set(_key(incident_id), entries, timeout=ttl)
    if before is None or before["typing"] != typing:
        _bump()


def leave(*, incident_id: int, user_id: int) -> None:
    now = time.time()
    entries = _entries(incident_id, now)
    if entries.pop(str(user_id), None) is not None:
        cache.set(_key(incident_id), entries, timeout=settings.LIVE_WAIT_SECONDS + GRACE_S)
        _bump()


def others(*, incident_id: int, user_id: int) -> list[dict[str, Any]]:
    """Everyone else on the incident's page, by name, typists first."""
    entries = _entries(incident_id, time.time())
    people = [{"name": e["name"], "typing": e["typing"]} for uid, e in entries.items() if uid != str(user_id)]
    return sorted(people, key=lambda p: (not p["typing"], p["name"]))
