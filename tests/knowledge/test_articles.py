"""Articles: lifecycle and publishing rights, versions and their diff, links, promotion, stale mail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from incidents.models import Category, IncidentEvent
from incidents.services import incident_resolve
from knowledge.errors import ArticleTransitionNotAllowed
from knowledge.mail import stale_articles_notify
from knowledge.models import Article, ArticleVersion, Status
from knowledge.selectors import article_counts_for_period, article_usage
from knowledge.services.articles import (
    article_create,
    article_promote_from_incident,
    article_transition,
    article_update,
    self_solved_report,
    version_diff,
)
from tests.factories import make_incident, make_user
from tests.knowledge.conftest import publish

pytestmark = pytest.mark.django_db


def test_only_the_incident_manager_or_a_group_lead_publishes(agent, agent2, lead, incident_manager):
    article = article_create(actor=agent, title="Reset a desk phone")
    article_transition(actor=agent, article=article, action="submit")

    with pytest.raises(PermissionDenied):
        article_transition(actor=agent, article=article, action="publish")
    with pytest.raises(PermissionDenied):
        article_transition(actor=agent2, article=article, action="publish")

    published = article_transition(actor=lead, article=article, action="publish")
    assert published.status == Status.PUBLISHED
    assert published.versions.count() == 1

    other = article_create(actor=agent, title="Other")
    article_transition(actor=agent, article=other, action="submit")
    assert (
        article_transition(actor=incident_manager, article=other, action="publish").status == Status.PUBLISHED
    )


def test_the_lifecycle_table_refuses_skipping_review(agent, incident_manager):
    article = article_create(actor=agent, title="Draft")
    with pytest.raises(ArticleTransitionNotAllowed, match="draft"):
        article_transition(actor=incident_manager, article=article, action="publish")


def test_each_published_version_is_kept_and_diffs_with_the_previous(agent, incident_manager):
    article = publish(
        author=agent, publisher=incident_manager, title="VPN drops", resolution="Restart the client."
    )
    with pytest.raises(ArticleTransitionNotAllowed):
        article_update(actor=agent, article=article, data={"resolution": "x"})

    article_transition(actor=agent, article=article, action="revise")
    article_update(actor=agent, article=article, data={"resolution": "Update the <b>VPN</b> client."})
    article_transition(actor=agent, article=article, action="submit")
    article_transition(actor=incident_manager, article=article, action="publish")

    v1, v2 = ArticleVersion.objects.filter(article=article).order_by("number")
    assert (v1.number, v1.resolution) == (1, "Restart the client.")
    assert (v2.number, v2.resolution) == (2, "Update the <b>VPN</b> client.")
    previous, table = version_diff(v2)
    assert previous == v1
    assert (
        "Restart&nbsp;the&nbsp;client." in table
        and "&lt;b&gt;VPN&lt;/b&gt;" in table
        and "<b>VPN" not in table
    )


def test_the_diff_page_and_article_render_markdown_sanitised(client, agent, incident_manager):
    article = publish(
        author=agent,
        publisher=incident_manager,
        title="Sanitised",
        resolution="**Bold** <script>alert(1)</script> [x](javascript:alert(1))",
    )
    client.force_login(agent)
    page = client.get(reverse("knowledge:article", args=[article.number])).content.decode()
    assert "<strong>Bold</strong>" in page
    assert "<script>alert(1)" not in page and "javascript:alert" not in page
    diff = client.get(reverse("knowledge:version-diff", args=[article.number, 1]))
    assert diff.status_code == 200 and "<script>alert(1)" not in diff.content.decode()


def test_linking_is_one_click_logged_in_the_timeline_once_and_counted(client, agent, incident_manager, alice):
    article = publish(author=agent, publisher=incident_manager, title="Paper jam", symptoms="paper jam")
    incident = make_incident(actor=agent, caller=alice)
    client.force_login(agent)

    for _ in range(2):
        response = client.post(
            reverse("knowledge:incident-link", args=[incident.number]), {"article": article.number}
        )
        assert response.status_code == 302

    events = IncidentEvent.objects.filter(incident=incident, kind=IncidentEvent.Kind.KNOWLEDGE_LINKED)
    assert events.count() == 1
    assert events.get().changes == {"knowledge_article": {"old": None, "new": article.number}}
    assert article_usage(article)["resolved_with_article"] == 0

    incident_resolve(
        actor=agent,
        incident=incident,
        expected_version=None,
        resolution_code="workaround",
        resolution_notes="Cleared the jam.",
    )
    assert article_usage(article)["resolved_with_article"] == 1
    now = timezone.now()
    assert article_counts_for_period(now - timedelta(days=1), now + timedelta(days=1)) == {
        "resolved_with_article": 1,
        "self_solved": 0,
    }
    timeline = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "Knowledge article linked" in timeline and article.number in timeline


def test_a_resolution_is_promoted_to_a_prefilled_linked_draft(client, agent, alice):
    incident = make_incident(actor=agent, caller=alice, title="Scanner stops", description="It *stops*.")
    with pytest.raises(Exception, match="no resolution"):
        article_promote_from_incident(actor=agent, incident=incident)
    incident_resolve(
        actor=agent,
        incident=incident,
        expected_version=None,
        resolution_code="permanent_fix",
        resolution_notes="Replaced the roller.",
    )
    client.force_login(agent)
    response = client.post(reverse("knowledge:incident-promote", args=[incident.number]))
    assert response.status_code == 302
    article = Article.objects.get(source_incident=incident)
    assert (article.status, article.title, article.symptoms, article.resolution) == (
        Status.DRAFT,
        "Scanner stops",
        "It *stops*.",
        "Replaced the roller.",
    )
    assert article.links.filter(incident=incident).exists()


def test_a_restricted_incident_is_not_promoted_to_a_draft_all_staff_read(client, alice):
    secops = make_user("secops5", groups=["security"])
    security = Category.objects.get(slug="security", parent__isnull=True)
    incident = make_incident(actor=alice, caller=alice, title="Phishing kit found", category=security)
    incident_resolve(
        actor=secops,
        incident=incident,
        expected_version=None,
        resolution_code="permanent_fix",
        resolution_notes="Kit removed.",
    )
    client.force_login(secops)
    response = client.post(reverse("knowledge:incident-promote", args=[incident.number]), follow=True)
    assert "is restricted" in response.content.decode()
    assert not Article.objects.filter(title="Phishing kit found").exists()


def test_a_stale_article_is_mailed_to_its_owner_once_and_listed_for_the_incident_manager(
    client, agent, incident_manager
):
    article = publish(
        author=agent, publisher=incident_manager, title="Old advice", review_on=date(2026, 1, 10)
    )
    fresh = publish(author=agent, publisher=incident_manager, title="Fresh", review_on=date(2027, 1, 10))
    with time_machine.travel(timezone.make_aware(timezone.datetime(2026, 2, 1, 9)), tick=False):
        assert stale_articles_notify() == 1
        assert stale_articles_notify() == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [agent.email]
    assert article.number in mail.outbox[0].subject

    # A new review date that passes again is flagged again, once.
    article_update(actor=agent, article=article, data={"review_on": date(2026, 3, 1)})
    with time_machine.travel(timezone.make_aware(timezone.datetime(2026, 4, 1, 9)), tick=False):
        assert stale_articles_notify() == 1
        client.force_login(incident_manager)
        page = client.get(reverse("knowledge:stale")).content.decode()
    assert article.number in page and fresh.number not in page
    client.force_login(agent)
    assert client.get(reverse("knowledge:stale")).status_code == 403


def test_self_solved_counts_once_a_day_and_only_public_published(agent, incident_manager, alice):
    public = publish(author=agent, publisher=incident_manager, title="Public", visibility="public")
    internal = publish(author=agent, publisher=incident_manager, title="Internal", visibility="internal")
    assert self_solved_report(user=alice, article=public) is True
    assert self_solved_report(user=alice, article=public) is False
    with pytest.raises(PermissionDenied):
        self_solved_report(user=alice, article=internal)
    assert article_usage(public)["self_solved"] == 1


def test_link_and_promote_pages_refuse_end_users(client, agent, alice, incident_manager):
    article = publish(author=agent, publisher=incident_manager, title="A")
    incident = make_incident(actor=agent, caller=alice)
    client.force_login(alice)
    assert (
        client.post(
            reverse("knowledge:incident-link", args=[incident.number]), {"article": article.number}
        ).status_code
        == 403
    )
    assert client.get(reverse("knowledge:incident-panel", args=[incident.number])).status_code == 403
    assert client.get(reverse("knowledge:index")).status_code == 403


def test_only_a_publisher_makes_a_published_article_public(agent, incident_manager):
    article = publish(author=agent, publisher=incident_manager, title="Internal note", visibility="internal")
    with pytest.raises(PermissionDenied):
        article_update(actor=agent, article=article, data={"visibility": "public"})
    assert article_update(actor=incident_manager, article=article, data={"visibility": "public"}).is_public
