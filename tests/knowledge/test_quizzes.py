"""Process quizzes: answers never in the page before submission, scoring, generated questions that
follow the configuration, assignments and reminders sent once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from escalation.choices import Priority, Tier
from escalation.models import SLATarget, SupportGroup
from incidents.models import PriorityMatrixEntry
from knowledge.generated import generated_quiz_ensure
from knowledge.mail import quiz_reminders_send
from knowledge.models import Attempt, Choice, Question, Quiz, Topic
from knowledge.services.quizzes import attempt_start, attempt_submit, quiz_assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_quiz(db):
    quiz = Quiz.objects.create(slug="small", title="Small", mode=Quiz.Mode.FIXED)
    single = Question.objects.create(
        text="Who declares a major incident?", topic=Topic.MAJOR_INCIDENTS, explanation="EXPLANATION-ONE"
    )
    Choice.objects.create(question=single, text="Any agent")
    Choice.objects.create(question=single, text="The incident manager", is_correct=True)
    multi = Question.objects.create(
        text="Which pause the SLA clock?", topic=Topic.SLA, kind="multiple", explanation="EXPLANATION-TWO"
    )
    Choice.objects.create(question=multi, text="Awaiting caller", is_correct=True)
    Choice.objects.create(question=multi, text="Lunch break", is_correct=False)
    Choice.objects.create(question=multi, text="Caller on holiday, on hold awaiting caller", is_correct=True)
    quiz.questions.set([single, multi])
    return quiz, single, multi


def test_answers_are_absent_from_the_page_until_submitted_then_scored(client, agent, small_quiz):
    quiz, single, multi = small_quiz
    client.force_login(agent)
    response = client.post(reverse("knowledge:quiz-start", args=[quiz.slug]))
    attempt = Attempt.objects.get(user=agent)
    assert response.url == reverse("knowledge:attempt", args=[attempt.pk])

    html = client.get(response.url).content.decode()
    assert single.text in html and "Awaiting caller" in html
    for leak in ("EXPLANATION-ONE", "EXPLANATION-TWO", "is_correct", "correct", "right answer"):
        assert leak not in html.replace("incorrect", ""), leak

    right_single = single.choices.get(is_correct=True)
    multi_right = list(multi.choices.filter(is_correct=True).values_list("pk", flat=True))
    response = client.post(
        reverse("knowledge:attempt", args=[attempt.pk]),
        {f"q{single.pk}": [right_single.pk], f"q{multi.pk}": multi_right[:1]},  # multi half right: wrong
    )
    attempt.refresh_from_db()
    assert (attempt.score, attempt.max_score) == (1, 2)
    result = client.get(reverse("knowledge:attempt", args=[attempt.pk])).content.decode()
    assert "EXPLANATION-ONE" in result and "1 of 2 right" in result and "right answer" in result

    # submitting twice changes nothing; someone else cannot see the attempt
    client.post(reverse("knowledge:attempt", args=[attempt.pk]), {f"q{multi.pk}": multi_right})
    attempt.refresh_from_db()
    assert attempt.score == 1


def test_someone_elses_attempt_is_not_found(client, agent, agent2, small_quiz):
    attempt = attempt_start(actor=agent, quiz=small_quiz[0])
    client.force_login(agent2)
    assert client.get(reverse("knowledge:attempt", args=[attempt.pk])).status_code == 404


def test_a_timed_attempt_submitted_after_the_deadline_expires_with_no_score(agent, small_quiz):
    quiz, single, _ = small_quiz
    quiz.time_limit_minutes = 5
    quiz.save()
    start = timezone.now()
    attempt = attempt_start(actor=agent, quiz=quiz, now=start)
    assert attempt.deadline_at == start + timedelta(minutes=5)
    right = {single.pk: [single.choices.get(is_correct=True).pk]}
    done = attempt_submit(actor=agent, attempt=attempt, answers=right, now=start + timedelta(minutes=7))
    assert done.expired and done.score == 0


def test_random_quizzes_draw_per_attempt_from_the_chosen_topics(agent, small_quiz):
    quiz = Quiz.objects.create(
        slug="random", title="Random", mode=Quiz.Mode.RANDOM, question_count=1, topics=[Topic.SLA]
    )
    attempt = attempt_start(actor=agent, quiz=quiz, seed=1)
    assert attempt.question_ids == [small_quiz[2].pk]


def test_the_generated_quiz_has_30_distinct_questions_each_with_one_right_answer(db):
    # given the default configuration (the README promises 30 or more questions from it)
    quiz = generated_quiz_ensure()
    questions = list(quiz.questions.filter(is_active=True).prefetch_related("choices"))

    assert len(questions) >= 30
    assert len({q.text for q in questions}) == len(questions), "two questions ask the same thing"
    assert {Topic.PRIORITIES, Topic.SLA, Topic.REGISTER, Topic.WHEN_TO_ESCALATE} <= {
        q.topic for q in questions
    }
    for q in questions:
        choices = list(q.choices.all())
        texts = [c.text for c in choices]
        right = [c.text for c in choices if c.is_correct]
        # one right answer: a single choice has exactly one correct option; a multiple choice has one
        # correct set, which is unambiguous when its options differ and some of them are wrong
        assert len(set(texts)) == len(texts), (q.text, texts)
        assert len(right) < len(choices), (q.text, texts)
        if q.kind == Question.Kind.SINGLE:
            assert len(right) == 1, (q.text, right)
        else:
            assert len(right) >= 1, (q.text, right)

    # and the right answers are the configuration's: every cell of the matrix, every SLA target, every tier
    by_key = {q.generated_key: q for q in questions}

    def answer(key: str) -> str:
        [right] = [c.text for c in by_key[key].choices.all() if c.is_correct]
        return right

    labels = dict(Priority.choices)
    for cell in PriorityMatrixEntry.objects.all():
        assert answer(f"matrix:{cell.impact}:{cell.urgency}") == labels[cell.priority]
    assert answer("matrix:3:3") == "P5 planning"
    targets = {t.priority: t for t in SLATarget.objects.filter(policy__is_default=True)}
    assert answer("sla:response:1") == "15 min" and answer("sla:resolution:1") == "4 h"
    assert answer("sla:resolution:3") == "3 business days" and len(targets) == 5
    assert {key for key in by_key if key.startswith("sla:")} == {
        f"sla:{what}:{p}" for what in ("response", "resolution") for p in targets
    }
    tiers = dict(Tier.choices)
    for group in SupportGroup.objects.filter(is_active=True, kind="support"):
        assert answer(f"tier:{group.slug}") == tiers[group.tier]


def test_the_generated_quiz_follows_the_configuration(client, agent):
    quiz = generated_quiz_ensure()
    cell = Question.objects.get(generated_key="matrix:3:3")
    assert cell.choices.get(is_correct=True).text == "P5 planning"

    # an administrator changes the matrix and an SLA target
    PriorityMatrixEntry.objects.filter(impact=3, urgency=3).update(priority=4)
    SLATarget.objects.filter(policy__is_default=True, priority=1).update(resolution_minutes=120)

    client.force_login(agent)
    assert client.get(reverse("knowledge:quiz", args=[quiz.slug])).status_code == 200
    assert Question.objects.get(generated_key="matrix:3:3").choices.get(is_correct=True).text == "P4 low"
    sla = Question.objects.get(generated_key="sla:resolution:1")
    assert sla.choices.get(is_correct=True).text == "2 h"


def test_the_incident_manager_sees_who_has_not_taken_the_current_quiz(
    client, agent, agent2, incident_manager, small_quiz
):
    quiz = small_quiz[0]
    quiz.is_current = True
    quiz.save()
    attempt = attempt_start(actor=agent, quiz=quiz)
    attempt_submit(actor=agent, attempt=attempt, answers={})
    client.force_login(incident_manager)
    html = client.get(reverse("knowledge:quizzes")).content.decode()
    section = html.split('data-testid="quiz-not-taken"')[1].split("</ul>")[0]
    assert "agent2" in section and "(agent)" not in section


def test_assignment_reminders_are_mailed_once_to_those_who_have_not_taken_it(
    agent, agent2, incident_manager, small_quiz
):
    quiz = small_quiz[0]
    from escalation.models import SupportGroup

    desk = SupportGroup.objects.get(slug="service-desk")
    with time_machine.travel(timezone.make_aware(timezone.datetime(2026, 5, 1, 9)), tick=False):
        quiz_assign(actor=incident_manager, quiz=quiz, group=desk, due_on=date(2026, 5, 20))
        assert quiz_reminders_send() == 0  # not due soon yet
        attempt = attempt_start(actor=agent, quiz=quiz)
        attempt_submit(actor=agent, attempt=attempt, answers={})
    with time_machine.travel(timezone.make_aware(timezone.datetime(2026, 5, 18, 9)), tick=False):
        assert quiz_reminders_send() == 1
        assert quiz_reminders_send() == 0
    assert [m.to for m in mail.outbox] == [[agent2.email]]
    assert quiz.title in mail.outbox[0].subject


def test_only_the_incident_manager_assigns(client, agent, small_quiz):
    client.force_login(agent)
    response = client.post(
        reverse("knowledge:quiz-assign", args=[small_quiz[0].slug]), {"group": 1, "due_on": "2099-01-01"}
    )
    assert response.status_code == 403


def test_the_escalation_register_links_to_the_quizzes(client, agent):
    client.force_login(agent)
    html = client.get("/escalation/").content.decode()
    assert reverse("knowledge:quizzes") in html
