"""Who may add to an incident by replying to its mail."""

from __future__ import annotations

from typing import Any

from incidents import permissions
from incidents.models import Incident


def may_reply(user: Any, incident: Incident) -> bool:
    """The caller (or whoever reported for them) may; so will watchers once incidents have them.

    The one place to extend when watchers land: a reply from anyone else goes to the review queue.
    """
    return permissions.is_caller(user, incident)
