"""What the portal reads: one's own and watched incidents, and only their public timeline."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from incidents.models import Incident, IncidentEvent, Watcher
from incidents.notifications import staff_ids
from incidents.selectors import incident_get_for_user

from .wording import OPEN

RECENT = 20


def portal_incidents(*, user: Any) -> QuerySet[Incident]:
    """The incidents the user called in, reported or watches, staff included (it is *their* portal)."""
    if not getattr(user, "is_authenticated", False):
        return Incident.objects.none()
    watched = Watcher.objects.filter(user=user).values("incident_id")
    return (
        Incident.objects.filter(Q(caller=user) | Q(reported_by=user) | Q(pk__in=watched))
        .select_related("assignment_group", "assigned_to")
        .order_by("-created_at", "-id")
    )


def portal_incident_lists(*, user: Any) -> tuple[list[Incident], list[Incident]]:
    """Open ones, and the most recent finished ones: two queries."""
    qs = portal_incidents(user=user)
    return list(qs.filter(status__in=OPEN)), list(qs.exclude(status__in=OPEN)[:RECENT])


def portal_incident_get(*, user: Any, number: str) -> Incident:
    """404 for anyone who may not see it (``incidents.selectors`` decides)."""
    return incident_get_for_user(user=user, number=number)


def portal_timeline(*, incident: Incident) -> list[IncidentEvent]:
    """The public entries only, whoever looks: staff opening the portal see what callers see."""
    return list(
        incident.events.filter(public=True).select_related("actor", "attachment").order_by("created_at", "id")
    )


def timeline_staff_ids(events: list[IncidentEvent]) -> frozenset[int]:
    return staff_ids({e.actor_id for e in events})
