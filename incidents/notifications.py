"""Notifications (SPEC §7): in-app rows mirrored by email, exactly once per event and recipient.

The event row is the outbox. A service records the event and calls ``notify_on_commit``;
after commit a task fans the event out to ``Notification`` rows (unique per event,
recipient, kind and key) and marks the event notified in the same transaction. Each email
is sent by claiming its row. Beat's flush picks up whatever a broker outage left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from core.mail import render_email
from core.queueing import enqueue_on_commit
from escalation.models import Membership

from .models import Incident, IncidentEvent, Notification

log = logging.getLogger(__name__)
User = get_user_model()


@dataclass(frozen=True)
class Recipient:
    user: Any
    kind: str  # names the email templates: templates/incidents/email/<kind>.*
    key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


RecipientRule = Callable[[IncidentEvent], Iterable[Recipient]]
# Event kind → who hears of it. Higher layers (the SLA engine, surveys) register their own.
RECIPIENT_RULES: dict[str, RecipientRule] = {}


def recipient_rule(*kinds: str) -> Callable[[RecipientRule], RecipientRule]:
    def register(fn: RecipientRule) -> RecipientRule:
        for kind in kinds:
            RECIPIENT_RULES[kind] = fn
        return fn

    return register


def notify_on_commit(event: IncidentEvent) -> None:
    from .tasks import event_notify_task

    if event.notified_at is None:
        enqueue_on_commit(event_notify_task, event.pk)


def _group_members(group_id: int) -> list[Any]:
    return [
        m.user
        for m in Membership.objects.filter(group_id=group_id, user__is_active=True).select_related("user")
    ]


def _owners(incident: Incident) -> list[Any]:
    """The assignee if there is one, else every member of the owning group."""
    if incident.assigned_to_id:
        return [incident.assigned_to]
    return _group_members(incident.assignment_group_id)


@recipient_rule(IncidentEvent.Kind.CREATED)
def _on_created(event: IncidentEvent) -> Iterable[Recipient]:
    incident = event.incident
    yield Recipient(incident.caller, "incident_logged")
    for user in _owners(incident):
        yield Recipient(user, "assigned_to_you" if incident.assigned_to_id else "group_new_incident")


@recipient_rule(IncidentEvent.Kind.ASSIGNED, IncidentEvent.Kind.ESCALATED)
def _on_assigned(event: IncidentEvent) -> Iterable[Recipient]:
    incident = event.incident
    if "assigned_to" in event.changes and incident.assigned_to_id:
        yield Recipient(incident.assigned_to, "assigned_to_you")
    elif "assignment_group" in event.changes:
        for user in _group_members(incident.assignment_group_id):
            yield Recipient(user, "group_new_incident")


@recipient_rule(IncidentEvent.Kind.RESOLVED)
def _on_resolved(event: IncidentEvent) -> Iterable[Recipient]:
    yield Recipient(event.incident.caller, "incident_resolved")


@recipient_rule(IncidentEvent.Kind.REOPENED)
def _on_reopened(event: IncidentEvent) -> Iterable[Recipient]:
    for user in _owners(event.incident):
        yield Recipient(user, "incident_reopened")


@recipient_rule(IncidentEvent.Kind.COMMENT, IncidentEvent.Kind.ATTACHMENT)
def _on_comment(event: IncidentEvent) -> Iterable[Recipient]:
    incident = event.incident
    from_caller = event.actor_id in (incident.caller_id, incident.reported_by_id) and not _is_staff(
        event.actor
    )
    if from_caller:
        for user in _owners(incident):
            yield Recipient(user, "caller_reply")
    elif event.public and event.kind == IncidentEvent.Kind.COMMENT:
        yield Recipient(incident.caller, "public_comment")


@recipient_rule(IncidentEvent.Kind.CONSULTED)
def _on_consulted(event: IncidentEvent) -> Iterable[Recipient]:
    consultation = event.incident.consultations.filter(question=event.body).order_by("-id").first()
    if consultation is not None:
        for user in _group_members(consultation.group_id):
            yield Recipient(user, "consultation_requested", extra={"consultation": consultation})


@recipient_rule(IncidentEvent.Kind.CONSULTATION_ANSWERED)
def _on_consultation_answered(event: IncidentEvent) -> Iterable[Recipient]:
    for user in _owners(event.incident):
        yield Recipient(user, "consultation_answered")


def _is_staff(user: Any) -> bool:
    from escalation.roles import is_staff_member

    return user is not None and is_staff_member(user)


def incident_url(incident: Incident, *, for_caller: bool) -> str:
    path = f"/portal/incidents/{incident.number}/" if for_caller else f"/incidents/{incident.number}/"
    return f"{settings.SITE_URL}{path}"


def event_fan_out(event_id: int, *, now: datetime | None = None) -> list[int]:
    """Create the notifications of one event, once. Returns the ids of those to email."""
    now = now or timezone.now()
    with transaction.atomic():
        event = (
            IncidentEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, notified_at__isnull=True)
            .first()
        )
        if event is None:
            return []  # done already, or another worker holds it
        rule = RECIPIENT_RULES.get(event.kind)
        rows: list[Notification] = []
        seen: set[tuple[int, str, str]] = set()
        for recipient in rule(event) if rule else ():
            user = recipient.user
            if user is None or user.pk == event.actor_id or not user.is_active:
                continue
            if (user.pk, recipient.kind, recipient.key) in seen:
                continue
            seen.add((user.pk, recipient.kind, recipient.key))
            rows.append(_build(event, recipient))
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        IncidentEvent.objects.filter(pk=event.pk).update(notified_at=now)
        ids = list(
            Notification.objects.filter(event=event, emailed_at__isnull=True)
            .exclude(email_to="")
            .values_list("pk", flat=True)
        )
    return ids


def _build(event: IncidentEvent, recipient: Recipient) -> Notification:
    incident = event.incident
    user = recipient.user
    for_caller = user.pk in (incident.caller_id, incident.reported_by_id) and not _is_staff(user)
    url = incident_url(incident, for_caller=for_caller)
    context = {
        "incident": incident,
        "event": event,
        "recipient": user,
        "url": url,
        "site_url": settings.SITE_URL,
        **recipient.extra,
    }
    email = render_email(f"incidents/email/{recipient.kind}", context)
    return Notification(
        recipient=user,
        incident=incident,
        event=event,
        kind=recipient.kind,
        key=recipient.key,
        subject=email.subject,
        body=email.text,
        body_html=email.html,
        url=url,
        email_to=user.email or "",
        created_at=event.created_at,
    )


def notification_email_send(notification_id: int, *, now: datetime | None = None) -> bool:
    """Send one notification's email, claimed under a row lock; True if this call sent it."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, emailed_at__isnull=True)
            .exclude(email_to="")
            .first()
        )
        if notification is None:
            return False
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body,
            to=[notification.email_to],
            headers={"Auto-Submitted": "auto-generated"},
        )
        if notification.body_html:
            message.attach_alternative(notification.body_html, "text/html")
        message.send()
        Notification.objects.filter(pk=notification.pk).update(emailed_at=now or timezone.now())
    return True


def notifications_pending(*, older_than: timedelta, batch_size: int) -> tuple[list[int], list[int]]:
    """Events not yet fanned out and emails not yet sent, older than ``older_than``."""
    cutoff = timezone.now() - older_than
    events = list(
        IncidentEvent.objects.filter(notified_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    emails = list(
        Notification.objects.filter(emailed_at__isnull=True, created_at__lte=cutoff)
        .exclude(email_to="")
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    return events, emails
