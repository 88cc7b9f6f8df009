"""Notifications (SPEC §7): in-app rows mirrored by email, once per event and recipient.

Two subscribers of the event hook (``incidents.records.hooks``), registered by ``IncidentsConfig.ready()``:
``incidents.notifications`` for the lifecycle, ``incidents.sla.notifications`` for SLA thresholds.
Each turns an event into ``Notification`` rows (unique per event, recipient, kind and key, so a
redelivered event adds nothing) and queues their emails after commit.

An email leaves by claim, commit, send, mark (``notification_email_send``): no row lock or open
transaction is held while SMTP talks. A worker that dies between send and mark leaves a claim that
expires after ``NOTIFICATION_EMAIL_CLAIM_SECONDS``; the retry sends the same message again with the same
``Message-ID``, so mail clients show one. Failed sends back off exponentially; beat's flush retries them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.mail import render_email
from core.queueing import enqueue_on_commit
from escalation.models import Membership

from ..records.models import Incident, IncidentEvent, Watcher
from ..records.outbox import retry_delay
from ..selectors import incident_readers
from .models import Notification, NotificationPreference

log = logging.getLogger(__name__)
User = get_user_model()

# ``incidents.notifications.tasks.notification_email_task``, queued by name: the task imports this module.
EMAIL_TASK = "incidents.tasks.notification_email_task"


@dataclass(frozen=True)
class Recipient:
    user: Any
    kind: str  # names the email templates: templates/incidents/email/<kind>.*
    key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The caller hears that the incident they reported themselves (portal, email) was logged.
    include_actor: bool = False


@dataclass
class Audience:
    """What a recipient rule may ask about an event, each answered with one query at most."""

    event: IncidentEvent
    # among the actor, the caller, the reporter and the watchers: who works in the process
    staff_ids: frozenset[int]
    watcher_ids: frozenset[int] = frozenset()

    def is_caller(self, user: Any) -> bool:
        incident = self.event.incident
        return user.pk in (incident.caller_id, incident.reported_by_id) and user.pk not in self.staff_ids

    def is_follower(self, user: Any) -> bool:
        """The caller or a watcher, outside the process: they get portal links and public mail only."""
        return self.is_caller(user) or (user.pk in self.watcher_ids and user.pk not in self.staff_ids)

    def followers(self) -> list[Any]:
        """The caller and the active watchers, each once."""
        incident = self.event.incident
        users = [incident.caller]
        if self.watcher_ids:
            users += list(User.objects.filter(pk__in=self.watcher_ids, is_active=True).order_by("pk"))
        return users


RecipientRule = Callable[[Audience], Iterable[Recipient]]


def staff_ids(user_ids: Iterable[int | None]) -> frozenset[int]:
    """Which of these users are staff members, in one query (the rule of ``Access.is_staff_member``)."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return frozenset()
    staff = (
        Q(is_superuser=True)
        | Q(is_staff=True)
        | Q(groups__isnull=False)
        | Q(memberships__group__is_active=True)
    )
    return frozenset(User.objects.filter(staff, pk__in=ids).values_list("pk", flat=True).distinct())


def notify(event: IncidentEvent, rule: RecipientRule) -> list[int]:
    """Create the notifications ``rule`` names for the event, once; queue their emails after commit.

    Returns the ids of the event's notifications still to email.
    """
    incident = event.incident
    watcher_ids = frozenset(Watcher.objects.filter(incident=incident).values_list("user_id", flat=True))
    audience = Audience(
        event=event,
        staff_ids=staff_ids({event.actor_id, incident.caller_id, incident.reported_by_id, *watcher_ids}),
        watcher_ids=watcher_ids,
    )
    recipients: list[Recipient] = []
    seen: set[tuple[int, str, str]] = set()
    for recipient in rule(audience):
        user = recipient.user
        if user is None or not user.is_active:
            continue
        if user.pk == event.actor_id and not recipient.include_actor:
            continue
        if (user.pk, recipient.kind, recipient.key) in seen:
            continue
        seen.add((user.pk, recipient.kind, recipient.key))
        recipients.append(recipient)
    # Nobody hears of a restricted incident they may not open: its escalations reach its group
    # and the incident managers only, whatever the register says (SPEC §1). Each row is checked
    # against the incident it is about (a major incident's update tells each child's caller).
    about: dict[Incident, list[Recipient]] = {}
    for r in recipients:
        about.setdefault(r.extra.get("about") or incident, []).append(r)
    rows = []
    for subject, told in about.items():
        readers = incident_readers(subject, {r.user.pk for r in told})
        rows += [_build(audience, r) for r in told if r.user.pk in readers]
    if not rows:
        return []
    apply_preferences(rows)
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        Notification.objects.filter(
            event=event, kind__in={r.kind for r in rows}, emailed_at__isnull=True, email_claimed_until=None
        )
        .exclude(email_to="")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        enqueue_on_commit(EMAIL_TASK, pk)
    return ids


def _group_members(group_id: int | None) -> list[Any]:
    return [
        m.user
        for m in Membership.objects.filter(group_id=group_id, user__is_active=True).select_related("user")
    ]


def _owners(incident: Incident) -> list[Any]:
    """The assignee if there is one, else every member of the owning group."""
    if incident.assigned_to_id:
        return [incident.assigned_to]
    return _group_members(incident.assignment_group_id)


def _on_created(a: Audience) -> Iterable[Recipient]:
    incident = a.event.incident
    yield Recipient(incident.caller, "incident_logged", include_actor=True)
    for user in _owners(incident):
        yield Recipient(user, "assigned_to_you" if incident.assigned_to_id else "group_new_incident")


def _on_assigned(a: Audience) -> Iterable[Recipient]:
    event, incident = a.event, a.event.incident
    if "assigned_to" in event.changes and incident.assigned_to_id:
        yield Recipient(incident.assigned_to, "assigned_to_you")
    elif "assignment_group" in event.changes:
        for user in _group_members(incident.assignment_group_id):
            yield Recipient(user, "group_new_incident")


def _on_resolved(a: Audience) -> Iterable[Recipient]:
    for user in a.followers():
        yield Recipient(user, "incident_resolved")


def _on_reopened(a: Audience) -> Iterable[Recipient]:
    for user in _owners(a.event.incident):
        yield Recipient(user, "incident_reopened")


def _on_comment(a: Audience) -> Iterable[Recipient]:
    event, incident = a.event, a.event.incident
    if event.actor is not None and a.is_follower(event.actor):
        for user in _owners(incident):
            yield Recipient(user, "caller_reply")
    if event.public and event.kind == IncidentEvent.Kind.COMMENT:
        for user in a.followers():
            yield Recipient(user, "public_comment")


def _on_consulted(a: Audience) -> Iterable[Recipient]:
    consultation = a.event.consultation
    if consultation is not None:
        for user in _group_members(consultation.group_id):
            yield Recipient(user, "consultation_requested", extra={"consultation": consultation})


def _on_consultation_answered(a: Audience) -> Iterable[Recipient]:
    for user in _owners(a.event.incident):
        yield Recipient(user, "consultation_answered")


Kind = IncidentEvent.Kind
# One rule per kind inside this subscriber; other apps add subscribers to the hook, not rules here.
LIFECYCLE_RULES: dict[str, RecipientRule] = {
    Kind.CREATED: _on_created,
    Kind.ASSIGNED: _on_assigned,
    Kind.ESCALATED: _on_assigned,
    Kind.RESOLVED: _on_resolved,
    Kind.REOPENED: _on_reopened,
    Kind.COMMENT: _on_comment,
    Kind.ATTACHMENT: _on_comment,
    Kind.CONSULTED: _on_consulted,
    Kind.CONSULTATION_ANSWERED: _on_consultation_answered,
}


def notify_lifecycle(event: IncidentEvent) -> None:
    notify(event, LIFECYCLE_RULES[event.kind])


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def caller_link(name: str, incident: Incident) -> str:
    """A link for a caller, or "" while no portal page answers it: no mail links to a 404.

    The portal is to name its pages ``portal:incident-detail``, ``portal:incident-confirm`` and
    ``portal:incident-reopen``, each taking ``number``.
    """
    try:
        return _absolute(reverse(f"portal:{name}", kwargs={"number": incident.number}))
    except NoReverseMatch:
        return ""


def links(incident: Incident, *, for_caller: bool) -> dict[str, str]:
    if for_caller:
        return {
            "url": caller_link("incident-detail", incident),
            "confirm_url": caller_link("incident-confirm", incident),
            "reopen_url": caller_link("incident-reopen", incident),
        }
    return {"url": _absolute(reverse("incidents:detail", kwargs={"number": incident.number}))}


def _build(audience: Audience, recipient: Recipient) -> Notification:
    event = audience.event
    # A rule may write about another incident than the event's: a major incident's update
    # reaches the caller of each child about their own incident (``extra["about"]``).
    incident = recipient.extra.get("about") or event.incident
    user = recipient.user
    about_other = recipient.extra.get("about") is not None
    urls = links(incident, for_caller=recipient.extra.get("as_caller") or audience.is_follower(user))
    if about_other or not audience.is_caller(user):  # only the caller confirms or reopens
        urls.pop("confirm_url", None)
        urls.pop("reopen_url", None)
    context = {
        "incident": incident,
        "event_incident": event.incident,
        "event": event,
        "recipient": user,
        "site_url": settings.SITE_URL,
        **urls,
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
        url=urls["url"],
        email_to=user.email or "",
        created_at=event.created_at,
    )


# Muted by a user's preference (mail only: the in-app row stays). An SLA escalation addressed to
# the user as a point of escalation (kind ``sla_escalation``) is in none of these, so never muted.
COMMENT_KINDS = frozenset({"public_comment", "caller_reply"})
ASSIGNMENT_KINDS = frozenset({"assigned_to_you", "group_new_incident"})
ESSENTIAL = frozenset({"sla_escalation"})


def muted_kinds(preference: NotificationPreference | None) -> frozenset[str]:
    if preference is None:
        return frozenset()
    kinds: set[str] = set()
    if preference.mute_comment_mail:
        kinds |= COMMENT_KINDS
    if preference.mute_assignment_mail:
        kinds |= ASSIGNMENT_KINDS
    return frozenset(kinds - ESSENTIAL)


def apply_preferences(rows: list[Notification]) -> None:
    """Blank the address of mail its recipient muted, with one query for all recipients."""
    preferences = NotificationPreference.objects.in_bulk({row.recipient_id for row in rows})
    for row in rows:
        if row.kind in muted_kinds(preferences.get(row.recipient_id)):
            row.email_to = ""


def _mail_domain() -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    return domain or urlsplit(settings.SITE_URL).hostname or "localhost"


def message_id(notification: Notification) -> str:
    """The same for every attempt at one notification, so that a repeat is recognisably the same mail."""
    return f"<notification-{notification.pk}.{notification.event_id or 0}@{_mail_domain()}>"


def thread_message_id(incident: Incident) -> str:
    """The conversation's root: every mail about one incident is ``In-Reply-To`` and ``References``
    this id, so that mail clients thread them, and inbound mail can recognise a reply to any of them."""
    return f"<incident-{incident.number}@{_mail_domain()}>"


def mail_headers(notification: Notification) -> dict[str, str]:
    headers = {"Auto-Submitted": "auto-generated", "Message-ID": message_id(notification)}
    if notification.incident is not None:
        thread = thread_message_id(notification.incident)
        headers["In-Reply-To"] = thread
        headers["References"] = thread
    return headers


def _claim_timeout() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_EMAIL_CLAIM_SECONDS)


def notification_email_send(notification_id: int, *, now: datetime | None = None) -> bool:
    """Send one notification's email: claim, commit, send, mark. True if this call sent it.

    Call outside a transaction. The claim is a conditional update that commits at once; SMTP is
    spoken with no transaction open; the mark is a second short update. A failed send keeps the
    claim as its backoff (1, 2, 4 … minutes) and raises; after ``NOTIFICATION_EMAIL_MAX_ATTEMPTS``
    attempts the notification is no longer sent (logged as an error), and it stays in the inbox.
    """
    now = now or timezone.now()
    claimed = (
        Notification.objects.filter(
            pk=notification_id,
            emailed_at__isnull=True,
            email_attempts__lt=settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS,
        )
        .exclude(email_to="")
        .filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lte=now))
        .update(email_claimed_until=now + _claim_timeout(), email_attempts=F("email_attempts") + 1)
    )
    if not claimed:
        return False  # sent already, claimed by another worker, backing off, or given up
    notification = Notification.objects.select_related("incident").get(pk=notification_id)
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        to=[notification.email_to],
        headers=mail_headers(notification),
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send()
    except Exception:
        attempts = notification.email_attempts
        if attempts >= settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS:
            log.error("email for notification %s given up after %s attempts", notification_id, attempts)
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
            email_claimed_until=now + retry_delay(attempts)
        )
        raise
    Notification.objects.filter(pk=notification_id).update(
        emailed_at=timezone.now(), email_claimed_until=None
    )
    return True


def emails_due(*, now: datetime, older_than: timedelta, batch_size: int) -> list[int]:
    """Emails no task took within ``older_than``, and those whose claim or backoff has run out."""
    return list(
        Notification.objects.filter(
            emailed_at__isnull=True, email_attempts__lt=settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS
        )
        .exclude(email_to="")
        .filter(
            Q(email_claimed_until__isnull=True, created_at__lte=now - older_than)
            | Q(email_claimed_until__lte=now)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch_size]
    )
