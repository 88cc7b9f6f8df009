"""Permission-checked reads: results for managers, anonymised published results, the interfaces others call.

Interfaces for other apps (wired by the lead):
- ``satisfaction_for_period(start, end)``: the monthly report's satisfaction score (reporting);
- ``open_invitation_for(user, incident)``: the portal's "How did we do?" link (portal), rendered with
  ``templates/surveys/_portal_prompt.html`` given ``survey_url``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _

from escalation.access import Access
from escalation.choices import Priority, Tier
from incidents.selectors import incidents_visible_to
from profiles.locale import locale_of
from profiles.models import Profile

from .models import Answer, ImprovementAction, Invitation, Programme, Question, Response

# No breakdown, distribution or trend point is published for fewer responses than this (SPEC §9 anonymity).
ANONYMITY_THRESHOLD = 5

BREAKDOWNS: dict[str, tuple[Any, str]] = {
    # key: (label, the incident field the answers are grouped by)
    "group": (gettext_lazy("Support group"), "response__invitation__incident__assignment_group__name"),
    "category": (gettext_lazy("Category"), "response__invitation__incident__category__name"),
    "priority": (gettext_lazy("Priority"), "response__invitation__incident__priority"),
    "tier": (gettext_lazy("Highest tier reached"), "response__invitation__incident__max_tier_reached"),
}


def can_read_results(access: Access) -> bool:
    return access.is_manager


def can_configure(access: Access) -> bool:
    return access.is_incident_manager


def results_gate(access: Access) -> None:
    if not can_read_results(access):
        raise PermissionDenied(_("Survey results are for the incident manager and managers."))


def configure_gate(access: Access) -> None:
    if not can_configure(access):
        raise PermissionDenied(_("Survey templates and programmes are configured by the incident manager."))


def _ratings(programme: Programme | None = None) -> QuerySet[Answer]:
    qs = Answer.objects.filter(rating__isnull=False)
    if programme is not None:
        qs = qs.filter(response__invitation__programme=programme)
    return qs


def satisfaction_for_period(start: datetime, end: datetime) -> dict[str, Any]:
    """Mean 1–5 rating of the answers submitted in [start, end), and how many responses gave one."""
    row = (
        _ratings()
        .filter(response__submitted_at__gte=start, response__submitted_at__lt=end)
        .aggregate(mean=Avg("rating"), responses=Count("response", distinct=True))
    )
    mean = row["mean"]
    return {"mean": round(float(mean), 2) if mean is not None else None, "responses": row["responses"]}


def open_invitation_for(user: Any, incident: Any) -> str | None:
    """The signed-in page where ``user`` answers their open survey about ``incident``, or None.

    The URL carries the invitation's id, not a token: it works only for its own signed-in user.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    pk = (
        Invitation.objects.filter(
            user=user,
            incident=incident,
            answered_at__isnull=True,
            expired_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .values_list("pk", flat=True)
        .first()
    )
    return reverse("surveys:answer-mine", kwargs={"pk": pk}) if pk else None


def invitation_for_user(*, user: Any, pk: int) -> Invitation:
    try:
        return Invitation.objects.select_related("template_version__template", "incident").get(
            pk=pk, user=user
        )
    except Invitation.DoesNotExist:
        raise Http404(_("No such survey.")) from None


def survey_language(user: Any, *, browser: str = "") -> str:
    """The language to show ``user``'s survey in: the one they chose; else the one the browser opening
    the page asks for; else the one their browser last asked for; else the organisation's."""
    chosen = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    if chosen and chosen in dict(settings.LANGUAGES):
        return chosen
    return browser or locale_of(user).language


def questions_of(invitation: Invitation) -> list[Question]:
    return list(invitation.template_version.questions.order_by("position"))


# --- results -----------------------------------------------------------------------------------


@dataclass
class Counts:
    invited: int
    answered: int
    expired: int
    open: int

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.answered / self.invited, 1) if self.invited else None


def programme_counts(programme: Programme, *, now: datetime | None = None) -> Counts:
    now = now or timezone.now()
    row = Invitation.objects.filter(programme=programme).aggregate(
        invited=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        expired=Count(
            "id", filter=Q(answered_at__isnull=True) & (Q(expired_at__isnull=False) | Q(expires_at__lte=now))
        ),
    )
    return Counts(
        invited=row["invited"],
        answered=row["answered"],
        expired=row["expired"],
        open=row["invited"] - row["answered"] - row["expired"],
    )


def _distribution(qs: QuerySet[Answer]) -> list[dict[str, Any]]:
    counts = dict(qs.values_list("rating").annotate(n=Count("id")).values_list("rating", "n"))
    return [{"label": str(r), "count": counts.get(r, 0)} for r in range(1, 6)]


def _question_distributions(programme: Programme) -> list[dict[str, Any]]:
    """Rating and yes/no questions, grouped by wording across template versions."""
    out: list[dict[str, Any]] = []
    answers = Answer.objects.filter(response__invitation__programme=programme)
    rows = (
        answers.filter(question__kind__in=[Question.Kind.RATING, Question.Kind.YES_NO, Question.Kind.CHOICE])
        .values("question__kind", "question__text", "rating", "yes", "choice")
        .annotate(n=Count("id"))
        .order_by("question__text")
    )
    by_question: dict[tuple[str, str], dict[str, int]] = {}
    for r in rows:
        kind = r["question__kind"]
        if kind == Question.Kind.RATING:
            label = str(r["rating"])
        elif kind == Question.Kind.YES_NO:
            label = gettext("Yes") if r["yes"] else gettext("No")
        else:
            label = r["choice"]
        bucket = by_question.setdefault((kind, r["question__text"]), {})
        bucket[label] = bucket.get(label, 0) + r["n"]
    for (kind, text), counts in by_question.items():
        if kind == Question.Kind.RATING:
            labels = ["1", "2", "3", "4", "5"]
        elif kind == Question.Kind.YES_NO:
            labels = ["Yes", "No"]
        else:
            labels = sorted(counts)
        out.append(
            {
                "text": text,
                "kind": kind,
                "rows": [{"label": label, "count": counts.get(label, 0)} for label in labels],
                "total": sum(counts.values()),
            }
        )
    return out


def _monthly(qs: QuerySet[Answer]) -> list[dict[str, Any]]:
    rows = (
        qs.annotate(month=TruncMonth("response__submitted_at"))
        .values("month")
        .annotate(mean=Avg("rating"), responses=Count("response", distinct=True))
        .order_by("month")
    )
    return [
        {
            "label": r["month"].strftime("%Y-%m"),
            "mean": round(float(r["mean"]), 2),
            "responses": r["responses"],
        }
        for r in rows
    ]


def _label(key: str, value: Any) -> str:
    if value is None:
        return "(none)"
    if key == "priority":
        return str(Priority(value).label)
    if key == "tier":
        return str(Tier(value).label)
    return str(value)


def _breakdowns(qs: QuerySet[Answer], *, minimum: int = 0) -> list[dict[str, Any]]:
    out = []
    for key, (label, path) in BREAKDOWNS.items():
        rows = (
            qs.values(path)
            .annotate(mean=Avg("rating"), responses=Count("response", distinct=True))
            .order_by(path)
        )
        shown = [
            {"label": _label(key, r[path]), "mean": round(float(r["mean"]), 2), "responses": r["responses"]}
            for r in rows
            if r["responses"] >= minimum
        ]
        out.append({"key": key, "label": label, "rows": shown, "hidden": len(rows) - len(shown)})
    return out


def programme_results(*, access: Access, programme: Programme) -> dict[str, Any]:
    """Everything the results page shows for one programme (managers only)."""
    results_gate(access)
    ratings = _ratings(programme)
    mean = ratings.aggregate(mean=Avg("rating"))["mean"]
    # Comments name their incident: those about an incident the reader may not open are counted
    # in the ratings (the aggregate rule) but not listed.
    written = Answer.objects.filter(response__invitation__programme=programme).exclude(text="")
    hidden = Q(response__invitation__incident__isnull=False) & ~Q(
        response__invitation__incident__in=incidents_visible_to(access).values("pk")
    )
    comments = (
        written.exclude(hidden)
        .select_related("question", "response__invitation__incident")
        .order_by("-response__submitted_at", "-id")[:100]
    )
    return {
        "programme": programme,
        "counts": programme_counts(programme),
        "mean": round(float(mean), 2) if mean is not None else None,
        "distribution": _distribution(ratings),
        "questions": _question_distributions(programme),
        "monthly": _monthly(ratings),
        "breakdowns": _breakdowns(ratings),
        "comments": list(comments),
        "comments_not_listed": written.filter(hidden).count(),
        "actions": list(programme.actions.select_related("owner")),
        "languages": responses_by_language(programme),
    }


def responses_by_language(programme: Programme) -> list[dict[str, Any]]:
    """How many responses were answered in each language (the answers themselves are counted together)."""
    names = dict(settings.LANGUAGES)
    rows = (
        Response.objects.filter(invitation__programme=programme)
        .values("language")
        .annotate(n=Count("id"))
        .order_by("-n", "language")
    )
    if not any(r["language"] for r in rows):
        return []  # only responses from before languages were recorded: nothing to tell apart
    return [
        {
            "language": r["language"],
            "label": str(names.get(r["language"], r["language"] or "–")),
            "count": r["n"],
        }
        for r in rows
    ]


def programmes_overview(*, access: Access) -> list[dict[str, Any]]:
    results_gate(access)
    programmes = list(Programme.objects.select_related("template"))
    means = dict(
        _ratings()
        .values("response__invitation__programme")
        .annotate(mean=Avg("rating"))
        .values_list("response__invitation__programme", "mean")
    )
    out = []
    for p in programmes:
        mean = means.get(p.pk)
        out.append(
            {
                "programme": p,
                "counts": programme_counts(p),
                "mean": round(float(mean), 2) if mean is not None else None,
            }
        )
    return out


def responses_for_programme(*, access: Access, programme: Programme) -> QuerySet[Response]:
    results_gate(access)
    return (
        Response.objects.filter(invitation__programme=programme)
        .select_related("invitation__incident")
        .prefetch_related("answers__question")
    )


def published_results(*, access: Access) -> list[dict[str, Any]]:
    """The page every signed-in user reads: aggregates only, no names, and nothing under the threshold."""
    if not access.authenticated:
        raise PermissionDenied(_("Sign in to read the survey results."))
    out = []
    for programme in Programme.objects.filter(published=True):
        ratings = _ratings(programme)
        agg = ratings.aggregate(mean=Avg("rating"), responses=Count("response", distinct=True))
        enough = agg["responses"] >= ANONYMITY_THRESHOLD
        comments = (
            Answer.objects.filter(response__invitation__programme=programme, publishable=True)
            .exclude(text="")
            .order_by("-response__submitted_at")
            .values_list("text", flat=True)[:20]
        )
        out.append(
            {
                "programme": programme,
                "responses": agg["responses"],
                "enough": enough,
                "threshold": ANONYMITY_THRESHOLD,
                "mean": round(float(agg["mean"]), 2) if enough and agg["mean"] is not None else None,
                "distribution": _distribution(ratings) if enough else [],
                "monthly": [m for m in _monthly(ratings) if m["responses"] >= ANONYMITY_THRESHOLD],
                "breakdowns": _breakdowns(ratings, minimum=ANONYMITY_THRESHOLD) if enough else [],
                "comments": list(comments) if enough else [],
                "actions": list(programme.actions.all()),
            }
        )
    return out


def actions_for(*, access: Access) -> QuerySet[ImprovementAction]:
    results_gate(access)
    return ImprovementAction.objects.select_related("programme", "owner")
