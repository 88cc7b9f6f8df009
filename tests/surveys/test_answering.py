"""Answering by link: no sign-in, CSRF, one use, expiry, tampering, reminders, and the portal's link."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import Answer, Invitation, Response, SurveyMail
from surveys.selectors import open_invitation_for
from surveys.services import invitations_expire, reminders_queue, survey_mail_send
from tests.factories import make_incident

from .conftest import answers_for, invite

pytestmark = pytest.mark.django_db


def _url(token: str) -> str:
    return reverse("surveys:answer", kwargs={"token": token})


def test_a_caller_answers_without_signing_in_and_a_second_submission_is_not_stored(client, alice, programme):
    invitation, token = invite(programme, alice)
    page = client.get(_url(token))
    assert page.status_code == 200 and b"How satisfied are you?" in page.content
    assert page.headers["Referrer-Policy"] == "same-origin"

    done = client.post(_url(token), answers_for(invitation, rating="5", text="Quick and kind"))
    assert done.status_code == 302 and done.url == reverse("surveys:thanks")
    assert Answer.objects.get(question__kind="rating").rating == 5

    again = client.post(_url(token), answers_for(invitation, rating="1"))
    assert again.status_code == 200 and b"already" in again.content
    assert Response.objects.count() == 1
    assert list(Answer.objects.filter(question__kind="rating").values_list("rating", flat=True)) == [5]


def test_the_answer_form_keeps_csrf_protection(alice, programme):
    invitation, token = invite(programme, alice)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(_url(token), answers_for(invitation)).status_code == 403
    assert not Response.objects.exists()


def test_a_required_question_left_empty_or_a_forged_value_is_a_400_with_a_message(client, alice, programme):
    invitation, token = invite(programme, alice)
    rating = invitation.template_version.questions.get(kind="rating")
    empty = client.post(_url(token), {})
    assert empty.status_code == 400 and b"Please answer this question." in empty.content
    forged = client.post(_url(token), {f"q{rating.pk}": "9"})
    assert forged.status_code == 400 and b"Choose a rating from 1 to 5." in forged.content
    assert not Response.objects.exists()


@pytest.mark.parametrize("token", ["x" * 43, "", "a/b", "%00", "z" * 500])
def test_a_tampered_link_gets_a_clear_404_page(client, alice, programme, token):
    invite(programme, alice)
    page = client.get(f"/surveys/answer/{token}/") if token else client.get("/surveys/answer/%20/")
    assert page.status_code == 404
    if token != "a/b":  # a slash leaves the route: Django's own 404
        assert b"not valid" in page.content


def test_an_expired_link_gets_a_clear_410_page_and_cannot_be_answered(client, alice, programme):
    invitation, token = invite(programme, alice)
    with time_machine.travel(invitation.expires_at + timedelta(minutes=1)):
        assert client.get(_url(token)).status_code == 410
        post = client.post(_url(token), answers_for(invitation))
        assert post.status_code == 410 and b"expired" in post.content
        assert invitations_expire() == 1
    assert not Response.objects.exists()
    assert not invitation.tokens.exists()  # expired links are forgotten


def test_one_reminder_before_expiry_and_none_once_answered(client, alice, bob, programme):
    # given two invitations, one of which is answered
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        open_one, _ = invite(programme, alice)
        answered, token = invite(programme, bob)
        client.post(_url(token), answers_for(answered))
        SurveyMail.objects.update(sent_at=start)  # the invitations went out
    # when beat runs well before the reminder window, then inside it twice
    with time_machine.travel(start + timedelta(days=2), tick=False):
        assert reminders_queue() == 0
    with time_machine.travel(start + timedelta(days=programme.link_valid_days - 2), tick=False):
        assert reminders_queue() == 1
        assert reminders_queue() == 0
        for pk in SurveyMail.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
            survey_mail_send(pk)
    # then only alice got one reminder, whose fresh link works
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert mail.outbox[0].subject.startswith("Reminder:")
    assert open_one.tokens.count() == 2


def test_the_portal_gets_a_signed_in_link_only_for_the_callers_own_open_invitation(
    client, agent, alice, bob, programme
):
    incident = make_incident(actor=agent, caller=alice)
    invitation, _ = invite(programme, alice, incident=incident)
    url = open_invitation_for(alice, incident)
    assert url == reverse("surveys:answer-mine", kwargs={"pk": invitation.pk})
    assert open_invitation_for(bob, incident) is None

    client.force_login(bob)
    assert client.get(url).status_code == 404
    # the portal's incident page offers it to the caller (and to nobody else)
    portal_page = f"/portal/incidents/{incident.number}/"
    client.force_login(alice)
    assert f'href="{url}"' in client.get(portal_page).content.decode()
    assert client.get(url).status_code == 200
    assert client.post(url, answers_for(invitation)).status_code == 302
    assert open_invitation_for(alice, incident) is None
    assert 'data-testid="survey-prompt"' not in client.get(portal_page).content.decode()
    assert Invitation.objects.get().answered_at is not None
