"""Taking in one message, and the reviewer's decisions (SPEC §7, issue 9 "Inbound email").

``inbound_receive`` is called once per message a mailbox hands out. It records an
``InboundMessage`` under the message's unique key in the same transaction as what the message does
(an incident opened, a comment added), so a message is acted on once even when two pollers hold
copies of it: the second insert waits on the first's unique index entry and then fails.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import DomainError
from incidents import permissions
from incidents import services as incident_services
from incidents.models import SECURITY_CATEGORY_SLUG, Category, Channel, Incident, Notification

from . import notify, parsing
from .models import InboundMessage, Outcome, ReviewReason
from .participants import may_reply

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)
UserModel = get_user_model()


class ReviewError(DomainError):
    """A review action that does not apply to this message; the text says why."""


def inbound_receive(
    *, raw: bytes, size: int, source: str, now: datetime | None = None
) -> InboundMessage | None:
    """Take in one message. Returns its record, or ``None`` if it was taken in before.

    Raises ``parsing.Malformed`` for a message that cannot be read (the caller sets it aside with
    ``inbound_set_aside``). Call outside a transaction: a refusal is answered after commit.
    """
    now = now or timezone.now()
    if size > settings.INBOUND_MAX_MESSAGE_BYTES:
        return _refuse_oversized(raw=raw, size=size, source=source, now=now)
    parsed = parsing.parse(raw)
    with transaction.atomic():
        record = _claim(
            message_key=parsed.key,
            message_id=parsed.message_id,
            source=source,
            sender=parsed.sender[:320],
            subject=parsed.subject[:255],
            received_at=now,
        )
        if record is None:
            return None
        try:
            with transaction.atomic():
                _route(record, parsed, raw=raw, now=now)
        except ValidationError as exc:
            # An attachment over the limit or of a type not accepted: nothing of the message is kept,
            # and the sender hears why (a savepoint undid the incident or comment).
            record.outcome = Outcome.REFUSED
            record.incident = None
            record.detail = "; ".join(exc.messages)
            transaction.on_commit(lambda: notify.refusal_send(record.pk, parsed.message_id))
        record.save()
    number = record.incident.number if record.incident is not None else ""
    outcome = f"{record.outcome} {number} {record.detail}".strip()
    log.info("mail intake: %s from %s: %s", source, record.sender, outcome)
    return record


def inbound_set_aside(*, raw: bytes, source: str, reason: str, now: datetime | None = None) -> InboundMessage:
    """Record a message that could not be read, with the reason and the raw bytes for an administrator."""
    key = "sha:" + parsing.content_digest(raw)
    try:  # whatever of its headers can be read, to tell the administrator whose it was
        head = parsing.parse_headers(raw[: 64 * 1024])
        sender, subject = parsing.sender_of(head)[1], parsing.header(head, "Subject")
    except Exception:
        sender = subject = ""
    record, _ = InboundMessage.objects.get_or_create(
        message_key=key,
        defaults={
            "sender": sender[:320],
            "subject": subject[:255],
            "source": source,
            "outcome": Outcome.FAILED,
            "detail": reason[:2000],
            "raw": raw[: settings.INBOUND_MAX_MESSAGE_BYTES],
            "received_at": now or timezone.now(),
        },
    )
    log.error("mail intake: %s set aside: %s", source, reason)
    return record


def _claim(**fields: Any) -> InboundMessage | None:
    try:
        with transaction.atomic():
            return InboundMessage.objects.create(outcome=Outcome.REVIEW, **fields)
    except IntegrityError:
        log.info("mail intake: %s was taken in before; skipped", fields["source"])
        return None


def _refuse_oversized(*, raw: bytes, size: int, source: str, now: datetime) -> InboundMessage | None:
    head = parsing.parse_headers(raw)
    _, sender = parsing.sender_of(head)
    message_id = parsing.header(head, "Message-ID")[:998]
    limit_mb = settings.INBOUND_MAX_MESSAGE_BYTES / (1024 * 1024)
    reason = parsing.loop_reason(head, sender)
    with transaction.atomic():
        record = _claim(
            message_key=parsing.message_key(message_id, raw),
            message_id=message_id,
            source=source,
            sender=sender[:320],
            subject=parsing.header(head, "Subject")[:255],
            received_at=now,
        )
        if record is None:
            return None
        if reason:
            record.outcome, record.detail = Outcome.IGNORED, f"{reason}; too large ({size} bytes)"
        else:
            record.outcome = Outcome.REFUSED
            record.detail = (
                f"The message is {size / (1024 * 1024):.1f} MB; messages of up to {limit_mb:.0f} MB "
                "are accepted."
            )
            if sender:
                transaction.on_commit(lambda: notify.refusal_send(record.pk, message_id))
        record.save()
    return record


def _route(record: InboundMessage, parsed: parsing.ParsedMessage, *, raw: bytes, now: datetime) -> None:
    if parsed.loop_reason:
        record.outcome, record.detail = Outcome.IGNORED, parsed.loop_reason
        return
    incident = incident_for(parsed)
    record.incident = incident
    if parsed.dmarc_failed:
        return _to_review(record, parsed, raw, ReviewReason.SENDER_NOT_VERIFIED)
    users = list(UserModel.objects.filter(email__iexact=parsed.sender, is_active=True)[:2])
    if len(users) > 1:
        return _to_review(record, parsed, raw, ReviewReason.AMBIGUOUS_SENDER)
    user = users[0] if users else None
    if incident is not None:
        if user is None or not may_reply(user, incident):
            _to_review(record, parsed, raw, ReviewReason.NOT_A_PARTICIPANT)
            notify.review_needed(record, incident)
            return
        if incident.allows("comment"):
            _comment(record, parsed, user=user, incident=incident, now=now)
            return
        # A reply to a closed incident is a new incident that refers to it.
    if user is None:
        return _to_review(record, parsed, raw, ReviewReason.UNKNOWN_SENDER)
    record.incident = _open(parsed, actor=user, caller=user, follows=incident, now=now)
    record.outcome = Outcome.OPENED


def incident_for(parsed: parsing.ParsedMessage) -> Incident | None:
    """The incident a reply belongs to: by our Message-IDs in In-Reply-To/References, else by subject tag."""
    refs = " ".join(parsed.references)
    for m in parsing.NOTIFICATION_REF.finditer(refs):
        event_id = int(m.group(2)) or None
        found = (
            Notification.objects.filter(pk=int(m.group(1)), event_id=event_id, incident__isnull=False)
            .select_related("incident")
            .first()
        )
        if found is not None:
            return found.incident
    numbers = [m.group(1).upper() for m in parsing.INCIDENT_REF.finditer(refs)]
    tagged = parsing.subject_number(parsed.subject)
    for number in [*numbers, tagged]:
        if number:
            found_incident = Incident.objects.filter(number=number).first()
            if found_incident is not None:
                return found_incident
    return None


def _to_review(
    record: InboundMessage, parsed: parsing.ParsedMessage, raw: bytes, reason: ReviewReason
) -> None:
    record.outcome = Outcome.REVIEW
    record.review_reason = reason
    record.text = parsed.text[: Incident.DESCRIPTION_MAX_LENGTH]
    record.raw = raw


def _clip(text: str, limit: int, note: str) -> str:
    return text if len(text) <= limit else text[: limit - len(note)] + note


def _title(subject: str, sender: str) -> str:
    title = parsing.SUBJECT_TAG.sub("", subject)
    title = re.sub(r"^\s*((re|fw|fwd|aw|wg|tr)\s*:\s*)+", "", title, flags=re.IGNORECASE).strip()
    return (title or f"Email from {sender}")[: Incident.TITLE_MAX_LENGTH]


def _attach(
    parsed: parsing.ParsedMessage, *, actor: Any, incident: Incident, public: bool, now: datetime
) -> None:
    for part in parsed.attachments:
        upload = SimpleUploadedFile(part.filename, part.content)
        try:
            incident_services.attachment_add(
                actor=actor, incident=incident, upload=upload, public=public, now=now
            )
        except ValidationError as exc:
            raise ValidationError(
                gettext("The attachment “%(name)s” was not accepted: %(reason)s")
                % {"name": part.filename, "reason": " ".join(exc.messages)}
            ) from exc


def _open(
    parsed: parsing.ParsedMessage, *, actor: Any, caller: Any, follows: Incident | None, now: datetime
) -> Incident:
    description = parsed.text
    category = None
    if follows is not None:
        status = follows.get_status_display().lower()
        description = f"Follow-up to {follows.number}, which is {status}.\n\n{description}"
        if permissions.is_restricted(follows):
            # Its subject and text are about a restricted incident: so is it (the category routes
            # it to the security group), or the whole service desk would read them.
            category = Category.objects.filter(slug=SECURITY_CATEGORY_SLUG, parent__isnull=True).first()
    incident = incident_services.incident_create(
        actor=actor,
        caller=caller,
        title=_title(parsed.subject, parsed.sender),
        description=_clip(
            description, Incident.DESCRIPTION_MAX_LENGTH, "\n\n[… cut: the message was longer]"
        ),
        channel=Channel.EMAIL,
        category=category,
        now=now,
    )
    _attach(parsed, actor=actor, incident=incident, public=True, now=now)
    return incident


def _comment(
    record: InboundMessage, parsed: parsing.ParsedMessage, *, user: Any, incident: Incident, now: datetime
) -> None:
    body = parsing.reply_text(parsed.text)
    if body.strip():
        incident_services.incident_comment(
            actor=user,
            incident=incident,
            body=_clip(body, Incident.COMMENT_MAX_LENGTH, "\n\n[… cut]"),
            public=True,
            now=now,
        )
    elif not parsed.attachments:
        record.outcome, record.detail = Outcome.IGNORED, "an empty reply"
        return
    _attach(parsed, actor=user, incident=incident, public=True, now=now)
    record.outcome = Outcome.COMMENTED


# --- the reviewer's decisions ------------------------------------------------------------------------


def _lock_for_review(message: InboundMessage) -> InboundMessage:
    locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if locked.outcome != Outcome.REVIEW:
        outcome = locked.get_outcome_display().lower()
        raise ReviewError(gettext("This message was already %(outcome)s.") % {"outcome": outcome})
    return locked


@transaction.atomic
def inbound_accept(
    *, actor: User, message: InboundMessage, caller: Any | None = None, now: datetime | None = None
) -> InboundMessage:
    """Act on a message under review.

    A reply from a non-participant becomes an internal note by the reviewer on its incident (the
    caller does not see a stranger's words unless the agent passes them on). Any other message opens
    an incident for ``caller``; with no caller, for the sender, whose end-user account is created
    then (it has no password until its owner asks for one).
    """
    now = now or timezone.now()
    locked = _lock_for_review(message)
    parsed = parsing.parse(bytes(locked.raw))
    if locked.review_reason == ReviewReason.NOT_A_PARTICIPANT and locked.incident is not None:
        incident_services.incident_comment(
            actor=actor,
            incident=locked.incident,
            body=_clip(
                f"Email from {parsed.sender}:\n\n{parsed.text}", Incident.COMMENT_MAX_LENGTH, "\n\n[… cut]"
            ),
            public=False,
            now=now,
        )
        _attach(parsed, actor=actor, incident=locked.incident, public=False, now=now)
    else:
        if caller is None:
            if locked.review_reason != ReviewReason.UNKNOWN_SENDER:
                raise ReviewError(
                    gettext("Choose the caller: the sender's address does not name one account.")
                )
            caller = user_for_sender(address=parsed.sender, name=parsed.sender_name)
        locked.incident = _open(parsed, actor=actor, caller=caller, follows=None, now=now)
    locked.outcome = Outcome.ACCEPTED
    locked.reviewed_by, locked.reviewed_at = actor, now
    locked.raw = b""
    locked.save()
    return locked


@transaction.atomic
def inbound_discard(*, actor: User, message: InboundMessage, now: datetime | None = None) -> InboundMessage:
    locked = _lock_for_review(message)
    locked.outcome = Outcome.DISCARDED
    locked.reviewed_by, locked.reviewed_at = actor, now or timezone.now()
    locked.raw = b""
    locked.save()
    return locked


def user_for_sender(*, address: str, name: str) -> Any:
    """An end-user account for a sender a reviewer vouched for; the address's own if one exists."""
    existing = UserModel.objects.filter(email__iexact=address).first()
    if existing is not None:
        return existing
    base = re.sub(r"[^a-z0-9._-]", "", address.partition("@")[0].lower())[:140] or "caller"
    username, n = base, 1
    while UserModel.objects.filter(username=username).exists():
        n += 1
        username = f"{base}{n}"
    first, _, last = name.strip().partition(" ")
    user = UserModel(username=username, email=address, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    user.save()
    return user
