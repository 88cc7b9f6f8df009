"""Similar incidents (issue 24 §2): the open and recent incidents most like one being read or logged,
each with why it was found (shared words, same caller, same service).

A read on behalf of a person: it starts from ``incidents.selectors.incidents_visible_to`` and, on top of
that, never offers a restricted security incident, not even to those who may read them: a panel that
suggests links must not put a security incident beside an ordinary one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.text import STOP_WORDS, distinct_words
from escalation.access import Access
from incidents import permissions, selectors
from incidents.models import Incident
from incidents.records.models import OPEN_STATUSES

# Resolved, closed and cancelled incidents are offered for this long after they were logged.
RECENT_DAYS = 30
# How many candidates each way of finding them brings before ranking.
CANDIDATES = 60
# Beside English function words (``core.text``), words every incident has that make none alike.
STOPWORDS = STOP_WORDS | frozenset({"please", "help", "issue", "problem", "working", "work", "works"})

# The weights of the ranking: a shared word counts by its share of the words typed.
WEIGHT_WORDS = 3.0
WEIGHT_CALLER = 1.5
WEIGHT_SERVICE = 1.0
WEIGHT_OPEN = 0.5


def _key(word: str) -> str:
    # A crude stem, so that "printer" and "printers" count as one shared word.
    return word[:6]


def words_of(text: str, *, limit: int = 4000) -> list[str]:
    """The distinct meaningful words of a text, lower-cased, in order of appearance."""
    return distinct_words(text, chars=limit, ignore=STOPWORDS, digits=False)


@dataclass
class Similar:
    incident: Incident
    score: float
    shared_words: list[str] = field(default_factory=list)
    same_caller: bool = False
    same_service: bool = False

    @property
    def is_open(self) -> bool:
        return self.incident.status in OPEN_STATUSES


def _text_match(qs: QuerySet[Incident], words: list[str]) -> QuerySet[Incident]:
    if connection.vendor == "postgresql":
        # The stored tsvector and its GIN index (incidents migration 0002); any word may match.
        query = " | ".join(words)
        return qs.extra(
            where=["incidents_incident.search_tsv @@ to_tsquery('english', %s)"],
            params=[query],
        )
    match = Q()
    for w in words:
        match |= Q(title__icontains=w) | Q(description__icontains=w)
    return qs.filter(match)


def similar_incidents(
    *,
    access: Access,
    title: str,
    description: str = "",
    caller_id: int | None = None,
    service_id: int | None = None,
    exclude: Incident | None = None,
    limit: int = 5,
) -> list[Similar]:
    """The ``limit`` most similar open or recent incidents the person may see, best first."""
    typed = words_of(f"{title} {title} {description}")
    words = typed[:12]
    base = (
        selectors.incidents_visible_to(access)
        .exclude(permissions.RESTRICTED)
        .filter(Q(status__in=OPEN_STATUSES) | Q(created_at__gte=timezone.now() - timedelta(days=RECENT_DAYS)))
    )
    if exclude is not None:
        base = base.exclude(pk=exclude.pk)
    found: dict[int, Incident] = {}
    if words:
        for row in _text_match(base, words).order_by("-created_at")[:CANDIDATES]:
            found[row.pk] = row
    if caller_id:
        for row in base.filter(caller_id=caller_id).order_by("-created_at")[:10]:
            found.setdefault(row.pk, row)
    if not found:
        return []
    wanted = {_key(w) for w in words}
    ranked: list[Similar] = []
    for row in found.values():
        theirs = {_key(w) for w in words_of(f"{row.title} {row.description}", limit=2000)}
        shared = [w for w in words if _key(w) in theirs]
        same_caller = bool(caller_id) and row.caller_id == caller_id
        if not shared and not same_caller:
            continue
        same_service = bool(service_id) and row.service_id == service_id
        score = (
            WEIGHT_WORDS * len(shared) / max(1, len(wanted))
            + (WEIGHT_CALLER if same_caller else 0.0)
            + (WEIGHT_SERVICE if same_service else 0.0)
            + (WEIGHT_OPEN if row.status in OPEN_STATUSES else 0.0)
        )
        ranked.append(Similar(row, score, shared, same_caller, same_service))
    ranked.sort(key=lambda s: (-s.score, -s.incident.created_at.timestamp()))
    return ranked[:limit]


def similar_to_incident(*, access: Access, incident: Incident, limit: int = 5) -> list[Similar]:
    return similar_incidents(
        access=access,
        title=incident.title,
        description=incident.description,
        caller_id=incident.caller_id,
        service_id=incident.service_id,
        exclude=incident,
        limit=limit,
    )
