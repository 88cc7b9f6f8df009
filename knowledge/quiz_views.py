"""Process quizzes for staff: take one, see feedback after submitting, scores, assignments."""

from __future__ import annotations

import random
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from escalation.access import access_of
from escalation.gates import staff_required

from . import forms, selectors
from .generated import generated_quiz_sync, shown_in_language
from .models import Attempt, Question, Quiz, QuizAssignment
from .services import quizzes as quiz_services


class AuthedRequest(HttpRequest):
    """A request the gate let through: its user is signed in."""

    user: Any


def _quiz(slug: str) -> Quiz:
    try:
        return Quiz.objects.get(slug=str(slug)[:60])
    except Quiz.DoesNotExist:
        raise Http404(_("No such quiz.")) from None


@staff_required(message=_("Quizzes are for staff."))
@require_GET
def quiz_list(request: AuthedRequest) -> HttpResponse:
    quizzes = list(Quiz.objects.all())
    current = next((q for q in quizzes if q.is_current), None)
    manager = access_of(request).is_incident_manager
    context: dict[str, Any] = {
        "quizzes": quizzes,
        "current": current,
        "mine": list(selectors.quiz_scores_by_person().filter(user=request.user)[:20]),
        "manager": manager,
    }
    if manager:
        context.update(
            {
                "not_taken": selectors.staff_without_attempt(current.pk) if current else [],
                "group_scores": selectors.quiz_scores_by_group_month()[:36],
                "recent": list(selectors.quiz_scores_by_person()[:30]),
                "assignments": list(QuizAssignment.objects.select_related("quiz", "group")[:50]),
                "assign_form": forms.AssignForm(),
            }
        )
    return render(request, "knowledge/quiz_list.html", context)


@staff_required(message=_("Quizzes are for staff."))
@require_GET
def quiz_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    quiz = _quiz(slug)
    generated_quiz_sync(quiz)
    count = (
        quiz.questions.filter(is_active=True).count() if quiz.mode == Quiz.Mode.FIXED else quiz.question_count
    )
    return render(request, "knowledge/quiz_detail.html", {"quiz": quiz, "count": count})


@staff_required(message=_("Quizzes are for staff."))
@require_POST
def quiz_start(request: AuthedRequest, slug: str) -> HttpResponse:
    quiz = _quiz(slug)
    try:
        attempt = quiz_services.attempt_start(actor=request.user, quiz=quiz)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("knowledge:quiz", slug=quiz.slug)
    return redirect("knowledge:attempt", pk=attempt.pk)


def _attempt(request: AuthedRequest, pk: int) -> Attempt:
    try:
        attempt = Attempt.objects.select_related("quiz").get(pk=pk)
    except Attempt.DoesNotExist:
        raise Http404(_("No such attempt.")) from None
    if attempt.user_id != request.user.pk:
        raise Http404(_("No such attempt."))
    return attempt


@staff_required(message=_("Quizzes are for staff."))
def attempt_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """Before submission the page shows questions and choices only: no answer, no explanation."""
    attempt = _attempt(request, pk)
    if request.method == "POST" and attempt.submitted_at is None:
        answers: dict[int, list[int]] = {}
        for qid in attempt.question_ids:
            values = request.POST.getlist(f"q{qid}")
            answers[qid] = [int(v) for v in values if v.isdigit()]
        try:
            attempt = quiz_services.attempt_submit(actor=request.user, attempt=attempt, answers=answers)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if attempt.expired:
                messages.warning(request, _("Time was up before you submitted: this attempt has no score."))
            else:
                messages.success(
                    request,
                    _("Submitted: %(score)s of %(max_score)s right.")
                    % {"score": attempt.score, "max_score": attempt.max_score},
                )
        return redirect("knowledge:attempt", pk=attempt.pk)
    if attempt.submitted_at is not None:
        return render(request, "knowledge/attempt_result.html", {"attempt": attempt})
    questions = Question.objects.prefetch_related("choices").in_bulk(attempt.question_ids)
    # generated questions in the reader's language (their stored text is the organisation's)
    worded = shown_in_language(list(questions.values()))
    rng = random.Random(attempt.pk)
    shown = []
    for qid in attempt.question_ids:
        question = questions.get(qid)
        if question is None or not question.is_active:
            continue
        # Only what the page may show: text and choice ids/texts, shuffled per attempt.
        words = worded.get(qid)
        choices = [(c.pk, words.choices[c.pk] if words else c.text) for c in question.choices.all()]
        rng.shuffle(choices)
        shown.append(
            {
                "id": qid,
                "text": words.text if words else question.text,
                "multiple": question.kind == "multiple",
                "topic": question.get_topic_display(),
                "choices": choices,
            }
        )
    return render(request, "knowledge/attempt_take.html", {"attempt": attempt, "questions": shown})


@staff_required
@require_POST
def quiz_assign(request: AuthedRequest, slug: str) -> HttpResponse:
    quiz = _quiz(slug)
    form = forms.AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a group and a due date."))
        return redirect("knowledge:quizzes")
    try:
        assignment = quiz_services.quiz_assign(
            actor=request.user,
            quiz=quiz,
            group=form.cleaned_data["group"],
            due_on=form.cleaned_data["due_on"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(title)s assigned to %(name)s, due %(due_on)s.")
            % {
                "title": quiz.shown_title,
                "name": assignment.group.name,
                "due_on": format(assignment.due_on, "%Y-%m-%d"),
            },
        )
    return redirect("knowledge:quizzes")


@staff_required
@require_POST
def quiz_make_current(request: AuthedRequest, slug: str) -> HttpResponse:
    quiz = _quiz(slug)
    try:
        quiz_services.quiz_make_current(actor=request.user, quiz=quiz)
    except PermissionDenied:
        raise
    messages.success(request, _("%(title)s is now the current quiz.") % {"title": quiz.shown_title})
    return redirect("knowledge:quizzes")
