"""The demo's mail: messages waiting in the Maildir on first start, and intake's own history."""

from __future__ import annotations

import pytest

from demo.intake import load_mail_demo
from incidents.models import IncidentEvent
from intake.models import InboundMessage, Outcome
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db


def test_the_waiting_demo_messages_show_each_path_of_mail_intake(inbox, agent):
    alice = make_user("alice", email="alice@example.org")
    bob = make_user("bob", email="bob@example.org")
    bobs = make_incident(actor=agent, caller=bob, channel="email")
    make_incident(actor=agent, caller=alice, channel="email")

    assert load_mail_demo() == 4
    assert InboundMessage.objects.filter(outcome=Outcome.OPENED).count() == 2  # the email incidents' history
    assert InboundMessage.objects.filter(outcome=Outcome.REVIEW).count() == 1  # a stranger, ready for review

    assert inbox.poll() == {"opened": 1, "commented": 1, "review": 1, "ignored": 1}
    reply = IncidentEvent.objects.get(incident=bobs, kind="comment")
    assert reply.actor == bob and "Original Message" not in reply.body

    assert load_mail_demo() == 0  # once only
