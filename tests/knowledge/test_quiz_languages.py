"""The generated quiz reads in the reader's language: a German agent takes it and reads its feedback in
German, an English one in English, from the same stored questions (issue 21 §3)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from escalation.defaults import BUSINESS_DAY
from knowledge.generated import duration, generated_quiz_ensure
from knowledge.models import Attempt, Question
from knowledge.services.quizzes import attempt_start
from profiles.models import Profile
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_german_agent_takes_the_generated_quiz_in_german_and_an_english_one_in_english(agent):
    quiz = generated_quiz_ensure()
    german = make_user("berlin1", groups=["service-desk"])
    Profile.objects.create(user=german, language="de")
    cell = Question.objects.get(generated_key="matrix:3:3")
    right = cell.choices.get(is_correct=True)
    # stored once, in the organisation's language, whoever made the quiz rebuild
    assert cell.text.startswith("An incident has impact 3 low and urgency 3 low.")
    assert right.text == "P5 planning"

    attempt = attempt_start(actor=german, quiz=quiz)
    page = _signed_in(german).get(reverse("knowledge:attempt", args=[attempt.pk])).content.decode()
    assert "Ein Vorfall hat die Auswirkung 3 niedrig und die Dringlichkeit 3 niedrig." in page
    assert "P5 Planung" in page
    assert "Unter der SLA-Richtlinie" in page
    assert "An incident has impact" not in page

    # marking is by choice, whatever the language: the German agent answers the cell right
    client = _signed_in(german)
    client.post(reverse("knowledge:attempt", args=[attempt.pk]), {f"q{cell.pk}": [str(right.pk)]})
    attempt = Attempt.objects.get(pk=attempt.pk)
    feedback = next(
        f
        for f in attempt.feedback
        if f["text"].startswith("Ein Vorfall hat die Auswirkung 3 niedrig und die Dringlichkeit 3 niedrig.")
    )
    assert feedback["right"] is True
    assert feedback["explanation"].startswith("Die Prioritätsmatrix ordnet")
    assert any(c["text"] == "P5 Planung" and c["correct"] for c in feedback["choices"])

    english = _signed_in(agent).get(
        reverse("knowledge:attempt", args=[attempt_start(actor=agent, quiz=quiz).pk])
    )
    assert "An incident has impact 3 low and urgency 3 low." in english.content.decode()


def test_durations_read_in_the_active_language():
    with translation.override("de"):
        assert duration(15, True) == "15 Min."
        assert duration(3 * BUSINESS_DAY, False) == "3 Arbeitstage"
        assert duration(BUSINESS_DAY, False) == "1 Arbeitstag"
    with translation.override("en"):
        assert duration(90, False) == "1.5 business hours"


def test_the_generated_quizs_title_and_description_read_in_the_readers_language(agent):
    quiz = generated_quiz_ensure()
    german = make_user("berlin2", groups=["service-desk"])
    Profile.objects.create(user=german, language="de")
    assert quiz.title == "The incident process: priorities, SLAs and escalation"  # stored once, in English

    page = _signed_in(german).get(reverse("knowledge:quiz", args=[quiz.slug])).content.decode()
    listed = _signed_in(german).get(reverse("knowledge:quizzes")).content.decode()
    assert "Der Vorfallprozess: Prioritäten, SLAs und Eskalation" in page
    assert "Aus der eigenen Prioritätsmatrix, den SLA-Zielen und dem Eskalationsregister" in page
    assert "Der Vorfallprozess: Prioritäten, SLAs und Eskalation" in listed
    assert "The incident process" not in page + listed
    english = _signed_in(agent).get(reverse("knowledge:quiz", args=[quiz.slug])).content.decode()
    assert "The incident process: priorities, SLAs and escalation" in english

    quiz.title = "Our own process quiz"  # a title an incident manager wrote reads as written
    quiz.save(update_fields=["title"])
    page = _signed_in(german).get(reverse("knowledge:quiz", args=[quiz.slug])).content.decode()
    assert "Our own process quiz" in page
