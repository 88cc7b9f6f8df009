"""Who hears of an SLA threshold (SPEC §5, §7): the points of escalation of the group that owned
the incident when the threshold fired, then its assignee and the group's members, each once.

Of an OLA threshold (a tier's time to accept, or to hand back or resolve): the group's team leads
(``Membership.is_lead``) and its points of escalation registered for the OLA (target ``ola``) at
that percent, each once.

``IncidentsConfig.ready()`` subscribes ``notify_sla`` to the event hook as ``incidents.sla_notifications``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.contrib.auth import get_user_model

from escalation.models import EscalationPoint, Membership, SlaTarget

from ..notifications.delivery import Audience, Recipient, batch_memo, notify, notify_prepare
from ..records.models import IncidentEvent
from .models import OlaThresholdFire, SlaThresholdFire

User = get_user_model()
SLA_KINDS = (
    IncidentEvent.Kind.SLA_THRESHOLD,
    IncidentEvent.Kind.SLA_ESCALATION,
    IncidentEvent.Kind.OLA_THRESHOLD,
)


def _remembered(name: str, key: Any, fetch: Callable[[], list[Any]]) -> list[Any]:
    """``fetch()``, once per batch of the sweep for the same key (``delivery.batch_memo``)."""
    memo = batch_memo(name)
    if memo is None:
        return fetch()
    if key not in memo:
        memo[key] = fetch()
    return memo[key]


def point_users(point: EscalationPoint) -> Iterator[Any]:
    if point.user is not None:
        if point.user.is_active:
            yield point.user
        return
    yield from _remembered(
        "role_users",
        point.role,
        lambda: list(User.objects.filter(groups__name=point.role, is_active=True).order_by("pk")),
    )


def _points(group_id: int | None, target: str, percent: int) -> list[EscalationPoint]:
    return _remembered(
        "points",
        (group_id, target, percent),
        lambda: list(
            EscalationPoint.objects.filter(group_id=group_id, target=target, percent=percent).select_related(
                "user"
            )
        ),
    )


def _members(group_id: int | None, *, leads: bool = False) -> list[Membership]:
    def fetch() -> list[Membership]:
        qs = Membership.objects.filter(group_id=group_id, user__is_active=True).select_related("user")
        return list(qs.filter(is_lead=True) if leads else qs)

    return _remembered("members", (group_id, leads), fetch)


def prepare(events: list[IncidentEvent]) -> None:
    """Inside a batch (``batch_memo``), read the fires of all its SLA and OLA events with a query each,
    and their incidents' watchers with one (the event hook calls it before a batch's events)."""
    notify_prepare(events)
    for model, name, kinds in (
        (OlaThresholdFire, "ola_fires", {IncidentEvent.Kind.OLA_THRESHOLD}),
        (
            SlaThresholdFire,
            "sla_fires",
            {IncidentEvent.Kind.SLA_THRESHOLD, IncidentEvent.Kind.SLA_ESCALATION},
        ),
    ):
        memo = batch_memo(name)
        ids = [event.pk for event in events if event.kind in kinds]
        if memo is None or not ids:
            continue
        found = {
            fire.event_id: fire for fire in model.objects.filter(event_id__in=ids).select_related("group")
        }
        memo.update({pk: found.get(pk) for pk in ids})


def _fire_of(model: Any, name: str, event: IncidentEvent) -> Any:
    """The fire that recorded the event: from the batch's read, else its own query."""
    memo = batch_memo(name)
    if memo is not None and event.pk in memo:
        return memo[event.pk]
    return model.objects.filter(event=event).select_related("group").first()


def sla_recipients(audience: Audience) -> Iterable[Recipient]:
    event = audience.event
    fire = _fire_of(SlaThresholdFire, "sla_fires", event)
    if fire is None:
        return
    incident = event.incident
    key = f"{fire.target}:{fire.percent}:{fire.cycle}"
    extra = {"fire": fire, "group": fire.group}
    seen: set[int] = set()
    for point in _points(fire.group_id, fire.target, fire.percent):
        for user in point_users(point):
            if user.pk not in seen:
                seen.add(user.pk)
                yield Recipient(user, "sla_escalation", key, extra={**extra, "level": point.level})
    owners: list[Any] = [incident.assigned_to] if incident.assigned_to_id else []
    owners += [m.user for m in _members(fire.group_id)]
    kind = "sla_breach" if fire.percent >= 100 else "sla_warning"
    for user in owners:
        if user.pk not in seen:
            seen.add(user.pk)
            yield Recipient(user, kind, key, extra=extra)


def ola_recipients(audience: Audience) -> Iterable[Recipient]:
    fire = _fire_of(OlaThresholdFire, "ola_fires", audience.event)
    if fire is None:
        return
    key = f"{fire.handoff_id}:{fire.target}:{fire.percent}"
    extra = {"fire": fire, "group": fire.group}
    seen: set[int] = set()
    for m in _members(fire.group_id, leads=True):
        seen.add(m.user.pk)
        yield Recipient(m.user, "ola_threshold", key, extra={**extra, "as_lead": True})
    for point in _points(fire.group_id, SlaTarget.OLA, fire.percent):
        for user in point_users(point):
            if user.pk not in seen:
                seen.add(user.pk)
                yield Recipient(user, "ola_threshold", key, extra={**extra, "level": point.level})


def notify_sla(event: IncidentEvent) -> None:
    notify(event, ola_recipients if event.kind == IncidentEvent.Kind.OLA_THRESHOLD else sla_recipients)
