"""Who hears of a major incident (issue 13), as the subscriber ``incidents.major_notifications``.

- proposed: the incident managers, who decide;
- declared: the incident managers, the managers and the owning group's points of escalation;
- status update: the callers of its child incidents (and its own caller), each once, by mail and in
  their inbox, with a link to their own incident.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth import get_user_model

from escalation.choices import Role
from escalation.models import EscalationPoint

from ..notifications.delivery import Audience, Recipient, RecipientRule, notify
from ..records.models import Incident, IncidentEvent
from ..sla.notifications import point_users

User = get_user_model()
Kind = IncidentEvent.Kind
MAJOR_KINDS = (Kind.MAJOR_PROPOSED, Kind.MAJOR_DECLARED, Kind.MAJOR_UPDATE)


def _role(name: str) -> Iterator[Any]:
    yield from User.objects.filter(groups__name=name, is_active=True).order_by("pk")


def _on_proposed(a: Audience) -> Iterable[Recipient]:
    for user in _role(Role.INCIDENT_MANAGER):
        yield Recipient(user, "major_proposed")


def _on_declared(a: Audience) -> Iterable[Recipient]:
    for role in (Role.INCIDENT_MANAGER, Role.MANAGER):
        for user in _role(role):
            yield Recipient(user, "major_declared")
    points = EscalationPoint.objects.filter(group_id=a.event.incident.assignment_group_id).select_related(
        "user"
    )
    for point in points.order_by("level", "pk"):
        for user in point_users(point):
            yield Recipient(user, "major_declared")


def _on_update(a: Audience) -> Iterable[Recipient]:
    major = a.event.incident
    yield Recipient(major.caller, "major_update", extra={"about": major, "as_caller": True})
    for child in Incident.objects.filter(parent=major).select_related("caller").order_by("pk"):
        yield Recipient(child.caller, "major_update", extra={"about": child, "as_caller": True})


MAJOR_RULES: dict[str, RecipientRule] = {
    Kind.MAJOR_PROPOSED: _on_proposed,
    Kind.MAJOR_DECLARED: _on_declared,
    Kind.MAJOR_UPDATE: _on_update,
}


def notify_major(event: IncidentEvent) -> None:
    notify(event, MAJOR_RULES[event.kind])
