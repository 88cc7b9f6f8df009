"""Training plans (issue 26 §2): inherited by a new member of the group, completed when the quiz is
passed; completion for team leads; reminders before the due date; the escalation register's count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalation.access import access_for
from escalation.models import Membership
from knowledge.models import Choice, Question, Quiz, Topic
from knowledge.services.quizzes import attempt_start, attempt_submit
from meetings import selectors, training
from meetings.models import TrainingReminder
from meetings.services import ItemSpec, article_read_mark, training_plan_create
from meetings.tasks import training_reminders_send
from tests.factories import group, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz(db):
    quiz = Quiz.objects.create(slug="process", title="The escalation process", mode=Quiz.Mode.FIXED)
    questions = []
    for n in range(5):
        q = Question.objects.create(text=f"Question {n}", topic=Topic.SLA)
        Choice.objects.create(question=q, text="Right", is_correct=True)
        Choice.objects.create(question=q, text="Wrong")
        questions.append(q)
    quiz.questions.set(questions)
    return quiz


def _take(user, quiz, *, right: int):
    attempt = attempt_start(actor=user, quiz=quiz)
    answers = {}
    for n, q in enumerate(quiz.questions.order_by("pk")):
        answers[q.pk] = [q.choices.get(is_correct=(n < right)).pk]
    return attempt_submit(actor=user, attempt=attempt, answers=answers)


def test_a_new_member_inherits_the_plan_and_completes_it_when_the_quiz_is_passed(
    incident_manager, quiz, time_machine
):
    time_machine.move_to("2026-11-02 09:00:00+00:00", tick=False)
    old = make_user("netold", groups=["network"])
    plan = training_plan_create(
        actor=incident_manager,
        title="Escalation basics",
        group=group("network"),
        items=[ItemSpec("quiz", quiz, date(2026, 11, 20), pass_percent=80)],
        newcomer_days=14,
        is_escalation_process=True,
    )
    [due] = training.dues_of(user_id=old.pk, roles=[])
    assert (due.due_on, due.done) == (date(2026, 11, 20), False)

    # a month later someone joins the group: the plan is theirs, with 14 days from joining
    time_machine.move_to("2026-12-01 09:00:00+00:00", tick=False)
    new = make_user("netnew", groups=["network"])
    [due] = training.dues_of(user_id=new.pk, roles=access_for(new).roles)
    assert (due.item.plan, due.due_on, due.done, due.overdue) == (plan, date(2026, 12, 15), False, False)
    [old_due] = training.dues_of(user_id=old.pk, roles=[])
    assert old_due.overdue  # the old member's date has passed

    _take(new, quiz, right=3)  # 60 %: taken, not passed
    assert not training.dues_of(user_id=new.pk, roles=[])[0].done
    _take(new, quiz, right=4)  # 80 %: passed
    assert training.dues_of(user_id=new.pk, roles=[])[0].done
    progress = {p.user.username: p for p in training.plan_progress(plan)}
    assert (progress["netnew"].complete, progress["netold"].complete, progress["netold"].overdue) == (
        True,
        False,
        1,
    )
    assert training.escalation_training_by_group()[group("network").pk] == (1, 2)

    # the escalation register says so on the group's card
    client = Client()
    client.force_login(new)
    page = client.get(reverse("escalation:register")).content.decode()
    assert "1 of 2 members completed the escalation-process training" in page


def test_a_role_plan_an_article_read_and_a_reminder_once_before_the_due_date(
    incident_manager, agent, time_machine
):
    from knowledge.services.articles import article_create

    time_machine.move_to("2026-11-02 09:00:00+00:00", tick=False)
    agent.email = "agent1@example.org"
    agent.save()
    article = article_create(actor=agent, title="Reset a password", symptoms="Locked out")
    plan = training_plan_create(
        actor=incident_manager,
        title="Agents read",
        role="Service desk agent",
        items=[ItemSpec("article", article, date(2026, 11, 10))],
    )
    assert training_reminders_send() == 0  # eight days ahead: too early
    time_machine.move_to("2026-11-08 09:00:00+00:00", tick=False)
    assert training_reminders_send() == 1
    assert training_reminders_send() == 0  # once
    assert TrainingReminder.objects.get().sent_at is not None
    assert "Reset a password" in mail.outbox[-1].subject and mail.outbox[-1].to == ["agent1@example.org"]

    item = plan.items.get()
    read = article_read_mark(actor=agent, item=item)
    assert read.user == agent
    assert training.dues_of(user_id=agent.pk, roles=access_for(agent).roles)[0].done
    outsider = make_user("netx", groups=["network"])
    with pytest.raises(PermissionDenied):
        article_read_mark(actor=outsider, item=item)


def test_only_incident_managers_assign_and_a_bad_plan_is_refused(incident_manager, agent, quiz):
    with pytest.raises(PermissionDenied):
        training_plan_create(
            actor=agent, title="x", group=group("network"), items=[ItemSpec("quiz", quiz, date(2030, 1, 1))]
        )
    with pytest.raises(ValidationError) as caught:
        training_plan_create(actor=incident_manager, title="", items=[])
    assert {"title", "group", "items"} <= set(caught.value.message_dict)


def test_team_leads_see_their_groups_plans_and_others_see_none(incident_manager, quiz):
    lead = make_user("netlead", groups=["network"])
    Membership.objects.filter(user=lead).update(is_lead=True)
    member = make_user("netmember", groups=["network"])
    # members long before the plan's date: no newcomer's grace
    Membership.objects.filter(group=group("network")).update(joined_at=timezone.now() - timedelta(days=60))
    mine = training_plan_create(
        actor=incident_manager,
        title="Network plan",
        group=group("network"),
        items=[ItemSpec("quiz", quiz, timezone.localdate() - timedelta(days=1))],
    )
    other = training_plan_create(
        actor=incident_manager,
        title="Desk plan",
        group=group("service-desk"),
        items=[ItemSpec("quiz", quiz, timezone.localdate() + timedelta(days=5))],
    )
    assert list(selectors.training_plans_for(access_for(lead))) == [mine]
    assert not selectors.training_plans_for(access_for(member)).exists()
    assert set(selectors.training_plans_for(access_for(incident_manager))) == {mine, other}

    client = Client()
    client.force_login(lead)
    page = client.get(reverse("meetings:plan", args=[mine.pk])).content.decode()
    assert member.get_full_name() in page and "Overdue" in page and "table-danger" in page
    assert client.get(reverse("meetings:plan", args=[other.pk])).status_code == 404
    client.force_login(member)
    assert client.get(reverse("meetings:plans")).status_code == 403
    mine_page = client.get(reverse("meetings:training")).content.decode()
    assert "The escalation process" in mine_page and "Overdue" in mine_page
    client.force_login(incident_manager)
    response = client.post(reverse("meetings:plan-create"), {"title": "No target", "pass_percent": 80})
    assert response.status_code == 400
    response = client.post(
        reverse("meetings:plan-create"),
        {
            "title": "Quiz for the desk",
            "group": "service-desk",
            "quiz": "process",
            "quiz_due": "2030-01-10",
            "pass_percent": "70",
            "newcomer_days": "10",
        },
    )
    assert response.status_code == 302
