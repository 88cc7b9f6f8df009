"""Who may add to an incident by replying to its mail."""

from __future__ import annotations

from typing import Any

from incidents import permissions
from incidents.models import Incident


def may_reply(user: Any, incident: Incident) -> bool:
    """The caller (or whoever reported for them) and the incident's watchers may.

    A reply from anyone else goes to the review queue.
    """
    return permissions.is_caller(user, incident) or permissions.is_watcher(user, incident)
