"""The standings (roles, active groups, tiers) of the people following the live feed, kept per process."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from escalation.access import Access, Standing, access_with, standing_of


class StandingCache:
    """The standings (roles, active groups, tiers) of the people following the feed, kept per process.

    Every open page asks again at least every ``LIVE_WAIT_SECONDS``; reading its person's roles and
    groups each time is a query per question for what changes a few times a year. A standing is kept
    under the standing version (``escalation.access``: bumped after the commit of any change of a
    role, membership or support group; the feed reads it with each question, the watcher with its
    signature), and read again when the version moves or after ``TTL_S`` (a write that sends no
    signal, such as ``QuerySet.update``, is seen by then). The user's own flags (superuser, staff)
    come from the request's user, read afresh.
    """

    TTL_S = 60.0
    MAX = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[int, tuple[int, float, Standing]] = OrderedDict()
        self.read = 0

    def access(self, user: Any, version: int) -> Access:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(user.pk)
        if entry is not None and entry[0] == version and now - entry[1] < self.TTL_S:
            standing = entry[2]
        else:
            standing = standing_of(user.pk)
            self.read += 1
            with self._lock:
                self._entries[user.pk] = (version, now, standing)
                self._entries.move_to_end(user.pk)
                while len(self._entries) > self.MAX:
                    self._entries.popitem(last=False)
        return access_with(user, standing)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


standings = StandingCache()
