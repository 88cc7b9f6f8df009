"""What mail intake tells people: the assignee of a reply left for review, the sender of a refusal."""

from __future__ import annotations

import logging
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from core.mail import render_email
from core.queueing import enqueue_on_commit
from escalation.models import Membership
from incidents.models import Incident, Notification
from incidents.notifications.delivery import EMAIL_TASK
from profiles.locale import in_locale_of

from .models import InboundMessage

log = logging.getLogger(__name__)


def _owners(incident: Incident) -> list[Any]:
    if incident.assigned_to is not None:
        return [incident.assigned_to] if incident.assigned_to.is_active else []
    return [
        m.user
        for m in Membership.objects.filter(
            group_id=incident.assignment_group_id, user__is_active=True
        ).select_related("user")
    ]


def review_needed(record: InboundMessage, incident: Incident) -> None:
    """An in-app notification (mirrored by email through incidents' sender) to the incident's assignee,
    or its group when nobody is assigned, that a reply from a non-participant waits for review.

    Called once per message: the message's unique key is the once-guard, not the notification's.
    """
    url = f"{settings.SITE_URL}{reverse('intake:review')}"
    rows = []
    for user in _owners(incident):
        with in_locale_of(user):  # the recipient's language and time zone
            email = render_email(
                "intake/email/review_needed",
                {"incident": incident, "message": record, "recipient": user, "url": url},
            )
        rows.append(
            Notification(
                recipient=user,
                incident=incident,
                kind="inbound_review",
                key=record.message_key[:80],
                subject=email.subject,
                body=email.text,
                body_html=email.html,
                url=url,
                email_to=user.email or "",
                created_at=record.received_at,
            )
        )
    for row in Notification.objects.bulk_create(rows):
        if row.email_to:
            enqueue_on_commit(EMAIL_TASK, row.pk)


def refusal_send(record_id: int, original_message_id: str) -> bool:
    """Tell a sender why their message was refused. Sent after commit; never to a machine.

    The reply carries ``Auto-Submitted: auto-replied`` (RFC 3834) so that their auto-responder stays
    quiet, and a failure is logged, not retried: a refusal is a courtesy, not a record.
    """
    record = InboundMessage.objects.get(pk=record_id)
    if not record.sender or record.reply_sent_at is not None:
        return False
    with in_locale_of(address=record.sender):  # a known sender's language, else the organisation's
        email = render_email("intake/email/refused", {"message": record})
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    headers = {
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
        "Message-ID": make_msgid(domain=domain),
    }
    if original_message_id:
        headers["In-Reply-To"] = original_message_id
        headers["References"] = original_message_id
    mail = EmailMultiAlternatives(subject=email.subject, body=email.text, to=[record.sender], headers=headers)
    mail.attach_alternative(email.html, "text/html")
    try:
        mail.send()
    except Exception:
        log.warning("mail intake: the refusal to %s was not sent", record.sender, exc_info=True)
        return False
    InboundMessage.objects.filter(pk=record_id).update(reply_sent_at=timezone.now())
    return True
