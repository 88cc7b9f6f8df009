"""A mail answering a closed restricted incident opens a follow-up that is restricted too: its
subject and text are about the restricted incident (SPEC §1)."""

from __future__ import annotations

import pytest

from escalation.access import access_for
from incidents import permissions, services
from incidents.models import Category, Incident
from incidents.selectors import incidents_visible_to
from intake.services import inbound_receive
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db


def _reply(incident: Incident, sender: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: servicedesk@example.org\r\n"
        f"Subject: Re: [{incident.number}] {incident.title}\r\n"
        "Message-ID: <follow-up@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "It happened again.\r\n"
    ).encode()


@pytest.mark.parametrize("restricted", [True, False], ids=["restricted", "ordinary"])
def test_a_follow_up_to_a_closed_incident_is_as_restricted_as_it(restricted, alice, agent):
    secops = make_user("secops6", groups=["security"])
    category = Category.objects.get(slug="security", parent__isnull=True) if restricted else None
    closed = make_incident(actor=alice, caller=alice, title="Phishing mail opened", category=category)
    services.incident_resolve(
        actor=secops if restricted else agent,
        incident=closed,
        expected_version=None,
        resolution_code="permanent_fix",
        resolution_notes="Mailbox cleaned.",
    )
    services.incident_close(actor=alice, incident=closed, expected_version=None)

    record = inbound_receive(raw=_reply(closed, alice.email), size=300, source="test")

    assert record is not None and record.incident is not None and record.incident != closed
    follow_up = record.incident
    assert "Phishing mail opened" in follow_up.title
    assert permissions.is_restricted(follow_up) is restricted
    assert incidents_visible_to(access_for(agent)).filter(pk=follow_up.pk).exists() is not restricted
