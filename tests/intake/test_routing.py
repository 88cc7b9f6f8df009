"""Replies, strangers, refusals and loops: where each message goes."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.core import mail

from incidents import services as incident_services
from incidents.models import Incident, Notification
from intake import parsing
from intake.models import InboundMessage, Outcome, ReviewReason
from intake.services import inbound_accept, inbound_discard
from tests.factories import make_incident, make_user
from tests.intake.conftest import corpus

pytestmark = pytest.mark.django_db


def message(
    sender: str = "alice@example.org", subject: str = "Hello", body: str = "Text.", **headers: str
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "servicedesk@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = headers.pop("Message_ID", f"<{abs(hash((sender, subject, body)))}@mail.example.org>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def test_a_reply_to_our_notification_message_id_is_a_comment_on_its_incident(inbox, agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    note = Notification.objects.create(
        recipient=alice, incident=incident, event=incident.events.first(), kind="incident_logged", subject="x"
    )
    # No tag in the subject: the Message-ID we sent is what threads it.
    ref = f"<notification-{note.pk}.{note.event_id}@example.org>"
    inbox.drop(message(subject="Re: your incident", body="Thanks, it works now.", In_Reply_To=ref))

    assert inbox.poll() == {"commented": 1}
    assert incident.events.get(kind="comment").body == "Thanks, it works now."


def test_a_reply_threaded_by_the_incident_reference_is_a_comment(inbox, agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    refs = f"<other@example.net> <incident-{incident.number}@example.org>"
    inbox.drop(message(subject="Re: something", body="More detail.", References=refs))

    assert inbox.poll() == {"commented": 1}
    assert incident.events.filter(kind="comment", actor=alice).exists()


def test_a_reply_from_someone_else_waits_for_review_and_the_assignee_is_told(inbox, agent, alice, bob):
    incident = make_incident(actor=agent, caller=alice, assigned_to=agent)
    inbox.drop(message(sender="bob@example.org", subject=f"Re: [{incident.number}] Printer", body="Me too!"))

    assert inbox.poll() == {"review": 1}

    assert not incident.events.filter(kind="comment").exists()
    record = InboundMessage.objects.get()
    assert record.review_reason == ReviewReason.NOT_A_PARTICIPANT and record.incident == incident
    told = Notification.objects.get(kind="inbound_review")
    assert told.recipient == agent and told.incident == incident and "/intake/" in told.url

    accepted = inbound_accept(actor=agent, message=record)
    note = incident.events.get(kind="comment")
    assert accepted.outcome == Outcome.ACCEPTED and not note.public and "bob@example.org" in note.body


def test_a_reply_from_a_watcher_is_a_public_comment_from_them(inbox, agent, alice, bob):
    incident = make_incident(actor=agent, caller=alice, assigned_to=agent)
    incident_services.watcher_add(actor=alice, incident=incident, email=bob.email)
    inbox.drop(
        message(sender=bob.email, subject=f"Re: [{incident.number}] Printer", body="Same here since 9.")
    )

    assert inbox.poll() == {"commented": 1}
    comment = incident.events.get(kind="comment")
    assert comment.actor == bob and comment.public and comment.body == "Same here since 9."


def test_a_stranger_waits_for_review_and_accepting_creates_their_account(inbox, agent):
    inbox.drop(message(sender="Carol Diaz <carol@partner.example>", subject="Badge reader", body="Broken."))

    assert inbox.poll() == {"review": 1}
    assert Incident.objects.count() == 0

    record = inbound_accept(actor=agent, message=InboundMessage.objects.get())
    incident = record.incident
    assert incident.caller.email == "carol@partner.example" and incident.caller.username == "carol"
    assert not incident.caller.has_usable_password()
    assert incident.channel == "email" and incident.reported_by == agent
    assert bytes(InboundMessage.objects.get().raw) == b""  # the original is not kept once decided


def test_a_discarded_message_opens_nothing_and_cannot_be_decided_twice(inbox, agent):
    inbox.drop(message(sender="spam@bulk.example", subject="Cheap watches"))
    inbox.poll()
    record = inbound_discard(actor=agent, message=InboundMessage.objects.get())
    assert record.outcome == Outcome.DISCARDED
    with pytest.raises(Exception, match="already discarded"):
        inbound_accept(actor=agent, message=record)


def test_a_reply_to_a_closed_incident_opens_a_follow_up(inbox, agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    incident = incident_services.incident_resolve(
        actor=agent,
        incident=incident,
        expected_version=None,
        resolution_code="workaround",
        resolution_notes="Restarted.",
    )
    incident_services.incident_close(actor=alice, incident=incident, expected_version=None)
    inbox.drop(message(subject=f"Re: [{incident.number}] Printer", body="It is broken again."))

    assert inbox.poll() == {"opened": 1}
    follow_up = Incident.objects.exclude(pk=incident.pk).get()
    assert follow_up.description.startswith(f"Follow-up to {incident.number}")
    assert follow_up.title == "Printer"


def test_a_message_over_the_size_limit_is_refused_with_an_auto_reply(inbox, alice, settings):
    settings.INBOUND_MAX_MESSAGE_BYTES = 2000
    inbox.drop(message(subject="Huge log", body="x" * 5000, Message_ID="<huge@mail.example.org>"))

    assert inbox.poll() == {"refused": 1}

    assert Incident.objects.count() == 0
    (reply,) = mail.outbox
    assert reply.to == ["alice@example.org"]
    assert reply.extra_headers["Auto-Submitted"] == "auto-replied"
    assert reply.extra_headers["In-Reply-To"] == "<huge@mail.example.org>"
    assert "MB" in reply.body and "Nothing of it was recorded" in reply.body
    assert InboundMessage.objects.get().reply_sent_at is not None


def test_an_attachment_over_the_limit_refuses_the_whole_message_and_says_why(inbox, alice, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    inbox.drop(corpus("attachment.eml"))

    assert inbox.poll() == {"refused": 1}

    assert Incident.objects.count() == 0  # the savepoint undid the incident
    record = InboundMessage.objects.get()
    assert "error dialog.png" in record.detail and "larger than" in record.detail
    (reply,) = mail.outbox
    assert "error dialog.png" in reply.body and reply.extra_headers["Auto-Submitted"] == "auto-replied"


def test_a_message_that_cannot_be_read_does_not_block_the_ones_behind_it(inbox, alice):
    (inbox.path / "new" / "0-broken").write_bytes(corpus("truncated.eml"))
    (inbox.path / "new" / "1-empty").write_bytes(b"")
    (inbox.path / "new" / "2-good").write_bytes(corpus("multipart_alternative.eml"))

    assert inbox.poll() == {"failed": 2, "opened": 1}
    assert Incident.objects.count() == 1
    assert InboundMessage.objects.filter(outcome=Outcome.FAILED).count() == 2


def test_a_claim_left_by_a_dead_poller_is_taken_up_again(inbox, alice, settings):
    settings.INBOUND_CLAIM_SECONDS = 0
    (inbox.path / "cur" / "123.dead:2,").write_bytes(corpus("multipart_alternative.eml"))

    assert inbox.poll() == {"opened": 1}


@pytest.mark.parametrize(
    "headers, sender",
    [
        ({"Precedence": "bulk"}, "alice@example.org"),
        ({"Precedence": "junk"}, "alice@example.org"),
        ({"Precedence": "list"}, "alice@example.org"),
        ({"X-Autoreply": "yes"}, "alice@example.org"),
        ({"Auto-Submitted": "auto-generated"}, "alice@example.org"),
        ({}, "postmaster@example.org"),
        ({}, "MAILER-DAEMON@example.org"),
    ],
)
def test_every_sign_of_a_machine_is_a_loop_reason(headers, sender):
    msg = parsing.parse_headers(
        message(sender=sender, **{k.replace("-", "_"): v for k, v in headers.items()})
    )
    assert parsing.loop_reason(msg, sender.lower())


def test_a_person_is_no_loop_and_auto_submitted_no_is_a_person():
    raw = message(Auto_Submitted="no")
    assert parsing.loop_reason(parsing.parse_headers(raw), "alice@example.org") == ""


def test_a_sender_that_failed_dmarc_waits_for_review(inbox, alice):
    inbox.drop(message(Authentication_Results="mx.example.org; dmarc=fail header.from=example.org"))
    assert inbox.poll() == {"review": 1}
    assert InboundMessage.objects.get().review_reason == ReviewReason.SENDER_NOT_VERIFIED


def test_two_accounts_with_the_senders_address_wait_for_review(inbox, alice):
    make_user("alice-old", email="ALICE@example.org")
    inbox.drop(message())
    assert inbox.poll() == {"review": 1}
