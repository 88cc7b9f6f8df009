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
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import conditional_escape

from core.mail import RenderedEmail, render_email
from core.queueing import enqueue_on_commit
from escalation.models import Membership
from profiles.locale import Locale, in_locale, locales_of

from ..records.models import Incident, IncidentEvent, Watcher
from ..records.outbox import retry_delay
from ..selectors import incident_readers
from .models import Notification, NotificationPreference

log = logging.getLogger(__name__)
User = get_user_model()

# ``incidents.notifications.tasks.notification_email_task``, queued by name: the task imports this module.
EMAIL_TASK = "incidents.tasks.notification_email_task"
# ``notification_emails_task``: a chunk of emails the flush fans out.
EMAILS_TASK = "incidents.tasks.notification_emails_task"
# ``notification_digest_task``: one mail for several notifications to one address.
DIGEST_TASK = "incidents.tasks.notification_digest_task"
# ``notification_digests_task``: the digests of a batch, several addresses (``emails_together``).
DIGESTS_TASK = "incidents.tasks.notification_digests_task"
# How many digests one task sends, through one connection to the mail server.
DIGESTS_PER_TASK = 20


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


_memo = threading.local()


def batch_memo(name: str) -> dict[Any, Any] | None:
    """Inside ``emails_together`` (one task publishing a batch of the SLA sweep), a dictionary that lives
    until the batch ends, for what its events look up again and again: the same group's contacts and
    members, the same people's staff status, language and mail preferences (issue 25 §5: the drain
    spent most of its time in these queries, a few milliseconds each). None outside a batch."""
    memo = getattr(_memo, "d", None)
    return None if memo is None else memo.setdefault(name, {})


def _per_user(name: str, ids: set[int], fetch: Callable[[set[int]], dict[int, Any]]) -> dict[int, Any]:
    """``fetch`` for ``ids`` (one query), remembered per user for the batch."""
    memo = batch_memo(name)
    if memo is None:
        return fetch(ids)
    missing = ids - memo.keys()
    if missing:
        found = fetch(missing)
        memo.update({pk: found.get(pk) for pk in missing})
    return {pk: memo[pk] for pk in ids}


def staff_ids(user_ids: Iterable[int | None]) -> frozenset[int]:
    """Which of these users are staff members, in one query (the rule of ``Access.is_staff_member``)."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return frozenset()
    known = _per_user("staff", ids, lambda missing: dict.fromkeys(_staff_ids(missing), True))
    return frozenset(pk for pk, staff in known.items() if staff)


def _staff_ids(ids: set[int]) -> frozenset[int]:
    staff = (
        Q(is_superuser=True)
        | Q(is_staff=True)
        | Q(groups__isnull=False)
        | Q(memberships__group__is_active=True)
    )
    return frozenset(User.objects.filter(staff, pk__in=ids).values_list("pk", flat=True).distinct())


def notify(event: IncidentEvent, rule: RecipientRule) -> list[int]:
    """Create the notifications ``rule`` names for the event, once; queue their emails after commit.

    Returns the ids of the event's notifications still to email (none inside ``notifications_together``:
    the block writes them when it ends).
    """
    incident = event.incident
    watchers = batch_memo("watchers")
    if watchers is not None and incident.pk in watchers:
        watcher_ids = watchers[incident.pk]
    else:
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
    # Each notification is written in its recipient's language and time zone, not the actor's.
    locales = _per_user("locale", {r.user.pk for r in recipients}, locales_of)
    shared: dict[Any, Any] = {}  # the event's mails rendered once for all who read the same (_render)
    for subject, told in about.items():
        readers = incident_readers(subject, {r.user.pk for r in told})
        rows += [_build(audience, r, locales[r.user.pk], shared) for r in told if r.user.pk in readers]
    if not rows:
        return []
    apply_preferences(rows)
    batch = getattr(_rows, "rows", None)
    if batch is not None:  # written with the batch's (notifications_together)
        batch.extend(rows)
        return []
    return _write(rows)


def _write(rows: list[Notification]) -> list[int]:
    """Insert the rows (a redelivered event's already exist) and queue the emails still to send."""
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        Notification.objects.filter(
            event_id__in={r.event_id for r in rows},
            kind__in={r.kind for r in rows},
            emailed_at__isnull=True,
            email_claimed_until=None,
        )
        .exclude(email_to="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    collected = getattr(_together, "ids", None)
    if collected is not None:
        collected.extend(ids)
    else:
        for pk in ids:
            enqueue_on_commit(EMAIL_TASK, pk)
    return ids


def notify_prepare(events: list[IncidentEvent]) -> None:
    """Inside a batch (``batch_memo``), read the watchers of all the events' incidents with one query,
    then the staff status of everyone each event's audience asks about (actor, caller, reporter,
    watchers) with one more (``hooks`` calls it before a batch's events reach ``notify``). Issue 25 §5:
    each incident of a catch-up has a caller of its own, and asking for each cost the drain a fifth
    of its publishing."""
    memo = batch_memo("watchers")
    if memo is None:
        return
    incident_ids = {event.incident_id for event in events} - memo.keys()
    if incident_ids:
        found: dict[int, set[int]] = {pk: set() for pk in incident_ids}
        for incident_id, user_id in Watcher.objects.filter(incident_id__in=incident_ids).values_list(
            "incident_id", "user_id"
        ):
            found[incident_id].add(user_id)
        memo.update({pk: frozenset(users) for pk, users in found.items()})
    asked: set[int | None] = set()
    for event in events:
        incident = event.incident
        asked |= {event.actor_id, incident.caller_id, incident.reported_by_id, *memo[incident.pk]}
    staff_ids(asked)


_rows = threading.local()


@contextmanager
def notifications_together() -> Iterator[None]:
    """The notification rows ``notify`` builds inside the block are written with one insert when it
    ends, and their emails queued then (or collected by ``emails_together``): for a batch published in
    one transaction (``outbox.events_publish``), instead of an insert and a read for each event. If the
    block raises, nothing is written."""
    if getattr(_rows, "rows", None) is not None:  # nested: the outer block writes them
        yield
        return
    rows: list[Notification] = []
    _rows.rows = rows
    try:
        yield
    finally:
        _rows.rows = None
    if rows:
        _write(rows)


_together = threading.local()


@contextmanager
def emails_together() -> Iterator[None]:
    """The emails of the notifications created inside the block leave together when it ends: one
    mail per address, a digest that lists them, wherever an address has several (SPEC §7: a batch
    of the SLA sweep can reach one person with many escalations at once); a single one leaves as
    itself, threaded with its incident. Use outside a transaction (each event commits on its own)."""
    outer = getattr(_together, "ids", None)
    ids: list[int] = []
    _together.ids = ids
    memo = getattr(_memo, "d", None)
    if memo is None:
        _memo.d = {}
    try:
        yield
    finally:
        _together.ids = outer
        if memo is None:
            _memo.d = None
    if outer is not None:
        outer.extend(ids)
        return
    digests = []
    for group in emails_by_address(ids):
        if len(group) == 1:
            enqueue_on_commit(EMAIL_TASK, group[0])
        else:
            digests.append(group)
    for start in range(0, len(digests), DIGESTS_PER_TASK):
        enqueue_on_commit(DIGESTS_TASK, digests[start : start + DIGESTS_PER_TASK])


def emails_by_address(ids: Iterable[int]) -> list[list[int]]:
    """The notifications among ``ids`` still to email, grouped by address (in id order)."""
    groups: dict[str, list[int]] = {}
    rows = (
        Notification.objects.filter(pk__in=list(ids), emailed_at__isnull=True)
        .exclude(email_to="")
        .order_by("pk")
        .values_list("pk", "email_to")
    )
    for pk, address in rows:
        groups.setdefault(address.lower(), []).append(pk)
    return list(groups.values())


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


def links(incident: Incident, *, for_caller: bool, shared: dict[Any, Any] | None = None) -> dict[str, str]:
    """The incident's links for a caller (the portal's) or for staff; with ``shared`` (one event's
    notifications), worked out once per incident and kind of reader."""
    if shared is not None:
        key = ("links", incident.pk, for_caller)
        if key not in shared:
            shared[key] = links(incident, for_caller=for_caller)
        return dict(shared[key])
    if for_caller:
        return {
            "url": caller_link("incident-detail", incident),
            "confirm_url": caller_link("incident-confirm", incident),
            "reopen_url": caller_link("incident-reopen", incident),
        }
    return {"url": _absolute(reverse("incidents:detail", kwargs={"number": incident.number}))}


def _build(
    audience: Audience, recipient: Recipient, locale: Locale, shared: dict[Any, Any] | None = None
) -> Notification:
    event = audience.event
    # A rule may write about another incident than the event's: a major incident's update
    # reaches the caller of each child about their own incident (``extra["about"]``).
    incident = recipient.extra.get("about") or event.incident
    user = recipient.user
    about_other = recipient.extra.get("about") is not None
    urls = links(
        incident,
        for_caller=bool(recipient.extra.get("as_caller") or audience.is_follower(user)),
        shared=shared,
    )
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
    email = _render(f"incidents/email/{recipient.kind}", context, locale, shared)
    # by id: the rows are only written (issue 25 §5: a batch builds hundreds; setting related objects
    # goes through their descriptors' checks, each)
    return Notification(
        recipient_id=user.pk,
        incident_id=incident.pk,
        event_id=event.pk,
        kind=recipient.kind,
        key=recipient.key,
        subject=email.subject,
        body=email.text,
        body_html=email.html,
        url=urls["url"],
        email_to=user.email or "",
        created_at=event.created_at,
    )


# Rendering once for several recipients (issue 25 §5: the escalation drain spent most of its Python
# rendering each notification's three templates, while the recipients of one threshold read the same
# mail but for the greeting's name). The mail is rendered once with this token for the name, which is
# then filled in for each recipient; random, so that no incident's text can carry it.
_NAME = f"sdname{secrets.token_hex(8)}"


class _NotShared(Exception):
    """A mail template read more of its recipient than the greeting's name."""


class _AnyRecipient:
    """The recipient of a mail rendered once for several: the greeting's name only (the templates
    write ``recipient.get_full_name|default:recipient.username``). Anything else a template would
    read of its recipient raises ``_NotShared`` rather than renders wrongly, and the mail is then
    rendered for each recipient."""

    username = _NAME

    def get_full_name(self) -> str:
        return _NAME

    def __getattr__(self, name: str) -> Any:
        raise _NotShared(name)

    def __str__(self) -> str:
        raise _NotShared("str")


_ANY_RECIPIENT = _AnyRecipient()
# Templates found to read more of their recipient (logged once per process).
_per_recipient: set[str] = set()


def _share_key(template: str, context: dict[str, Any], locale: Locale) -> tuple[Any, ...]:
    """What a mail depends on but its recipient: the template, the language and zone, and each value of
    the context, by identity where it is an object (one event's notifications share the same objects:
    the incident, the event, the fire, the group; they live as long as the event's ``notify``)."""
    parts = []
    for name, value in sorted(context.items()):
        if name == "recipient":
            continue
        plain = value is None or isinstance(value, str | int | float)
        parts.append((name, value if plain else ("id", id(value))))
    return (template, locale, tuple(parts))


def _render(
    template: str, context: dict[str, Any], locale: Locale, shared: dict[Any, Any] | None
) -> RenderedEmail:
    """The mail to ``context["recipient"]`` in their language and zone. With ``shared`` (the event's
    renderings), rendered once for every recipient who reads the same mail but for the greeting's
    name, which is then filled in, escaped as the template would have escaped it."""
    user = context["recipient"]
    if shared is None or template in _per_recipient:
        with in_locale(locale):
            return render_email(template, context)
    key = _share_key(template, context, locale)
    email = shared.get(key)
    if email is None:
        try:
            with in_locale(locale):
                email = render_email(template, {**context, "recipient": _ANY_RECIPIENT})
        except _NotShared as exc:
            email = None
            log.warning("mail %s reads its recipient's %s: rendered for each recipient", template, exc)
        if email is None or _NAME in email.subject:  # a subject is shortened: not filled in afterwards
            _per_recipient.add(template)
            with in_locale(locale):
                return render_email(template, context)
        shared[key] = email
    name = user.get_full_name() or user.username
    return RenderedEmail(
        subject=email.subject,
        text=email.text.replace(_NAME, name),
        html=email.html.replace(_NAME, conditional_escape(name)),
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
    preferences = _per_user(
        "preference",
        {row.recipient_id for row in rows},
        lambda ids: NotificationPreference.objects.in_bulk(ids),
    )
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


# What a digest reads of its notifications, their incidents and recipient (the greeting's name).
DIGEST_FIELDS = (
    "subject",
    "url",
    "email_to",
    "email_attempts",
    "incident__number",
    "recipient__username",
    "recipient__first_name",
    "recipient__last_name",
)


def digest_message_id(notifications: list[Notification]) -> str:
    """The same for every attempt at one digest (the same notifications)."""
    return f"<digest-{notifications[0].pk}-{len(notifications)}@{_mail_domain()}>"


def notification_digest_send(notification_ids: list[int], *, now: datetime | None = None) -> int:
    """Send one mail for the notifications ``notification_ids`` (one address): ``notification_digests_send``
    for one digest. Returns how many notifications it sent."""
    return notification_digests_send([notification_ids], now=now)


def notification_digests_send(groups: list[list[int]], *, now: datetime | None = None) -> int:
    """Send a mail for each group of notifications (each group one address): claim, commit, send, mark.

    What is still to send and not claimed is claimed for every group at once (``SKIP LOCKED``: what
    another worker holds is left to it), with one transaction; the mails then leave through one
    connection to the mail server, one digest listing a group's notifications each, without a thread
    of its own (it is about several incidents); a group with one notification left is sent as itself
    (``notification_email_send``). A group whose mail fails backs off on its own and the others are
    sent; the flush retries it. Returns how many notifications it sent.

    Issue 25 §5: a task, a transaction, a locale query and a connection to the mail server for each
    digest were half of the notification workers' time in an escalation drain.
    """
    now = now or timezone.now()
    wanted = [pk for group in groups for pk in group]
    with transaction.atomic():
        claimable = set(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                pk__in=wanted,
                emailed_at__isnull=True,
                email_attempts__lt=settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS,
            )
            .exclude(email_to="")
            .filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lte=now))
            .values_list("pk", flat=True)
        )
        left = [[pk for pk in group if pk in claimable] for group in groups]
        claimed = [pk for group in left if len(group) > 1 for pk in group]
        if claimed:
            Notification.objects.filter(pk__in=claimed).update(
                email_claimed_until=now + _claim_timeout(), email_attempts=F("email_attempts") + 1
            )
    sent = 0
    for group in left:
        if len(group) != 1:
            continue
        try:  # one refused address must not keep the batch's digests from leaving
            sent += notification_email_send(group[0], now=now)
        except Exception:  # it backs off on its own (notification_email_send); the flush retries it
            log.warning("email for notification %s not sent; the flush retries it", group[0], exc_info=True)
    if not claimed:
        return sent
    # only what the digest shows and its headers name: not the notifications' own bodies (text and HTML)
    by_pk = {
        n.pk: n
        for n in Notification.objects.filter(pk__in=claimed)
        .select_related("incident", "recipient")
        .only(*DIGEST_FIELDS)
    }
    digests = [[by_pk[pk] for pk in sorted(group)] for group in left if len(group) > 1]
    # in each reader's language and zone, as each of its notifications was written (``_build``)
    locales = locales_of({digest[0].recipient_id for digest in digests})
    connection = get_connection()
    try:
        connection.open()
    except Exception:  # the mail server is down: every digest backs off, the flush retries them
        log.warning("digests of notifications %s not sent; the flush retries them", claimed, exc_info=True)
        for notifications in digests:
            _back_off(notifications, now=now)
        return sent
    try:
        for notifications in digests:
            ids = [n.pk for n in notifications]
            try:
                _digest_message(notifications, locales[notifications[0].recipient_id], connection).send()
            except Exception:
                log.warning("digest of notifications %s not sent; the flush retries them", ids, exc_info=True)
                _back_off(notifications, now=now)
                continue
            Notification.objects.filter(pk__in=ids).update(
                emailed_at=timezone.now(), email_claimed_until=None
            )
            sent += len(ids)
    finally:
        connection.close()
    return sent


def _back_off(notifications: list[Notification], *, now: datetime) -> None:
    attempts = max(n.email_attempts for n in notifications)
    Notification.objects.filter(pk__in=[n.pk for n in notifications], emailed_at__isnull=True).update(
        email_claimed_until=now + retry_delay(attempts)
    )


def _digest_message(
    notifications: list[Notification], locale: Locale, connection: Any
) -> EmailMultiAlternatives:
    first = notifications[0]
    with in_locale(locale):
        email = render_email(
            "incidents/digest/sla",
            {
                "notifications": notifications,
                "numbers": list(dict.fromkeys(n.incident.number for n in notifications if n.incident)),
                "recipient": first.recipient,
            },
        )
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        to=[first.email_to],
        headers={
            "Auto-Submitted": "auto-generated",
            "Message-ID": digest_message_id(notifications),
            "X-Servicedesk-Notifications": ",".join(str(n.pk) for n in notifications),
        },
        connection=connection,
    )
    message.attach_alternative(email.html, "text/html")
    return message


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
