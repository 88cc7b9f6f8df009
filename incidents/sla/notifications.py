"""Who hears of an SLA threshold (SPEC §5, §7): the points of escalation of the group that owned
the incident when the threshold fired, then its assignee and the group's members, each once.

Of an OLA threshold (a tier's time to accept, or to hand back or resolve): the group's team leads
(``Membership.is_lead``) and its points of escalation registered for the OLA (target ``ola``) at
that percent, each once.

``IncidentsConfig.ready()`` subscribes ``notify_sla`` to the event hook as ``incidents.sla_notifications``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth import get_user_model

from escalation.models import EscalationPoint, Membership, SlaTarget

from ..notifications.delivery import Audience, Recipient, notify
from ..records.models import IncidentEvent
from .models import OlaThresholdFire, SlaThresholdFire

User = get_user_model()
SLA_KINDS = (
    IncidentEvent.Kind.SLA_THRESHOLD,
    IncidentEvent.Kind.SLA_ESCALATION,
    IncidentEvent.Kind.OLA_THRESHOLD,
)


def point_users(point: EscalationPoint) -> Iterator[Any]:
    if point.user is not None:
        if point.user.is_active:
            yield point.user
        return
    yield from User.objects.filter(groups__name=point.role, is_active=True).order_by("pk")


def sla_recipients(audience: Audience) -> Iterable[Recipient]:
    event = audience.event
    fire = SlaThresholdFire.objects.filter(event=event).select_related("group").first()
    if fire is None:
        return
    incident = event.incident
    key = f"{fire.target}:{fire.percent}:{fire.cycle}"
    extra = {"fire": fire, "group": fire.group}
    seen: set[int] = set()
    points = EscalationPoint.objects.filter(
        group_id=fire.group_id, target=fire.target, percent=fire.percent
    ).select_related("user")
    for point in points:
        for user in point_users(point):
            if user.pk not in seen:
                seen.add(user.pk)
                yield Recipient(user, "sla_escalation", key, extra={**extra, "level": point.level})
    owners: list[Any] = [incident.assigned_to] if incident.assigned_to_id else []
    owners += [
        m.user
        for m in Membership.objects.filter(group_id=fire.group_id, user__is_active=True).select_related(
            "user"
        )
    ]
    kind = "sla_breach" if fire.percent >= 100 else "sla_warning"
    for user in owners:
        if user.pk not in seen:
            seen.add(user.pk)
            yield Recipient(user, kind, key, extra=extra)


def ola_recipients(audience: Audience) -> Iterable[Recipient]:
    fire = OlaThresholdFire.objects.filter(event=audience.event).select_related("group").first()
    if fire is None:
        return
    key = f"{fire.handoff_id}:{fire.target}:{fire.percent}"
    extra = {"fire": fire, "group": fire.group}
    seen: set[int] = set()
    for m in Membership.objects.filter(
        group_id=fire.group_id, is_lead=True, user__is_active=True
    ).select_related("user"):
        seen.add(m.user.pk)
        yield Recipient(m.user, "ola_threshold", key, extra={**extra, "as_lead": True})
    points = EscalationPoint.objects.filter(
        group_id=fire.group_id, target=SlaTarget.OLA, percent=fire.percent
    ).select_related("user")
    for point in points:
        for user in point_users(point):
            if user.pk not in seen:
                seen.add(user.pk)
                yield Recipient(user, "ola_threshold", key, extra={**extra, "level": point.level})


def notify_sla(event: IncidentEvent) -> None:
    notify(event, ola_recipients if event.kind == IncidentEvent.Kind.OLA_THRESHOLD else sla_recipients)
