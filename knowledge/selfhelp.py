"""Self-help for callers (issue 24 §3): search and browse the public knowledge base, forgiving typos,
and the deflection figures (reports a caller ended with "this solved it").

Only published public articles, whoever asks: this is what the portal shows callers.
"""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import Any

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Count, Exists, ExpressionWrapper, F, FloatField, OuterRef, Q, QuerySet
from django.db.models.functions import Greatest, TruncMonth
from django.utils import translation

from . import search
from .models import Article, SelfSolvedReport, Status, Visibility
from .selectors import in_language

PAGE_SIZE = 20
# How alike a typed word and an article's word must be to count (pg_trgm's word similarity, 0-1).
TRIGRAM_THRESHOLD = 0.4
# On SQLite, how alike two words must be for difflib.
FUZZY_CUTOFF = 0.7


def public_articles() -> QuerySet[Article]:
    return Article.objects.filter(status=Status.PUBLISHED, visibility=Visibility.PUBLIC)


def _fuzzy_pg(qs: QuerySet[Article], words: list[str]) -> QuerySet[Article]:
    """Each typed word against the title and symptoms by trigram word similarity (pg_trgm); an
    article's likeness is the mean over the words typed, so every word counts and none must be exact."""
    scores = [
        Greatest(TrigramWordSimilarity(w, "title"), TrigramWordSimilarity(w, "symptoms")) for w in words
    ]
    total: Any = scores[0]
    for score in scores[1:]:
        total = total + score
    return (
        qs.annotate(likeness=ExpressionWrapper(total / float(len(words)), output_field=FloatField()))
        .filter(likeness__gte=TRIGRAM_THRESHOLD)
        .order_by("-likeness", "-published_at", "-id")
    )


def _fuzzy_python(qs: QuerySet[Article], words: list[str]) -> list[Article]:
    """SQLite: the words typed are corrected against the words of the public titles and symptoms,
    then searched for (the public knowledge base is small: hundreds of articles, not millions)."""
    vocabulary: set[str] = set()
    for title, symptoms in qs.values_list("title", "symptoms")[:5000]:
        vocabulary.update(search.suggestion_words(title, symptoms[:500]))
    corrected = []
    for w in words:
        close = difflib.get_close_matches(w, vocabulary, n=1, cutoff=FUZZY_CUTOFF)
        if close:
            corrected.append(close[0])
    return list(search.search_any(qs, corrected)[:PAGE_SIZE]) if corrected else []


def help_search(q: str, *, language: str | None = None) -> tuple[list[Article], bool]:
    """Public articles for what a caller typed, best first; and whether they were found by forgiving
    typos (no article held every word as typed). Whichever language matched, each article is shown once,
    in the reader's ``language`` (default: the active one) where a translation exists."""
    language = language or translation.get_language()
    qs = public_articles()
    text = search.clean(q)
    if not text:
        return [], False
    exact = list(search.search(qs, text)[:PAGE_SIZE])
    if exact:
        return in_language(exact, language, visible=qs), False
    words = search.suggestion_words(text)
    if not words:
        return [], False
    if connection.vendor == "postgresql":
        return in_language(list(_fuzzy_pg(qs, words)[:PAGE_SIZE]), language, visible=qs), True
    return in_language(_fuzzy_python(qs, words), language, visible=qs), True


def help_browse(*, page: int = 1, language: str | None = None) -> list[Article]:
    """Public articles, the ones that solved most first, then the newest: one row per article (its
    original, or a translation whose original is not public), shown in the reader's language."""
    language = language or translation.get_language()
    start = (max(1, page) - 1) * PAGE_SIZE
    qs = public_articles()
    rows = list(
        qs.filter(Q(translation_of__isnull=True) | ~Exists(qs.filter(pk=OuterRef("translation_of_id"))))
        .annotate(solved=Count("self_solved"))
        .order_by("-solved", F("published_at").desc(nulls_last=True), "-id")[start : start + PAGE_SIZE]
    )
    return in_language(rows, language, visible=qs)


def deflection(*, since: datetime) -> dict[str, Any]:
    """Reports callers ended with an article since ``since``: per month and per article."""
    rows = SelfSolvedReport.objects.filter(created_at__gte=since)
    per_month = list(
        rows.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    per_article = list(
        rows.values("article__number", "article__title")
        .annotate(n=Count("id"))
        .order_by("-n", "article__number")[:10]
    )
    return {"total": sum(r["n"] for r in per_month), "per_month": per_month, "per_article": per_article}
