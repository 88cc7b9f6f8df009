"""Every write of the learning app: training a model, the routing settings, agents' feedback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.access import access_for
from escalation.defaults import SERVICE_DESK_SLUG
from incidents.models import Channel, Incident, IncidentEvent, Status
from incidents.permissions import RESTRICTED, is_restricted

from . import engine
from .models import Field, LearningSettings, SuggestionFeedback, SuggestionModel
from .selectors import active_model, learning_settings

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The outcome of these incidents is known: their category, service, group and priority are final.
LEARNED_STATUSES = (Status.RESOLVED, Status.CLOSED)
# An incident where the agent overrode a suggestion counts this much more in the next training.
OVERRIDE_WEIGHT = 2.0
# Mail and portal incidents are the ones a router may place; an agent chooses for the others.
ROUTED_CHANNELS = (Channel.EMAIL, Channel.PORTAL)


def training_examples(*, until: datetime | None = None) -> Iterator[engine.Example]:
    """Resolved and closed incidents, oldest first, never a restricted (security) one: what the
    model learns is shown to every agent, so it must not learn what only some may read. The newest
    ``LEARNING_MAX_EXAMPLES`` of them: what the desk does now, in a bounded time and memory."""
    overridden = set(
        SuggestionFeedback.objects.filter(accepted=False, routed=False).values_list("incident_id", flat=True)
    )
    qs = Incident.objects.filter(status__in=LEARNED_STATUSES).exclude(RESTRICTED)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    limit = settings.LEARNING_MAX_EXAMPLES
    if limit:  # the newest ``limit``: where the window starts, found once by the creation-time index
        start = list(qs.order_by("-created_at", "-pk").values_list("created_at", "pk")[limit - 1 : limit])
        if start:
            at, pk = start[0]
            qs = qs.filter(Q(created_at__gt=at) | Q(created_at=at, pk__gte=pk))
    rows = (
        qs.annotate(text=Substr("description", 1, 2000))
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "title",
            "text",
            "channel",
            "created_at",
            "category_id",
            "subcategory_id",
            "service_id",
            "assignment_group_id",
            "priority",
        )
    )
    for pk, title, text, channel, created, category, sub, service, group, priority in rows.iterator(
        chunk_size=5000
    ):
        yield engine.Example(
            title=title,
            description=text,
            channel=channel,
            created_at=timezone.localtime(created),
            labels={
                Field.CATEGORY: sub or category,
                Field.SERVICE: service,
                Field.ASSIGNMENT_GROUP: group,
                Field.PRIORITY: priority,
            },
            weight=OVERRIDE_WEIGHT if pk in overridden else 1.0,
        )


def model_train(*, actor: User | None = None, now: datetime | None = None) -> SuggestionModel:
    """Train, judge on the last month, and keep the new model only if it is at least as good as the
    active one (by their held-out mean top-1 accuracy); either way the run is recorded.

    Training runs outside any transaction (minutes at a million incidents); only the final
    bookkeeping is one short transaction."""
    if actor is not None and not access_for(actor).is_incident_manager:
        raise ValidationError(_("Only an incident manager or an administrator retrains the model."))
    now = now or timezone.now()
    started = time.monotonic()
    examples = list(training_examples())
    if len(examples) < engine.MIN_TRAIN:
        raise ValidationError(
            _("Too little history to learn from: %(n)s resolved incidents, at least %(min)s needed.")
            % {"n": len(examples), "min": engine.MIN_TRAIN}
        )
    model, evaluation = engine.train(examples)
    blob = model.dumps()
    duration = time.monotonic() - started
    return _model_record(
        actor=actor, now=now, blob=blob, evaluation=evaluation, data_size=len(examples), duration=duration
    )


@transaction.atomic
def _model_record(
    *,
    actor: User | None,
    now: datetime,
    blob: bytes,
    evaluation: engine.Evaluation,
    data_size: int,
    duration: float,
) -> SuggestionModel:
    # Lock the active row so that two trainings finishing together decide one after the other.
    current = SuggestionModel.objects.select_for_update().filter(is_active=True).first()
    version = (SuggestionModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    score = evaluation.score
    if current is None:
        keep, decision = True, _("First model.")
    elif score >= current.score:
        keep = True
        decision = _("Replaces v%(v)s: held-out accuracy %(new).1f %% ≥ %(old).1f %%.") % {
            "v": current.version,
            "new": score * 100,
            "old": current.score * 100,
        }
    else:
        keep = False
        decision = _("Kept v%(v)s: held-out accuracy %(new).1f %% < %(old).1f %%.") % {
            "v": current.version,
            "new": score * 100,
            "old": current.score * 100,
        }
    if keep and current is not None:
        SuggestionModel.objects.filter(pk=current.pk).update(is_active=False)
    return SuggestionModel.objects.create(
        version=version,
        trained_at=now,
        duration_seconds=round(duration, 3),
        data_size=data_size,
        metrics=evaluation.as_dict(),
        score=score,
        is_active=keep,
        decision=decision,
        requested_by=actor,
        blob=blob,
    )


@transaction.atomic
def settings_update(*, actor: User, routing_enabled: bool, routing_threshold: float) -> LearningSettings:
    if not access_for(actor).is_incident_manager:
        raise ValidationError(_("Only an incident manager sets the routing threshold."))
    if not 0.5 <= routing_threshold <= 1.0:
        raise ValidationError({"routing_threshold": _("Choose a confidence between 0.5 and 1.")})
    row = learning_settings(for_update=True)
    row.routing_enabled = routing_enabled
    row.routing_threshold = routing_threshold
    row.updated_at = timezone.now()
    row.updated_by = actor
    row.save()
    return row


def chosen_values(incident: Incident) -> dict[str, int | None]:
    return {
        Field.CATEGORY: incident.subcategory_id or incident.category_id,
        Field.SERVICE: incident.service_id,
        Field.ASSIGNMENT_GROUP: incident.assignment_group_id,
        Field.PRIORITY: incident.priority,
    }


def on_incident_created(event: IncidentEvent) -> None:
    """The event hook's subscriber: record, for each field the incident was logged with, whether it
    is what the active model suggests for its words. Idempotent (one row per incident and field)."""
    incident = Incident.objects.select_related("assignment_group", "category").get(pk=event.incident_id)
    if is_restricted(incident):
        return
    loaded = active_model()
    if loaded is None:
        return
    version, model = loaded
    settings_row = learning_settings()
    guesses = model.suggest(incident.title, incident.description, incident.channel)
    chosen = chosen_values(incident)
    rows = []
    for name, value in chosen.items():
        top = guesses.get(name) or []
        if value is None or not top:
            continue
        routed = (
            name == Field.ASSIGNMENT_GROUP
            and incident.channel in ROUTED_CHANNELS
            and settings_row.routing_enabled
            and top[0].confidence >= settings_row.routing_threshold
            and top[0].value == value
        )
        if (
            name == Field.ASSIGNMENT_GROUP
            and not routed
            and incident.assignment_group.slug == SERVICE_DESK_SLUG
        ):
            continue  # the default owner, not a choice anyone made
        rows.append(
            SuggestionFeedback(
                incident=incident,
                field=name,
                suggested=top[0].value,
                confidence=round(top[0].confidence, 4),
                chosen=value,
                accepted=top[0].value == value,
                routed=routed,
                model_version=version,
                created_at=incident.created_at,
            )
        )
    SuggestionFeedback.objects.bulk_create(rows, ignore_conflicts=True)
