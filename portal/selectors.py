"""What the portal reads: one's own and watched incidents, and only their public timeline."""

from __future__ import annotations

from django.db.models import QuerySet

from escalation.access import Access
from incidents.models import Incident, IncidentEvent
from incidents.notifications.delivery import staff_ids
from incidents.selectors import incident_get_for_user, incidents_own, merged_into_for_user

from .wording import OPEN

RECENT = 20
# Open incidents shown on the portal's home page, newest first: a caller with more (a team's shared
# mailbox, say) is told how many there are in all.
OPEN_SHOWN = 50


def portal_incidents(*, access: Access) -> QuerySet[Incident]:
    """The incidents the person called in, reported or watches, staff included (it is *their*
    portal), as they may see them (``incidents_own``)."""
    return (
        incidents_own(access).select_related("assignment_group", "assigned_to").order_by("-created_at", "-id")
    )


def portal_incident_lists(*, access: Access) -> tuple[list[Incident], int, list[Incident]]:
    """The newest ``OPEN_SHOWN`` open ones with the number of open ones in all, and the most recent
    finished ones: three or four queries."""
    qs = portal_incidents(access=access)
    open_qs = qs.filter(status__in=OPEN)
    shown = list(open_qs[: OPEN_SHOWN + 1])
    open_total = len(shown) if len(shown) <= OPEN_SHOWN else open_qs.count()
    return shown[:OPEN_SHOWN], open_total, list(qs.exclude(status__in=OPEN)[:RECENT])


def portal_incident_get(*, access: Access, number: str) -> Incident:
    """404 for anyone who may not see it (``incidents.selectors`` decides)."""
    return incident_get_for_user(access=access, number=number)


def portal_merged_into(*, access: Access, incident: Incident) -> Incident | None:
    """Where a merged incident's work continues, if this person may see it (its page redirects there)."""
    return merged_into_for_user(access=access, incident=incident)


def portal_timeline(*, incident: Incident) -> list[IncidentEvent]:
    """The public entries only, whoever looks: staff opening the portal see what callers see."""
    return list(
        incident.events.filter(public=True).select_related("actor", "attachment").order_by("created_at", "id")
    )


def timeline_staff_ids(events: list[IncidentEvent]) -> frozenset[int]:
    return staff_ids({e.actor_id for e in events})
