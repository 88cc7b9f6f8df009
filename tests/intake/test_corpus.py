"""The corpus: real-world-shaped messages, each with the outcome it must have."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from incidents.models import Attachment, Channel, Incident, IncidentEvent
from intake.models import InboundMessage, Outcome
from tests.factories import make_incident, make_user
from tests.intake.conftest import corpus

pytestmark = pytest.mark.django_db

# file -> (outcome, who the incident is for, text the incident's description must contain)
QP_TEXT = "The Café ordering app rejects my password since the update; this line is long enough"
NEW_INCIDENTS = {
    "multipart_alternative.eml": ("alice", "Monitor flickers on my desk", "second monitor on my desk"),
    "html_only.eml": ("alice", "Shared drive is read-only", "We cannot save & close files."),
    "quoted_printable.eml": ("alice", "Coffee machine app login", QP_TEXT),  # soft line break joined
    "base64.eml": ("bob", "Handscanner im Lager", "Grüße aus dem Lager"),
    "encoded_word_subject.eml": ("alice", "Drucker im 3. Stock – Papierstau ✓", "kein Papier drin"),
    "attachment.eml": ("alice", "Error dialog when opening the CRM", "screenshot attached"),
    "forwarded.eml": ("alice", "Your mailbox is almost full", "Log in at the link below within 24 hours"),
    "no_message_id.eml": ("bob", "Phone on desk 12 has no dial tone", "no dial tone since this morning"),
}


@pytest.mark.parametrize("name", sorted(NEW_INCIDENTS))
def test_a_new_message_opens_an_email_incident_for_its_sender(name, inbox, alice, bob):
    who, title, text = NEW_INCIDENTS[name]
    inbox.drop(corpus(name))

    assert inbox.poll() == {"opened": 1}

    record = InboundMessage.objects.get()
    incident = record.incident
    assert record.outcome == Outcome.OPENED
    assert incident.channel == Channel.EMAIL
    assert incident.caller == {"alice": alice, "bob": bob}[who]
    assert incident.title == title
    assert text in incident.description
    assert not re.search(r"</?(p|div|b|br|ul|li|html|script)\b", incident.description)  # no markup
    assert inbox.names("new") == [] and inbox.names("cur")[0].endswith(":2,S")


def test_html_only_mail_loses_its_scripts_and_styles(inbox, alice):
    inbox.drop(corpus("html_only.eml"))
    inbox.poll()
    description = Incident.objects.get().description
    assert "alert" not in description and "color: red" not in description and "javascript" not in description
    assert "- Finance" in description


def test_an_attachment_is_kept_through_the_upload_checks(inbox, alice, client):
    inbox.drop(corpus("attachment.eml"))
    inbox.poll()

    attachment = Attachment.objects.get()
    assert attachment.original_name == "error dialog.png"
    assert attachment.content_type == "image/png"  # typed by its content
    assert attachment.public and attachment.uploaded_by == alice
    # Served only through the permission-checked download.
    url = f"/incidents/attachments/{attachment.pk}/download/"
    client.force_login(alice)
    assert client.get(url).status_code == 200
    client.force_login(make_user("mallory"))
    assert client.get(url).status_code == 404


def test_the_outlook_reply_becomes_a_public_comment_without_its_quoted_history(inbox, agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    inbox.drop(corpus("outlook_reply.eml", NUMBER=incident.number))

    assert inbox.poll() == {"commented": 1}

    comment = IncidentEvent.objects.get(incident=incident, kind="comment")
    assert comment.public and comment.actor == alice
    assert comment.body == "Still broken after the restart: the queue shows 14 jobs waiting."
    assert Incident.objects.count() == 1


@pytest.mark.parametrize("name", ["auto_reply.eml", "dsn_bounce.eml"])
def test_auto_replies_and_bounces_open_nothing_and_are_never_answered(name, inbox, alice, agent):
    make_incident(actor=agent, caller=alice)  # INC0000001, named by the auto-reply's subject
    inbox.drop(corpus(name))

    assert inbox.poll() == {"ignored": 1}

    assert Incident.objects.count() == 1
    assert not IncidentEvent.objects.filter(kind="comment").exists()
    assert mail.outbox == []
    assert InboundMessage.objects.get().detail


def test_the_same_message_without_a_message_id_is_taken_in_once(inbox, bob):
    raw = corpus("no_message_id.eml")
    inbox.drop(raw)
    # The same message again, delivered by another hop: only its trace headers differ.
    inbox.drop(
        b"Received: from relay2.example.org by mx.example.org; Thu, 26 Nov 2026 16:00:05 +0000\n" + raw
    )

    assert inbox.poll() == {"opened": 1, "duplicate": 1}
    assert Incident.objects.count() == 1


def test_a_truncated_message_is_set_aside_with_its_reason_and_kept(inbox, alice):
    inbox.drop(corpus("truncated.eml"))

    assert inbox.poll() == {"failed": 1}

    assert Incident.objects.count() == 0
    kept = inbox.names("failed")
    assert len(kept) == 2  # the message and its reason
    reason = next(n for n in kept if n.endswith(".reason.txt"))
    assert "CloseBoundaryNotFoundDefect" in (inbox.path / "failed" / reason).read_text()
    record = InboundMessage.objects.get()
    assert record.outcome == Outcome.FAILED and b"backup failed again" in bytes(record.raw)
    assert inbox.poll() == {}  # never retried by itself
