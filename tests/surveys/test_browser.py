"""Phone-sized, in real Chromium: alice answers from her mail's link, then reads the published aggregate."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, expect

from surveys.services import Submission, response_submit
from tests.browser.test_workspace import sign_in
from tests.factories import make_user

from .conftest import deliver, invite, resolve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_alice_answers_from_her_mail_on_a_phone_and_the_published_page_shows_the_new_aggregate(
    live_server, browser: Browser, agent, alice, programme
):
    # given four earlier answers rating 2: one short of the anonymity threshold
    for i in range(4):
        invitation, _ = invite(programme, make_user(f"earlier{i}"))
        rating = invitation.template_version.questions.get(kind="rating")
        response_submit(invitation=invitation, submission=Submission(answers={rating.pk: 2}))
    # and alice's incident resolved, its invitation mailed by the worker
    resolve(agent, alice)
    mail.outbox.clear()
    deliver()
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/surveys/answer/\S+/", message.body).group(0)
    path = link.split("/surveys/", 1)[1]

    # when alice opens the link on her phone, without signing in, and answers
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{live_server.url}/surveys/{path}")
    expect(page.get_by_role("heading", name="How did we do?")).to_be_visible()
    page.get_by_label("5 of 5, very satisfied").check(force=True)
    page.get_by_text("Yes", exact=True).click()
    page.get_by_role("button", name="Send my answers").click()

    # then she sees the thank-you page
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    # and the link does not take a second answer
    page.goto(f"{live_server.url}/surveys/{path}")
    expect(page.get_by_test_id("survey-closed")).to_contain_text("already")

    # and once signed in, the published page shows the new aggregate: five responses, mean 2.6
    signed_in = sign_in(browser, live_server, alice.username, **PHONE)
    signed_in.goto(f"{live_server.url}/surveys/published/")
    card = signed_in.get_by_test_id(f"published-{programme.pk}")
    expect(card.get_by_test_id("published-responses")).to_have_text("5")
    expect(card.get_by_test_id("published-mean")).to_have_text("2.6")
    assert signed_in.evaluate("document.documentElement.scrollWidth") <= 390
