"""Full-text search of articles, one behaviour on both databases.

PostgreSQL: the stored, weighted ``search_tsv`` column (migration 0002: title A, symptoms B,
workaround and resolution C, cause D) with its GIN index, ``websearch_to_tsquery`` syntax and
``ts_rank``. SQLite (the embedded default): the same query syntax (words, "quoted phrases",
``or``, ``-excluded``) matched with LIKE, ranked by where each term matched with the same
weights (title 1.0, symptoms 0.4, body 0.2, cause 0.1), without stemming or frequency.

Suggestions search for *any* of the words typed (the title and description of a new incident);
the search box wants *all* of them, as a web search does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection, transaction
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from core.text import distinct_words

from .models import Article

QUERY_MAX_LENGTH = 500
SUGGEST_MAX_WORDS = 10
WEIGHTS = {"title": 1.0, "symptoms": 0.4, "workaround": 0.2, "resolution": 0.2, "cause": 0.1}
SUGGEST_FIELDS = ("title", "symptoms")
_TOKEN = re.compile(r'-?"[^"]*"|\S+')


@dataclass
class ParsedQuery:
    """A websearch query: groups that must all match (each group: alternatives), and exclusions."""

    groups: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


def parse_websearch(text: str) -> ParsedQuery:
    parsed = ParsedQuery()
    join_next = False
    for token in _TOKEN.findall(text):
        negative = token.startswith("-")
        term = token.lstrip("-").strip('"').strip()
        if not term:
            continue
        if term.lower() == "or" and not token.startswith('"'):
            join_next = bool(parsed.groups)
            continue
        if negative:
            parsed.excluded.append(term)
        elif join_next:
            parsed.groups[-1].append(term)
        else:
            parsed.groups.append([term])
        join_next = False
    return parsed


def suggestion_words(*texts: str) -> list[str]:
    """The distinctive words of what someone typed, in order, at most ``SUGGEST_MAX_WORDS``."""
    return distinct_words(*texts, chars=QUERY_MAX_LENGTH * 4)[:SUGGEST_MAX_WORDS]


def clean(text: str) -> str:
    return (text or "").replace("\x00", "").strip()[:QUERY_MAX_LENGTH]


def search(qs: QuerySet[Article], text: str) -> QuerySet[Article]:
    """Articles matching all the query's terms (websearch syntax), best first, with ``rank``."""
    text = clean(text)
    if not text:
        return qs.annotate(rank=Value(0.0, output_field=FloatField()))
    if connection.vendor == "postgresql":
        return _pg(qs, SearchQuery(text, search_type="websearch", config="english"))
    return _like(qs, parse_websearch(text))


def search_any(qs: QuerySet[Article], words: list[str]) -> QuerySet[Article]:
    """Articles whose title or symptoms match any of ``words``, those matching more (and in the
    title) first. Suggestions match what a caller would say, not the technician's body text, which
    also keeps the set to rank small at 10,000 articles."""
    if not words:
        return qs.none()
    if connection.vendor == "postgresql":
        query = SearchQuery(" or ".join(words), search_type="websearch", config="english")
        return _pg(qs, query, column="suggest_tsv")
    return _like(qs, ParsedQuery(groups=[list(words)]), fields=SUGGEST_FIELDS)


def suggest(qs: QuerySet[Article], words: list[str], limit: int) -> list[Article]:
    """The best ``limit`` articles of ``search_any``, found through the suggestion index on PostgreSQL.

    An any-word query over a few thousand articles matches one in ten, scattered over every page:
    the planner then costs the index's bitmap scan at about the sequential scan (it reads every
    page either way) but not the tsvector match it runs on each of the 10,000 rows, which is what
    takes the time (measured at 10,000 articles: 32 ms scanning, 11 ms on the index). So the
    sequential scan is switched off for this one query, in its transaction only
    (``set_config(..., true)``), and switched back right after it.
    """
    found = search_any(qs, words)[:limit]
    if connection.vendor != "postgresql" or not words:
        return list(found)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
        before = cursor.fetchone()[0]
        try:
            return list(found)
        finally:
            cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])


def _pg(qs: QuerySet[Article], query: SearchQuery, *, column: str = "search_tsv") -> QuerySet[Article]:
    # ``column`` is one of this module's two names, never user input.
    vector = RawSQL(f"knowledge_article.{column}", [], output_field=SearchVectorField())  # noqa: S611
    return (
        qs.alias(kb_vector=vector)
        .filter(kb_vector=query)
        .annotate(rank=SearchRank(vector, query))
        .order_by("-rank", "-id")
    )


def _matches(term: str, fields: tuple[str, ...] = tuple(WEIGHTS)) -> Q:
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__icontains": term})
    return q


def _like(
    qs: QuerySet[Article], parsed: ParsedQuery, *, fields: tuple[str, ...] = tuple(WEIGHTS)
) -> QuerySet[Article]:
    for group in parsed.groups:
        alternatives = Q()
        for term in group:
            alternatives |= _matches(term, fields)
        qs = qs.filter(alternatives)
    for term in parsed.excluded:
        qs = qs.exclude(_matches(term))
    rank: Any = Value(0.0, output_field=FloatField())
    for group in parsed.groups:
        for term in group:
            for name in fields:
                weight = WEIGHTS[name]
                rank = rank + Case(
                    When(**{f"{name}__icontains": term}, then=Value(weight)),
                    default=Value(0.0),
                    output_field=FloatField(),
                )
    return qs.annotate(rank=rank).order_by(F("rank").desc(), "-id")
