"""Who may see and do what on an incident (SPEC §1). Services and views both ask here."""

from __future__ import annotations

from typing import Any

from escalation.roles import (
    is_incident_manager,
    is_service_desk,
    is_staff_member,
    user_support_group_ids,
)

from .errors import PermissionDenied
from .models import Incident

# What a caller (the affected user, or whoever reported for them) may do on their own incident.
CALLER_ACTIONS = frozenset({"comment", "attach", "close", "reopen"})
# The service desk is the single point of contact: it follows every incident up with the
# caller and closes it, whichever group owns it.
SERVICE_DESK_ACTIONS = frozenset({"comment", "attach", "close", "reopen", "cancel", "update"})
CONSULTED_ACTIONS = frozenset({"comment", "attach"})
# A watcher (a colleague the caller added) follows the conversation; confirming is the caller's.
WATCHER_ACTIONS = frozenset({"comment", "attach"})


def is_caller(user: Any, incident: Incident) -> bool:
    return bool(user.is_authenticated) and user.pk in (incident.caller_id, incident.reported_by_id)


def is_watcher(user: Any, incident: Incident) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return incident.watchers.filter(user=user).exists()


def is_owner_member(user: Any, incident: Incident) -> bool:
    return incident.assignment_group_id in user_support_group_ids(user)


def is_consulted_on(user: Any, incident: Incident) -> bool:
    groups = user_support_group_ids(user)
    if not groups:
        return False
    return incident.consultations.filter(group_id__in=groups).exists()


def can_view(user: Any, incident: Incident) -> bool:
    """Staff see every incident (read-only unless their group owns it); callers and watchers see theirs."""
    return is_staff_member(user) or is_caller(user, incident) or is_watcher(user, incident)


def can_work(user: Any, incident: Incident) -> bool:
    return is_incident_manager(user) or is_owner_member(user, incident)


def can(user: Any, incident: Incident, action: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if can_work(user, incident):
        return True
    if action in SERVICE_DESK_ACTIONS and is_service_desk(user):
        return True
    if action in CALLER_ACTIONS and is_caller(user, incident):
        return True
    if action in CONSULTED_ACTIONS and is_consulted_on(user, incident):
        return True
    # Staff follow incidents through their queues; watching is for end users (and costs a query).
    return action in WATCHER_ACTIONS and not is_staff_member(user) and is_watcher(user, incident)


def check(user: Any, incident: Incident, action: str) -> None:
    if not can(user, incident, action):
        raise PermissionDenied(
            f"You may not {action} {incident.number}: it belongs to {incident.assignment_group.name}, "
            "and you are not a member of that group."
        )


def can_see_internal(user: Any) -> bool:
    """Internal work notes and private attachments are for staff only."""
    return is_staff_member(user)
