"""Knowledge articles in several languages (issue 21 §3, issue 24 §3 "in their language where one exists")."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from escalation.access import access_for
from knowledge import selectors, selfhelp
from knowledge.models import Article, Status, Visibility
from knowledge.services.articles import article_transition, article_translate, article_update

from .conftest import publish

pytestmark = pytest.mark.django_db


def _publish_german(original, *, author, publisher, title: str, symptoms: str) -> Article:
    german = article_translate(actor=author, article=original, language="de")
    article_update(actor=author, article=german, data={"title": title, "symptoms": symptoms})
    article_transition(actor=author, article=german, action="submit")
    return article_transition(actor=publisher, article=german, action="publish")


@pytest.fixture
def printer(agent, incident_manager):
    return publish(
        author=agent,
        publisher=incident_manager,
        title="Printer shows a paper jam",
        symptoms="Printer says paper jam but no paper is stuck",
        resolution="Restart the spooler.",
        visibility=Visibility.PUBLIC,
    )


def test_a_translation_is_a_draft_copy_linked_to_its_original_once_per_language(printer, agent, alice):
    german = article_translate(actor=agent, article=printer, language="de")
    assert (german.status, german.language, german.translation_of_id) == (Status.DRAFT, "de", printer.pk)
    assert (german.title, german.visibility, german.number != printer.number) == (
        printer.title,
        "public",
        True,
    )
    assert article_translate(actor=agent, article=printer, language="de") == german  # asked again
    french = article_translate(
        actor=agent, article=german, language="fr"
    )  # of a translation: of its original
    assert french.translation_of_id == printer.pk
    with pytest.raises(ValidationError):
        article_translate(actor=agent, article=printer, language="en-gb")
    with pytest.raises(PermissionDenied):
        article_translate(actor=alice, article=printer, language="es")


def test_callers_find_each_article_once_in_their_language_where_one_is_published(
    printer, agent, incident_manager, alice
):
    german = _publish_german(
        printer,
        author=agent,
        publisher=incident_manager,
        title="Drucker meldet Papierstau",
        symptoms="Der Drucker meldet einen Papierstau, aber es klemmt kein Papier",
    )
    for words in ("printer paper jam", "Drucker Papierstau"):  # whichever language matched
        assert selfhelp.help_search(words, language="de")[0] == [german]
        assert selfhelp.help_search(words, language="en-gb")[0] == [printer]
        assert selfhelp.help_search(words, language="fr")[0] == [printer]  # no French: the original
    assert [a.pk for a in selfhelp.help_browse(language="de")] == [german.pk]
    assert [a.pk for a in selfhelp.help_browse(language="es")] == [printer.pk]

    with translation.override("de"):  # suggestions while typing, in the active (reader's) language
        assert selectors.suggestions_for(access=access_for(alice), q="printer jam") == [german]


def test_an_unpublished_or_internal_translation_is_never_shown_to_callers(printer, agent, incident_manager):
    draft = article_translate(actor=agent, article=printer, language="de")
    assert selfhelp.help_search("printer paper jam", language="de")[0] == [printer]
    internal = publish(
        author=agent, publisher=incident_manager, title="ERP session fails", symptoms="ERP session invalid"
    )
    german_internal = _publish_german(
        internal,
        author=agent,
        publisher=incident_manager,
        title="ERP Sitzung",
        symptoms="ERP Sitzung ungültig",
    )
    assert german_internal.visibility == Visibility.INTERNAL
    found = selfhelp.help_search("ERP Sitzung", language="de")[0] + selfhelp.help_browse(language="de")
    assert internal not in found and german_internal not in found and draft not in found


def test_the_agents_page_shows_the_languages_and_an_editor_adds_one(client, printer, agent):
    client.force_login(agent)
    page = client.get(reverse("knowledge:article", kwargs={"number": printer.number}))
    assert page.status_code == 200 and b'data-testid="kb-languages"' in page.content
    added = client.post(
        reverse("knowledge:article-translate", kwargs={"number": printer.number}), {"language": "es"}
    )
    spanish = Article.objects.get(translation_of=printer, language="es")
    assert added.status_code == 302 and added.url == reverse(
        "knowledge:article-edit", kwargs={"number": spanish.number}
    )
    page = client.get(reverse("knowledge:article", kwargs={"number": spanish.number}))
    assert (
        f'href="{reverse("knowledge:article", kwargs={"number": printer.number})}"'.encode() in page.content
    )
    bad = client.post(
        reverse("knowledge:article-translate", kwargs={"number": printer.number}), {"language": "xx"}
    )
    assert bad.status_code == 302 and not Article.objects.filter(language="xx").exists()
