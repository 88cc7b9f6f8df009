"""Figures that other apps provide. Each returns None until its app is wired in ("not yet available").

The lead wires them after the merge with one line each, for example::

    from surveys.selectors import satisfaction_for_period
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce

from incidents.models import Handoff
from knowledge.selectors import article_counts_for_period
from surveys.selectors import satisfaction_for_period
from toolkit.selectors import time_by_group_for_period


def satisfaction(start: datetime, end: datetime) -> dict[str, Any] | None:
    """``{"mean": float | None, "responses": int}`` from ``surveys.selectors.satisfaction_for_period``."""
    return satisfaction_for_period(start, end)


def knowledge(start: datetime, end: datetime) -> dict[str, Any] | None:
    """``{"resolved_with_article": int, "self_solved": int}`` from
    ``knowledge.selectors.article_counts_for_period``."""
    return article_counts_for_period(start, end)


def ola_compliance(start: datetime, end: datetime) -> list[dict[str, Any]] | None:
    """Per tier ``[{"tier": 1, "met": int, "total": int, "rate": float | None}]``: the hand-offs whose
    time with the tier ended in the period (handed on, or the incident resolved while with it) and
    had a hand-back target; met when that end came by the hand-off's ``due_at`` (pauses included)."""
    ended = Coalesce("ended_at", "incident__resolved_at")
    rows = (
        Handoff.objects.annotate(end=ended)
        .filter(end__gte=start, end__lt=end, due_at__isnull=False)
        .values("tier")
        .annotate(total=Count("id"), met=Count("id", filter=Q(end__lte=F("due_at"))))
        .order_by("tier")
    )
    return [
        {"tier": r["tier"], "met": r["met"], "total": r["total"], "rate": r["met"] / r["total"]} for r in rows
    ]


def time_worked(start: datetime, end: datetime) -> dict[str, Any]:
    """``{"total_minutes": int, "by_group": [{"key", "label", "minutes", "entries", "hours"}]}``: the time
    recorded in the period, by the group that held the incident then (toolkit, issue 23 §4). A total:
    it counts every incident and names none (the time per incident is in the month's incident CSV)."""
    rows = time_by_group_for_period(start, end)
    return {"total_minutes": sum(r["minutes"] for r in rows), "by_group": rows}
