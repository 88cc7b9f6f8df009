"""Version counters in the shared cache: a number that moves whenever something changes, read cheaply by
every process. The live watcher reads them with its signature (who is on an incident page, the saved
views, people's roles and groups) and wakes the pages a move concerns."""

from __future__ import annotations

from django.core.cache import cache


def read(key: str) -> int:
    """The counter's value (0 before its first move, or after the cache lost it)."""
    return int(cache.get(key) or 0)


def bump(key: str) -> None:
    """Move the counter on, atomically where the cache can (Redis: INCR)."""
    try:
        cache.incr(key)
    except ValueError:  # not there yet, or evicted: start again
        cache.set(key, 1, timeout=None)
