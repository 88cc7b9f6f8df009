"""The review queue in real Chromium, phone-sized: an agent opens a stranger's mail as an incident."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from intake.mailboxes import MaildirMailbox
from intake.models import InboundMessage
from intake.polling import mailbox_poll
from tests.browser.test_workspace import sign_in
from tests.factories import make_user
from tests.intake.test_routing import message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PHONE = {"viewport": {"width": 390, "height": 844}}


def test_an_agent_opens_a_strangers_mail_as_an_incident_from_a_phone(live_server, browser, inbox):
    make_user("agent", groups=["service-desk"])
    inbox.drop(
        message(sender="Carol Diaz <carol@partner.example>", subject="Badge reader", body="It beeps red.")
    )
    mailbox_poll(mailbox=MaildirMailbox(inbox.path))

    page = sign_in(browser, live_server, "agent", **PHONE)
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("button", name="Process", exact=True).click()
    page.get_by_role("link", name="Incoming mail").click()
    card = page.get_by_role("article", name="Badge reader")
    expect(card).to_contain_text("It beeps red.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    card.get_by_role("button", name="Open incident").click()

    expect(page).to_have_url(re.compile(r"/incidents/INC\d{7}/$"))
    expect(page.get_by_text("was added to INC")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Badge reader"))).to_be_visible()
    assert InboundMessage.objects.get().incident.caller.email == "carol@partner.example"
