"""When beat last started periodic work: the mark `/readyz` reads to tell that beat is alive.

The SLA sweep is queued by beat every ``SLA_SWEEP_INTERVAL`` (a minute by default) and is the
periodic task the product cannot do without, so its task records the time it ran in the cache.
The cache, not the database: production requires a cache all processes share (Redis), so web,
workers and beat all see the same mark, and a write each minute costs nothing. With a
process-local cache (the embedded default) the mark is only seen by the process that wrote it.
"""

from __future__ import annotations

import time

from django.core.cache import cache

BEAT_MARK_KEY = "servicedesk:beat:last-run"


def record_beat_run() -> None:
    """Note that a beat-queued periodic task has just run (kept a day: stale beyond that anyway)."""
    cache.set(BEAT_MARK_KEY, time.time(), timeout=24 * 3600)


def last_beat_run() -> float | None:
    """The Unix time of the last recorded run, or None if none is known."""
    value = cache.get(BEAT_MARK_KEY)
    return float(value) if isinstance(value, int | float) else None
