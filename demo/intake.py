"""Demo data of mail intake: a few messages waiting in the Maildir, and intake's own history.

Called once by ``demo.seed.load_demo``. The messages are written into ``new/`` so that the
first poll after ``make run`` takes them in: a new incident from alice, a reply from bob to one of
his incidents (its quoted history trimmed), a stranger's message for the review queue and an
out-of-office reply that is ignored.
"""

from __future__ import annotations

import mailbox
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from incidents.models import Channel, Incident, Status
from intake.mailboxes import ensure_maildir
from intake.models import InboundMessage, Outcome, ReviewReason
from intake.parsing import message_key

DESK = "servicedesk@example.org"


def _message(
    *, sender: str, subject: str, text: str, when: datetime, msgid: str, **headers: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = DESK
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = msgid
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    return msg


def waiting_messages(*, now: datetime) -> list[EmailMessage]:
    bob_open = (
        Incident.objects.filter(
            caller__username="bob", status__in=[Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS]
        )
        .order_by("-created_at")
        .first()
    )
    alice = _message(
        sender="Alice Martin <alice@example.org>",
        subject="VPN drops every few minutes",
        text="Hello,\n\nsince this morning the VPN disconnects every five minutes or so, "
        "both at home and on the hotel wifi.\n\nThanks,\nAlice",
        when=now - timedelta(minutes=7),
        msgid="<demo-vpn-alice@mail.example.org>",
    )
    alice.add_alternative(
        "<p>Hello,</p><p>since this morning the VPN disconnects every five minutes or so, "
        "both at home and on the hotel wifi.</p><p>Thanks,<br>Alice</p>",
        subtype="html",
    )
    messages = [alice]
    if bob_open is not None:
        messages.append(
            _message(
                sender="Bob Fischer <bob@example.org>",
                subject=f"RE: [{bob_open.number}] {bob_open.title}",
                text="It happened again just now, at 10:40. I attached nothing, but the error said "
                "'connection reset'.\n\nBob\n\n-----Original Message-----\nFrom: Service Desk <"
                f"{DESK}>\nSent: Monday 09:12\nSubject: [{bob_open.number}] {bob_open.title}\n\n"
                "Could you tell us when it happens next?\n",
                when=now - timedelta(minutes=4),
                msgid="<demo-reply-bob@mail.example.org>",
                In_Reply_To=f"<incident-{bob_open.number}@example.org>",
            )
        )
    messages.append(
        _message(
            sender="Carol Diaz <carol.diaz@partner.example>",
            subject="Badge reader at the side entrance",
            text="Hi, I am a contractor on site this week; the badge reader at the side entrance "
            "rejects my visitor badge.\n\nCarol",
            when=now - timedelta(minutes=3),
            msgid="<demo-badge-carol@partner.example>",
        )
    )
    messages.append(
        _message(
            sender="Bob Fischer <bob@example.org>",
            subject="Out of office: Printer jam",
            text="I am out of the office until Monday with no access to email.",
            when=now - timedelta(minutes=2),
            msgid="<demo-ooo-bob@mail.example.org>",
            Auto_Submitted="auto-replied",
        )
    )
    return messages


def load_mail_demo(*, now: datetime | None = None) -> int:
    """Write intake's history and the waiting messages. Returns how many messages wait in ``new/``."""
    now = now or timezone.now()
    if InboundMessage.objects.filter(source="maildir:demo").exists():
        return 0  # loaded before
    _history(now=now)
    path = Path(settings.INBOUND_MAILDIR)
    ensure_maildir(path)
    box = mailbox.Maildir(str(path), create=True)
    if any((path / "new").iterdir()):
        return 0  # someone's own messages are waiting: add none
    messages = waiting_messages(now=now)
    for msg in messages:
        box.add(msg.as_bytes())
    return len(messages)


def _history(*, now: datetime) -> None:
    """Intake records for the email-channel incidents of the history, one waiting review, one set aside."""
    emailed = (
        Incident.objects.filter(channel=Channel.EMAIL).select_related("caller").order_by("created_at")[:60]
    )
    rows = [
        InboundMessage(
            message_key=message_key(f"<demo-{inc.number}@mail.example.org>", b""),
            message_id=f"<demo-{inc.number}@mail.example.org>",
            source="maildir:demo",
            sender=inc.caller.email,
            subject=inc.title,
            received_at=inc.created_at,
            outcome=Outcome.OPENED,
            incident=inc,
        )
        for inc in emailed
        if inc.caller.email
    ]
    stranger = _message(
        sender="Dan Ortiz <dan.ortiz@supplier.example>",
        subject="Invoice portal rejects our upload",
        text="Good morning, your invoice portal answers 'file type not allowed' for our PDF invoices.\n\nDan",
        when=now - timedelta(hours=3),
        msgid="<demo-invoice-dan@supplier.example>",
    )
    rows.append(
        InboundMessage(
            message_key=message_key(stranger["Message-ID"], b""),
            message_id=stranger["Message-ID"],
            source="maildir:demo",
            sender="dan.ortiz@supplier.example",
            subject=stranger["Subject"],
            received_at=now - timedelta(hours=3),
            outcome=Outcome.REVIEW,
            review_reason=ReviewReason.UNKNOWN_SENDER,
            text=stranger.get_content().strip(),
            raw=stranger.as_bytes(),
        )
    )
    rows.append(
        InboundMessage(
            message_key="sha:" + "0" * 60 + "demo",
            source="maildir:1700000000.M1P1.demo",
            sender="",
            subject="",
            received_at=now - timedelta(days=2),
            outcome=Outcome.FAILED,
            detail="malformed: truncated or broken MIME structure (CloseBoundaryNotFoundDefect)",
        )
    )
    InboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
