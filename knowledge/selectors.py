"""Permission-checked reads of articles and quizzes.

The visibility rule, once for every surface (workspace, portal pages, suggestions, API): staff see
every article (drafts included, so that authors and reviewers can work); anyone else sees only
published public articles. Suggestions offer published articles only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from escalation.access import Access
from incidents.selectors import incidents_visible_to

from . import search
from .models import Article, ArticleLink, Attempt, SelfSolvedReport, Status, Visibility

SUGGESTION_LIMIT = 5
LINKS_SHOWN = 20
LIST_RELATED = ("category", "service", "owner")


def articles_visible_to(access: Access) -> QuerySet[Article]:
    qs = Article.objects.select_related(*LIST_RELATED)
    if not access.authenticated:
        return qs.none()
    if access.is_staff_member:
        return qs
    return qs.filter(status=Status.PUBLISHED, visibility=Visibility.PUBLIC)


def article_get_for_user(*, access: Access, number: str) -> Article:
    """The article if the person may read it; 404 otherwise, so that an internal article's existence
    does not leak."""
    try:
        return articles_visible_to(access).select_related("author").get(number=str(number)[:12])
    except Article.DoesNotExist:
        raise Http404(_("No article %(number)s.") % {"number": number}) from None


def articles_search(*, access: Access, q: str, status: str = "") -> QuerySet[Article]:
    qs = articles_visible_to(access)
    if status in Status.values:
        qs = qs.filter(status=status)
    return search.search(qs, q) if search.clean(q) else qs.order_by("-updated_at", "-id")


def suggestions_for(*, access: Access, title: str = "", description: str = "", q: str = "") -> list[Article]:
    """Published articles matching what is being typed, best first, at most ``SUGGESTION_LIMIT``.

    One index look-up on PostgreSQL (the partial GIN index on ``suggest_tsv``), limited.
    """
    qs = (
        articles_visible_to(access)
        .filter(status=Status.PUBLISHED)
        .select_related(None)
        .only("id", "number", "title", "symptoms", "visibility", "status", "language", "translation_of_id")
    )
    words = search.suggestion_words(search.clean(q), search.clean(title), search.clean(description))
    if not words:
        return []
    # In the reader's language where a translation exists, each article once.
    return in_language(search.suggest(qs, words, SUGGESTION_LIMIT), translation.get_language(), visible=qs)


def in_language(articles: Sequence[Article], language: str, *, visible: QuerySet[Article]) -> list[Article]:
    """The same articles, each in the reader's ``language`` where a visible translation exists, else its
    visible original (else as found), in the order found and never twice (one look-up)."""
    originals = {a.original_id for a in articles}
    if not originals:
        return []
    wanted = Q(pk__in=originals)
    if language != settings.LANGUAGE_CODE:
        wanted |= Q(translation_of_id__in=originals, language=language)
    found = {a.pk: a for a in visible.filter(wanted)}
    best: dict[int, Article] = {}
    for a in found.values():
        if a.translation_of_id is not None:  # the reader's language wins over the original
            best[a.translation_of_id] = a
        else:
            best.setdefault(a.pk, a)
    out: list[Article] = []
    seen: set[int] = set()
    for a in articles:
        if a.original_id in seen:
            continue
        seen.add(a.original_id)
        out.append(best.get(a.original_id, a))
    return out


def article_languages(article: Article) -> list[Article]:
    """The original and its translations, any status (the agent's page: which languages exist)."""
    original_id = article.original_id
    return list(
        Article.objects.filter(Q(pk=original_id) | Q(translation_of_id=original_id))
        .only("id", "number", "language", "status", "translation_of_id")
        .order_by("translation_of_id", "language")
    )


def article_usage(article: Article) -> dict[str, int]:
    """Incidents resolved with the article, and self-solved reports: shown on the article."""
    resolved = ArticleLink.objects.filter(article=article, incident__resolved_at__isnull=False).count()
    return {
        "resolved_with_article": resolved,
        "self_solved": SelfSolvedReport.objects.filter(article=article).count(),
    }


def article_counts_for_period(start: datetime, end: datetime) -> dict[str, int]:
    """For the monthly report: incidents resolved in [start, end) with a linked article, and
    self-solved reports made in that period."""
    resolved = (
        ArticleLink.objects.filter(incident__resolved_at__gte=start, incident__resolved_at__lt=end)
        .values("incident_id")
        .distinct()
        .count()
    )
    self_solved = SelfSolvedReport.objects.filter(created_at__gte=start, created_at__lt=end).count()
    return {"resolved_with_article": resolved, "self_solved": self_solved}


def article_incidents(*, access: Access, article: Article) -> dict[str, Any]:
    """What the article's page names of incidents, as the person may open them: its source incident
    and the latest linked ones (``LINKS_SHOWN``), with how many links it leaves out."""
    visible = incidents_visible_to(access)
    source = None
    if article.source_incident_id is not None:
        source = visible.filter(pk=article.source_incident_id).only("id", "number").first()
    links = article.links.filter(incident__in=visible.values("pk"))
    return {
        "source_incident": source,
        "links": list(
            links.select_related("incident", "linked_by").order_by("-linked_at", "-id")[:LINKS_SHOWN]
        ),
        "links_not_listed": article.links.exclude(incident__in=visible.values("pk")).count(),
    }


def articles_linked_to(incident_id: int) -> QuerySet[ArticleLink]:
    return ArticleLink.objects.filter(incident_id=incident_id).select_related("article", "linked_by")


def stale_articles(*, today: date | None = None) -> QuerySet[Article]:
    """Published articles past their review date, the most overdue first (the partial index)."""
    today = today or timezone.localdate()
    return (
        Article.objects.filter(status=Status.PUBLISHED, review_on__lt=today)
        .select_related("owner", "category")
        .order_by("review_on", "id")
    )


def can_publish(access: Access) -> bool:
    """The incident manager and group leads publish (SPEC §10)."""
    return access.is_incident_manager or access.is_group_lead


def can_edit(access: Access, article: Article) -> bool:
    return access.is_staff_member and (
        access.user_id in (article.author_id, article.owner_id) or can_publish(access)
    )


def quiz_scores_by_person(quiz_id: int | None = None) -> QuerySet[Attempt]:
    qs = Attempt.objects.filter(submitted_at__isnull=False)
    if quiz_id:
        qs = qs.filter(quiz_id=quiz_id)
    return qs.select_related("user", "group", "quiz").order_by("-submitted_at", "-id")


def quiz_scores_by_group_month(quiz_id: int | None = None) -> list[dict[str, Any]]:
    """Average score per group and month: the team's readiness over time."""
    qs = Attempt.objects.filter(submitted_at__isnull=False, group__isnull=False)
    if quiz_id:
        qs = qs.filter(quiz_id=quiz_id)
    rows = (
        qs.annotate(month=TruncMonth("submitted_at"))
        .values("month", "group__name")
        .annotate(attempts=Count("id"), total=Sum("score"), possible=Sum("max_score"))
        .order_by("-month", "group__name")
    )
    return [{**r, "percent": round(100 * r["total"] / r["possible"]) if r["possible"] else 0} for r in rows]


def staff_without_attempt(quiz_id: int) -> list[Any]:
    """Members of active support groups who have not submitted an attempt at the quiz."""
    done = Attempt.objects.filter(quiz_id=quiz_id, submitted_at__isnull=False).values("user_id")
    return list(
        get_user_model()
        .objects.filter(is_active=True, memberships__group__is_active=True)
        .exclude(pk__in=done)
        .distinct()
        .order_by("username")
        .prefetch_related("memberships__group")
    )
