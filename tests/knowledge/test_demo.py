"""The demo's knowledge: enough to show every page off."""

from __future__ import annotations

import pytest
from django.utils import timezone

from demo.content import load_content_demo
from demo.knowledge import load_knowledge_demo
from demo.seed import load_catalogue, load_people
from incidents.models import Category, IncidentEvent
from incidents.services import incident_resolve
from knowledge.models import Article, ArticleLink, ArticleVersion, Attempt, Quiz, Status, Visibility
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


def test_the_demo_loads_articles_versions_links_overdue_reviews_and_quiz_attempts():
    # given the demo's people and catalogue, and two resolved incidents of a demo category
    cast = load_people()
    load_catalogue()
    printers = Category.objects.get(name="Hardware")
    agent = cast.by_name["agent"]
    for _ in range(2):
        incident = make_incident(actor=agent, caller=cast.by_name["alice"], category=printers)
        incident_resolve(
            actor=agent,
            incident=incident,
            expected_version=None,
            resolution_code="workaround",
            resolution_notes="Cleared.",
        )
    IncidentEvent.objects.filter(kind=IncidentEvent.Kind.KNOWLEDGE_LINKED).count()

    load_knowledge_demo()
    assert load_knowledge_demo() == {"articles": 0}

    assert Article.objects.count() >= 40
    assert Article.objects.filter(status=Status.PUBLISHED, visibility=Visibility.PUBLIC).count() >= 10
    assert Article.objects.filter(status=Status.PUBLISHED, visibility=Visibility.INTERNAL).exists()
    assert Article.objects.exclude(status=Status.PUBLISHED).exists()
    assert ArticleVersion.objects.filter(number=2).exists()
    assert ArticleLink.objects.exists()
    assert (
        IncidentEvent.objects.filter(kind=IncidentEvent.Kind.KNOWLEDGE_LINKED).count()
        == ArticleLink.objects.count()
    )
    assert Article.objects.filter(status=Status.PUBLISHED, review_on__lt=timezone.localdate()).count() >= 2
    assert len({a.category_id for a in Article.objects.all()}) >= 5
    current = Quiz.objects.get(is_current=True)
    assert current.is_generated and current.questions.count() >= 15
    assert Attempt.objects.filter(quiz=current, submitted_at__isnull=False).count() >= 5
    assert not IncidentEvent.objects.filter(
        kind=IncidentEvent.Kind.KNOWLEDGE_LINKED, notified_at__isnull=True
    ).exists()

    # The public printer articles in German, French and Spanish, published: once, however often loaded.
    made = load_content_demo()
    assert made == 6 and load_content_demo() == 0
    german = Article.objects.filter(language="de", status=Status.PUBLISHED, visibility=Visibility.PUBLIC)
    assert set(german.values_list("translation_of__title", flat=True)) == {
        "Printer shows a paper jam but there is no paper",
        "Print jobs stuck in the queue",
    }
