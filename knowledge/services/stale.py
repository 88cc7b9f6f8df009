"""Stale articles: past their review date, flagged to the owner by mail once per review date."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone

from ..models import Article, Status


def stale_articles_claim(*, now: datetime | None = None, batch: int = 200) -> list[Article]:
    """Claim the stale articles whose owner has not been told about this review date.

    Each claim is a conditional update that commits on its own, so a second run (or a second
    worker) claims nothing again; the mail is sent after the claim.
    """
    today = timezone.localdate(now or timezone.now())
    not_told = Q(stale_notified_for__isnull=True) | ~Q(stale_notified_for=F("review_on"))
    due = (
        Article.objects.filter(status=Status.PUBLISHED, review_on__lt=today)
        .filter(not_told)
        .order_by("review_on", "id")
        .values_list("pk", flat=True)[:batch]
    )
    claimed: list[Article] = []
    for pk in list(due):
        if Article.objects.filter(pk=pk).filter(not_told).update(stale_notified_for=F("review_on")) == 1:
            claimed.append(Article.objects.select_related("owner").get(pk=pk))
    return claimed
