"""Surveys in several languages (issue 21 §3): translations, the reader's language, one count across them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from profiles.models import Profile
from surveys.models import Answer, Question, Response
from surveys.services import QuestionSpec, QuestionTranslation, template_save, version_translate

from .conftest import QUESTIONS, invite

pytestmark = pytest.mark.django_db


def _translate_german(template, actor):
    version = template.current_version()
    q = {x.kind: x for x in version.questions.all()}
    version_translate(
        actor=actor,
        version=version,
        language="de",
        intro="Drei kurze Fragen.",
        questions={
            q["rating"].pk: QuestionTranslation(text="Wie zufrieden sind Sie?"),
            q["choice"].pk: QuestionTranslation(
                text="Wie haben Sie uns erreicht?", choices=("Telefon", "Portal", "E-Mail")
            ),
        },
    )
    return {k: Question.objects.get(pk=v.pk) for k, v in q.items()}


def test_a_question_reads_in_the_translation_else_as_written(template, incident_manager):
    q = _translate_german(template, incident_manager)
    assert q["rating"].localise("de").label == "Wie zufrieden sind Sie?"
    assert q["rating"].localise("fr").label == "How satisfied are you?"  # no French: the original
    assert q["yes_no"].localise("de").label == "Was it fixed the first time?"  # untranslated question
    # Options are labelled in German but keep their original values: the answers aggregate.
    assert q["choice"].localise("de").options == [
        ("Phone", "Telefon"),
        ("Portal", "Portal"),
        ("Email", "E-Mail"),
    ]
    assert template.current_version().intro_in("de") == "Drei kurze Fragen."


def test_translated_options_must_match_the_originals_one_for_one(template, incident_manager):
    version = template.current_version()
    choice = version.questions.get(kind="choice")
    with pytest.raises(ValidationError):
        version_translate(
            actor=incident_manager,
            version=version,
            language="de",
            intro="",
            questions={choice.pk: QuestionTranslation(text="Wie?", choices=("Telefon", "Portal"))},
        )
    with pytest.raises(ValidationError):  # the organisation's own language is the original
        version_translate(actor=incident_manager, version=version, language="en-gb", intro="", questions={})


def test_a_new_version_keeps_the_translations_of_questions_kept_word_for_word(template, incident_manager):
    _translate_german(template, incident_manager)
    changed = [
        QUESTIONS[0],
        QuestionSpec(kind="choice", text="How did you reach us?", choices=("Phone", "Chat")),
    ]
    template_save(actor=incident_manager, template=template, name=template.name, intro="", questions=changed)
    q = {x.kind: x for x in template.current_version().questions.all()}
    assert q["rating"].translations["de"]["text"] == "Wie zufrieden sind Sie?"
    assert q["choice"].translations == {}  # other options: to translate again


def test_callers_answer_in_their_language_and_the_answers_count_together(
    client, alice, bob, incident_manager, programme, template
):
    q = _translate_german(template, incident_manager)
    _german, german_token = invite(programme, alice)
    page = client.get(
        reverse("surveys:answer", kwargs={"token": german_token}), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "Wie zufrieden sind Sie?" in body and "How satisfied are you?" not in body
    assert "Drei kurze Fragen." in body and 'value="Phone"' in body and ">Telefon<" in body
    assert 'lang="de"' in body  # the page itself in German
    done = client.post(
        reverse("surveys:answer", kwargs={"token": german_token}),
        {f"q{q['rating'].pk}": "5", f"q{q['choice'].pk}": "Phone"},
        HTTP_ACCEPT_LANGUAGE="de-DE",
    )
    assert done.status_code == 302

    # Bob chose Spanish, whatever his browser asks: no Spanish wording, so the original.
    Profile.objects.create(user=bob, language="es")
    _english, english_token = invite(programme, bob)
    page = client.get(reverse("surveys:answer", kwargs={"token": english_token}), HTTP_ACCEPT_LANGUAGE="de")
    assert "How satisfied are you?" in page.content.decode()
    client.post(
        reverse("surveys:answer", kwargs={"token": english_token}),
        {f"q{q['rating'].pk}": "3", f"q{q['choice'].pk}": "Phone"},
    )

    assert dict(Response.objects.values_list("invitation__user__username", "language")) == {
        "alice1": "de",
        "bob1": "es",
    }
    assert sorted(Answer.objects.filter(question=q["rating"]).values_list("rating", flat=True)) == [3, 5]
    assert list(Answer.objects.filter(question=q["choice"]).values_list("choice", flat=True)) == [
        "Phone",
        "Phone",
    ]

    client.force_login(incident_manager)
    results = client.get(reverse("surveys:results-detail", kwargs={"pk": programme.pk}))
    text = results.content.decode()
    assert 'data-language="de">Deutsch 1<' in text and 'data-language="es">Español 1<' in text
    assert text.count("How did you reach us?") == 1  # one question, both languages counted together


def test_the_incident_manager_translates_a_template_on_its_page(client, incident_manager, alice, template):
    url = reverse("surveys:template-translate", kwargs={"pk": template.pk, "language": "fr"})
    client.force_login(incident_manager)
    assert client.get(reverse("surveys:template-edit", kwargs={"pk": template.pk})).status_code == 200
    assert client.get(url).status_code == 200
    rating = template.current_version().questions.get(kind="rating")
    choice = template.current_version().questions.get(kind="choice")
    bad = client.post(url, {f"q{choice.pk}_choices": "Téléphone"})
    assert bad.status_code == 400 and "3" in bad.content.decode()
    saved = client.post(url, {"intro": "", f"q{rating.pk}": "Êtes-vous satisfait ?"})
    assert saved.status_code == 302
    assert Question.objects.get(pk=rating.pk).translations == {
        "fr": {"text": "Êtes-vous satisfait ?", "choices": []}
    }
    wrong = reverse("surveys:template-translate", kwargs={"pk": template.pk, "language": "xx"})
    assert client.get(wrong).status_code == 404

    client.force_login(alice)
    assert client.get(url).status_code in (403, 404)
