"""Reads of the learning app: the active model, suggestions for a person, the figures."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from escalation.access import Access
from escalation.defaults import SECURITY_GROUP_SLUG
from incidents.models import SECURITY_CATEGORY_SLUG
from incidents.records.queues import active_categories, active_groups, active_services

from . import engine
from .models import Field, LearningSettings, SuggestionFeedback, SuggestionModel

PRIORITY_LABELS = {1: "P1", 2: "P2", 3: "P3", 4: "P4", 5: "P5"}

_lock = threading.Lock()
_loaded: tuple[int, engine.Suggester] | None = None


def learning_settings(*, for_update: bool = False) -> LearningSettings:
    if for_update:
        LearningSettings.objects.get_or_create(pk=1)
        return LearningSettings.objects.select_for_update().get(pk=1)
    return LearningSettings.objects.filter(pk=1).first() or LearningSettings(pk=1)


def active_model() -> tuple[int, engine.Suggester] | None:
    """The active model, unpickled once per process and version: one indexed query per call."""
    global _loaded
    version = SuggestionModel.objects.filter(is_active=True).values_list("version", flat=True).first()
    if version is None:
        return None
    current = _loaded
    if current is not None and current[0] == version:
        return current
    with _lock:
        if _loaded is None or _loaded[0] != version:
            blob = SuggestionModel.objects.filter(version=version).values_list("blob", flat=True).get()
            _loaded = (version, engine.Suggester.loads(bytes(blob)))
        return _loaded


def forget_loaded_model() -> None:
    """For tests: the next ``active_model`` reads the database again."""
    global _loaded
    _loaded = None


@dataclass(frozen=True)
class Choice:
    value: int
    label: str
    confidence: float
    # What the log form sets to apply it: field name -> value.
    apply: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "label": self.label,
            "confidence": round(self.confidence, 3),
            "apply": self.apply,
        }


def _priority_cell(priority: int) -> dict[str, int]:
    # The impact and urgency a priority is most plainly made of (the diagonal of SPEC §3's matrix).
    impact = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3}[priority]
    return {"impact": impact, "urgency": min(3, priority - impact + 1)}


def _choices(guesses: dict[str, list[engine.Guess]]) -> dict[str, list[Choice]]:
    """Name each guessed value; drop any the viewer must not be offered (inactive rows, and the
    security category and group, which a model never learns but which must never be suggested)."""
    # The active rows come from the per-process configuration cache (``escalation.config_cache``): no
    # query inside a request that has read the configuration's version, as a create has (SPEC §13).
    categories = {
        c.pk: c
        for c in active_categories()
        if c.slug != SECURITY_CATEGORY_SLUG and (c.parent is None or c.parent.slug != SECURITY_CATEGORY_SLUG)
    }
    services = {s.pk: s.name for s in active_services()}
    groups = {g.pk: g.name for g in active_groups() if g.slug != SECURITY_GROUP_SLUG}
    out: dict[str, list[Choice]] = {}
    for name, found in guesses.items():
        rows: list[Choice] = []
        for g in found:
            if name == Field.CATEGORY and g.value in categories:
                c = categories[g.value]
                apply = {"category": c.parent_id, "subcategory": c.pk} if c.parent_id else {"category": c.pk}
                label = f"{c.parent.name} › {c.name}" if c.parent else c.name
                rows.append(Choice(g.value, label, g.confidence, apply))
            elif name == Field.SERVICE and g.value in services:
                rows.append(Choice(g.value, services[g.value], g.confidence, {"service": g.value}))
            elif name == Field.ASSIGNMENT_GROUP and g.value in groups:
                rows.append(Choice(g.value, groups[g.value], g.confidence, {"assignment_group": g.value}))
            elif name == Field.PRIORITY and g.value in PRIORITY_LABELS:
                rows.append(Choice(g.value, PRIORITY_LABELS[g.value], g.confidence, _priority_cell(g.value)))
        out[name] = rows
    return out


def suggestions_for(
    *, access: Access, title: str, description: str = "", channel: str = ""
) -> dict[str, Any]:
    """Suggested category, service, group and priority for a new incident's words, for staff.

    The model learned from no restricted incident (``services.training_examples``), so what it
    says carries nothing of them whoever asks."""
    if not access.is_staff_member:
        return {"model_version": None, "fields": {}}
    title, description = title.strip()[:200], description.strip()[:4000]
    loaded = active_model()
    if loaded is None or not (title or description):
        return {"model_version": loaded[0] if loaded else None, "fields": {}}
    version, model = loaded
    named = _choices(model.suggest(title, description, channel))
    return {
        "model_version": version,
        "fields": {name: [c.as_dict() for c in rows] for name, rows in named.items()},
    }


@dataclass(frozen=True)
class RoutingChoice:
    group_id: int
    confidence: float
    model_version: int


def routing_choice(*, title: str, description: str, channel: str) -> RoutingChoice | None:
    """The group the model names for a new incident, with its confidence and the model's version, or None."""
    loaded = active_model()
    if loaded is None:
        return None
    found = loaded[1].suggest(title, description, channel).get(Field.ASSIGNMENT_GROUP) or []
    return RoutingChoice(found[0].value, found[0].confidence, loaded[0]) if found else None


def model_runs(limit: int = 20) -> list[SuggestionModel]:
    return list(SuggestionModel.objects.defer("blob").select_related("requested_by")[:limit])


def acceptance(*, since: datetime | None = None) -> dict[str, Any]:
    """How often agents kept what was suggested, per field and overall (routed incidents apart)."""
    qs = SuggestionFeedback.objects.filter(routed=False)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    by_field = {
        row["field"]: row
        for row in qs.values("field").annotate(
            total=Count("id"), accepted=Count("id", filter=Q(accepted=True))
        )
    }
    fields = []
    for value, label in Field.choices:
        row = by_field.get(value, {"total": 0, "accepted": 0})
        fields.append(
            {
                "field": value,
                "label": label,
                "total": row["total"],
                "accepted": row["accepted"],
                "overridden": row["total"] - row["accepted"],
                "rate": row["accepted"] / row["total"] if row["total"] else None,
            }
        )
    total = sum(f["total"] for f in fields)
    accepted = sum(f["accepted"] for f in fields)
    routed = SuggestionFeedback.objects.filter(routed=True)
    if since is not None:
        routed = routed.filter(created_at__gte=since)
    return {
        "fields": fields,
        "total": total,
        "accepted": accepted,
        "overridden": total - accepted,
        "rate": accepted / total if total else None,
        "routed": routed.count(),
    }


def model_figures(model: SuggestionModel | None) -> list[dict[str, Any]]:
    """The held-out figures of a model per field, in percent, for the model's page and the bench."""
    if model is None:
        return []
    labels = dict(Field.choices)
    rows = []
    for name, scores in (model.metrics.get("fields") or {}).items():
        rows.append(
            {
                "field": name,
                "label": labels.get(name, name),
                "tested": scores.get("tested", 0),
                **{
                    k: round(100 * scores.get(k, 0), 1)
                    for k in ("top1", "top3", "baseline_top1", "baseline_top3")
                },
            }
        )
    return rows


def recent_spikes(*, days: int = 30) -> list[Any]:
    """The spikes of the last ``days`` days, newest first, with their incidents (incident managers')."""
    from datetime import timedelta

    from django.utils import timezone

    from .models import Spike

    since = timezone.now() - timedelta(days=days)
    return list(
        Spike.objects.filter(started_at__gte=since)
        .select_related("service", "major")
        .prefetch_related("incidents__assignment_group")[:50]
    )
