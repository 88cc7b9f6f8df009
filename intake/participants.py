"""Who may add to an incident by replying to its mail."""

from __future__ import annotations

from typing import Any

from escalation.access import access_for
from incidents import permissions
from incidents.models import Incident


def may_reply(user: Any, incident: Incident) -> bool:
    """The caller (or whoever reported for them) and the incident's watchers may.

    A reply from anyone else goes to the review queue.
    """
    access = access_for(user)
    return permissions.is_caller(access, incident) or permissions.is_watcher(access, incident)
