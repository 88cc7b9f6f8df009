"""Quiz attempts, scoring, assignments to groups and their reminders."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.access import access_for
from escalation.models import Membership, SupportGroup

from ..generated import generated_quiz_sync, shown_in_language
from ..models import Attempt, Question, Quiz, QuizAssignment, QuizReminder

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# A submission this long after the deadline still counts (the page submits itself at zero).
GRACE = timedelta(seconds=30)
REMINDER_DAYS_BEFORE_DUE = 3


def _draw(quiz: Quiz, rng: random.Random) -> list[int]:
    if quiz.mode == Quiz.Mode.FIXED:
        return list(
            quiz.questions.filter(is_active=True).order_by("topic", "id").values_list("pk", flat=True)
        )
    pool = Question.objects.filter(is_active=True)
    if quiz.topics:
        pool = pool.filter(topic__in=quiz.topics)
    ids = list(pool.order_by("id").values_list("pk", flat=True))
    return rng.sample(ids, min(quiz.question_count, len(ids)))


def _home_group(user: Any) -> SupportGroup | None:
    membership = (
        Membership.objects.filter(user=user, group__is_active=True)
        .select_related("group")
        .order_by("group__tier", "group__name")
        .first()
    )
    return membership.group if membership else None


@transaction.atomic
def attempt_start(
    *, actor: User, quiz: Quiz, now: datetime | None = None, seed: int | None = None
) -> Attempt:
    """Start (or resume, while it runs) the actor's attempt, drawing its questions."""
    if not access_for(actor).is_staff_member:
        raise PermissionDenied(_("Quizzes are for staff."))
    now = now or timezone.now()
    generated_quiz_sync(quiz)
    running = (
        Attempt.objects.filter(quiz=quiz, user=actor, submitted_at__isnull=True)
        .order_by("-started_at")
        .first()
    )
    if running is not None and (running.deadline_at is None or running.deadline_at + GRACE > now):
        return running
    question_ids = _draw(quiz, random.Random(seed))
    if not question_ids:
        raise ValidationError({"quiz": _("This quiz has no questions yet.")})
    deadline = now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None
    return Attempt.objects.create(
        quiz=quiz,
        user=actor,
        group=_home_group(actor),
        question_ids=question_ids,
        started_at=now,
        deadline_at=deadline,
        max_score=len(question_ids),
    )


@transaction.atomic
def attempt_submit(
    *, actor: User, attempt: Attempt, answers: dict[int, list[int]], now: datetime | None = None
) -> Attempt:
    """Score the attempt and freeze its feedback. A question is right when exactly its correct
    choices are chosen. Past the deadline (plus a short grace) the attempt expires with no score."""
    now = now or timezone.now()
    locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if locked.user_id != actor.pk:
        raise PermissionDenied(_("This is someone else's attempt."))
    if locked.submitted_at is not None:
        raise ValidationError({"attempt": _("This attempt was already submitted.")})
    expired = locked.deadline_at is not None and now > locked.deadline_at + GRACE
    questions = Question.objects.prefetch_related("choices").in_bulk(locked.question_ids)
    choices_of: dict[int, list[Any]] = {}
    for q in questions.values():
        choices_of[q.pk] = list(q.choices.all())
    # The feedback is frozen in the language of the person submitting (the one who reads it): generated
    # questions are worded in it, written ones as their author wrote them.
    worded = shown_in_language(list(questions.values()))
    score = 0
    feedback = []
    for qid in locked.question_ids:
        question = questions.get(qid)
        if question is None:
            continue
        choices = choices_of[qid]
        chosen = {int(c) for c in answers.get(qid, [])} & {c.pk for c in choices}
        correct = {c.pk for c in choices if c.is_correct}
        right = bool(chosen) and chosen == correct and not expired
        score += int(right)
        words = worded.get(qid)
        feedback.append(
            {
                "text": words.text if words else question.text,
                "kind": question.kind,
                "topic": question.get_topic_display(),
                "explanation": words.explanation if words else question.explanation,
                "right": right,
                "choices": [
                    {
                        "text": words.choices[c.pk] if words else c.text,
                        "correct": c.is_correct,
                        "chosen": c.pk in chosen,
                    }
                    for c in choices
                ],
            }
        )
    locked.submitted_at = now
    locked.expired = expired
    locked.score = score
    locked.max_score = len(feedback)
    locked.feedback = feedback
    locked.save(update_fields=["submitted_at", "expired", "score", "max_score", "feedback"])
    return locked


def _check_manager(actor: Any) -> None:
    if not access_for(actor).is_incident_manager:
        raise PermissionDenied(_("Only the incident manager does that."))


@transaction.atomic
def quiz_assign(
    *, actor: User, quiz: Quiz, group: SupportGroup, due_on: date, now: datetime | None = None
) -> QuizAssignment:
    _check_manager(actor)
    now = now or timezone.now()
    if due_on < timezone.localdate(now):
        raise ValidationError({"due_on": _("The due date is in the past.")})
    if not group.is_active:
        raise ValidationError({"group": _("%(name)s is not active.") % {"name": group.name}})
    assignment, created = QuizAssignment.objects.get_or_create(
        quiz=quiz, group=group, defaults={"due_on": due_on, "assigned_by": actor, "created_at": now}
    )
    if not created and assignment.due_on != due_on:
        assignment.due_on = due_on
        assignment.save(update_fields=["due_on"])
    return assignment


@transaction.atomic
def quiz_make_current(*, actor: User, quiz: Quiz) -> Quiz:
    _check_manager(actor)
    Quiz.objects.filter(is_current=True).exclude(pk=quiz.pk).update(is_current=False)
    Quiz.objects.filter(pk=quiz.pk).update(is_current=True)
    quiz.is_current = True
    return quiz


def reminders_due(*, now: datetime | None = None) -> list[QuizReminder]:
    """Claim one reminder per person who has not taken an assigned quiz due within a few days
    (or overdue). The unique ``QuizReminder`` row is the sent-once guard: a second run claims nothing."""
    now = now or timezone.now()
    horizon = timezone.localdate(now) + timedelta(days=REMINDER_DAYS_BEFORE_DUE)
    claimed: list[QuizReminder] = []
    assignments = QuizAssignment.objects.filter(due_on__lte=horizon).select_related("quiz", "group")
    for assignment in assignments:
        done = Attempt.objects.filter(quiz=assignment.quiz, submitted_at__isnull=False).values("user_id")
        reminded = QuizReminder.objects.filter(assignment=assignment).values("user_id")
        members = (
            Membership.objects.filter(group=assignment.group, user__is_active=True)
            .exclude(user_id__in=done)
            .exclude(user_id__in=reminded)
            .select_related("user")
        )
        for membership in members:
            try:
                with transaction.atomic():
                    claimed.append(
                        QuizReminder.objects.create(
                            assignment=assignment, user=membership.user, created_at=now
                        )
                    )
            except IntegrityError:  # another worker claimed it
                continue
    return claimed
