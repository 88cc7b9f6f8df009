"""Beat's survey work: perception rounds, and housekeeping (expiry, reminders, mail a lost task left)."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from surveys.models import Invitation, Programme, SurveyMail
from surveys.tasks import surveys_housekeeping_task, surveys_perception_task

from .conftest import invite

pytestmark = pytest.mark.django_db


def test_a_perception_programme_invites_its_audience_once_per_period_between_its_dates(
    settings, alice, bob, template
):
    settings.SURVEY_USER_LIMIT_DAYS = 30
    start = timezone.now()
    programme = Programme.objects.create(
        name="Quarterly",
        kind="perception",
        template=template,
        period_days=91,
        starts_on=timezone.localdate(start),
        ends_on=timezone.localdate(start + timedelta(days=120)),
    )
    programme.audience.set([alice, bob])
    with time_machine.travel(start, tick=False):
        assert surveys_perception_task() == 2
        assert surveys_perception_task() == 0  # the same period
    with time_machine.travel(start + timedelta(days=92), tick=False):
        assert surveys_perception_task() == 2
    with time_machine.travel(start + timedelta(days=200), tick=False):
        assert surveys_perception_task() == 0  # after its end date
    assert Invitation.objects.filter(programme=programme).count() == 4
    assert SurveyMail.objects.filter(kind="invitation").count() == 4


def test_housekeeping_sends_mail_a_lost_task_left_reminds_once_and_expires(alice, programme):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        invitation, _ = invite(programme, alice)  # its task was never queued (no commit in this test)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        assert surveys_housekeeping_task() == 1
    assert mail.outbox[0].subject.startswith("How did we do")
    with time_machine.travel(invitation.expires_at - timedelta(days=1), tick=False):
        assert surveys_housekeeping_task() == 0  # the reminder is queued on commit, sent by its task
        reminder = SurveyMail.objects.get(kind="reminder")
    with time_machine.travel(invitation.expires_at - timedelta(days=1, minutes=-5), tick=False):
        assert surveys_housekeeping_task() == 1
        assert surveys_housekeeping_task() == 0
    assert mail.outbox[1].subject.startswith("Reminder:") and reminder.to == alice.email
    with time_machine.travel(invitation.expires_at + timedelta(minutes=1), tick=False):
        surveys_housekeeping_task()
    invitation.refresh_from_db()
    assert invitation.expired_at is not None and not invitation.tokens.exists()
    assert len(mail.outbox) == 2
