"""Python's cyclic garbage collector runs before requests in the web processes, not in the middle of them.

Left to itself, the collector starts whenever 700 more container objects have been made than freed. A
request that reads fifty incidents makes that many in a fraction of a millisecond, so every request was
interrupted by collections that walk the objects it is still working with: about one in ten by a
second-generation pass of 6-9 ms, and one in a few hundred by a full pass of 160-230 ms over everything
the process has loaded. The API list's CPU p95 sat 8-9 ms above its median (SPEC §13, issue 25 §6). Yet a
request leaves almost no cyclic garbage: its objects are freed by reference counting when it ends (three
objects in cycles for the API list's fifty incidents).

So, in the processes that serve requests (``install``, called by ``servicedesk.wsgi`` and ``.asgi`` once
Django is set up):

- what loading left alive (settings, apps, models) is frozen (``gc.freeze``): kept for the life of the
  process, so that no collection walks it again;
- the automatic threshold is raised to ``AUTOMATIC_THRESHOLD``: a request that holds hundreds of
  thousands of objects at once (a big export) is still collected as it goes, an ordinary one is not;
- when a request starts, the generations that Python's own counts make due are collected, as the
  automatic collector would have, but over what outlived the earlier requests, which is little.

In process, on the 1 M bench database, 600 API list requests: p50 15.7 → 10.8 ms, p95 21.6 → 12.4 ms,
the longest 173 → 49 ms. Celery workers, management commands and the tests keep Python's defaults.
"""

from __future__ import annotations

import gc
from typing import Any

from django.core.signals import request_started

# Python's own thresholds, applied as a request starts instead of within it.
YOUNG_THRESHOLD = 700
OLDER_THRESHOLD = 10
# The automatic collector's, for requests that make far more objects than an ordinary page.
AUTOMATIC_THRESHOLD = 100_000

_installed = False


def install() -> None:
    """Collect before requests in this process, not within them (once; ``servicedesk.wsgi`` calls it with
    Django set up)."""
    global _installed
    if _installed:  # the WSGI and ASGI modules both call it; a module is imported under Python's lock
        return
    _installed = True
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(AUTOMATIC_THRESHOLD, older, oldest)
    request_started.connect(collect_before_request, dispatch_uid="servicedesk.gc_policy")


def due_generation(counts: tuple[int, int, int]) -> int | None:
    """The oldest generation Python's collector would take at these counts (``gc.get_count()``: objects
    made less objects freed since the last collection; collections of the younger generation since the
    last of each older one), or None when none is due. Python also puts off a full collection while few
    objects have reached the oldest generation since the last; after the freeze that generation is small,
    so the full collection is not put off here."""
    young, older, oldest = counts
    if oldest > OLDER_THRESHOLD:
        return 2
    if older > OLDER_THRESHOLD:
        return 1
    if young > YOUNG_THRESHOLD:
        return 0
    return None


def collect_before_request(**kwargs: Any) -> None:
    generation = due_generation(gc.get_count())
    if generation is not None:
        gc.collect(generation)
