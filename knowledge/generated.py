"""Quiz questions generated from the product's own configuration (SPEC §3-§6).

The priority matrix, the default SLA policy's targets, the escalation register's tiers and the
functional escalation rules each give questions. Their correct answers are read from the
configuration, so when the incident manager changes it the questions follow: every read of a
generated quiz compares a fingerprint of the configuration with the one its questions were built
from, and rebuilds them when it differs (``generated_quiz_sync``). Past attempts keep the feedback
frozen at their submission.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from escalation.choices import Level, Priority, Tier
from escalation.defaults import BUSINESS_DAY
from escalation.models import EscalationRule, SLAPolicy, SupportGroup
from incidents.models import PriorityMatrixEntry

from .models import Choice, Question, Quiz, Topic

GENERATED_SLUG = "incident-process"
# Stored in English, shown in the reader's language (``Quiz.shown_title``): marked here for the catalogues.
GENERATED_TITLE = gettext_noop("The incident process: priorities, SLAs and escalation")
GENERATED_DESCRIPTION = gettext_noop(
    "Built from this service desk's own priority matrix, SLA targets and escalation register: when they "
    "change, the questions follow."
)


@dataclass(frozen=True)
class Spec:
    key: str
    topic: str
    kind: str
    text: str
    explanation: str
    choices: tuple[tuple[str, bool], ...]


def _config() -> dict:
    policy = SLAPolicy.objects.filter(is_default=True).select_related("calendar").first()
    targets = []
    if policy is not None:
        for t in policy.targets.select_related("calendar").order_by("priority"):
            calendar = t.calendar or policy.calendar
            targets.append(
                (t.priority, t.response_minutes, t.resolution_minutes, calendar.is_24x7, calendar.name)
            )
    return {
        "matrix": list(
            PriorityMatrixEntry.objects.order_by("impact", "urgency").values_list(
                "impact", "urgency", "priority"
            )
        ),
        "policy": policy.name if policy else "",
        "targets": targets,
        "groups": list(
            SupportGroup.objects.filter(is_active=True, kind="support")
            .order_by("slug")
            .values_list("slug", "name", "tier")
        ),
        "rules": [
            (
                r.slug,
                r.name,
                r.priority,
                r.from_tier,
                r.from_group.name if r.from_group else "",
                r.after_minutes,
                r.to_group.name,
            )
            for r in EscalationRule.objects.filter(is_active=True)
            .select_related("from_group", "to_group")
            .order_by("slug")
        ],
    }


def config_fingerprint(config: dict | None = None) -> str:
    return hashlib.sha256(json.dumps(config or _config(), sort_keys=True, default=str).encode()).hexdigest()


def duration(minutes: int, around_the_clock: bool) -> str:
    """A target's length in the active language ("15 min", "4 h", "3 business days")."""
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    if not around_the_clock and minutes % BUSINESS_DAY == 0:
        days = minutes // BUSINESS_DAY
        return ngettext("%(days)s business day", "%(days)s business days", days) % {"days": days}
    hours = minutes / 60
    shown = f"{hours:g}"
    if around_the_clock:
        return _("%(hours)s h") % {"hours": shown}
    count = int(hours) if hours.is_integer() else 2  # a fraction of an hour reads as a plural
    return ngettext("%(hours)s business hour", "%(hours)s business hours", count) % {"hours": shown}


def _shuffled(key: str, choices: list[tuple[str, bool]]) -> tuple[tuple[str, bool], ...]:
    # Deterministic per question, so that the correct answer is not always in the same place.
    rng = random.Random(key)
    out = list(dict(choices).items())
    rng.shuffle(out)
    return tuple(out)


def specs(config: dict | None = None) -> list[Spec]:
    config = config or _config()
    out: list[Spec] = []
    level = {value: str(text) for value, text in Level.choices}
    label = {value: str(text) for value, text in Priority.choices}
    cells: dict[int, list[str]] = {}
    for impact, urgency, priority in config["matrix"]:
        cell = _("impact %(impact)s × urgency %(urgency)s") % {
            "impact": level[impact],
            "urgency": level[urgency],
        }
        cells.setdefault(priority, []).append(cell)
        key = f"matrix:{impact}:{urgency}"
        out.append(
            Spec(
                key=key,
                topic=Topic.PRIORITIES,
                kind=Question.Kind.SINGLE,
                text=_(
                    "An incident has impact %(impact)s and urgency %(urgency)s. What priority does it get?"
                )
                % {"impact": level[impact], "urgency": level[urgency]},
                explanation=_("The priority matrix maps %(cell)s to %(priority)s.")
                % {"cell": cell, "priority": label[priority]},
                choices=_shuffled(key, [(label[p], p == priority) for p in Priority.values]),
            )
        )
    all_cells = [c for p in sorted(cells) for c in cells[p]]
    for priority, mine in sorted(cells.items()):
        if len(mine) < 2:
            continue
        key = f"matrix-any:{priority}"
        others = [c for c in all_cells if c not in mine][:3]
        out.append(
            Spec(
                key=key,
                topic=Topic.PRIORITIES,
                kind=Question.Kind.MULTIPLE,
                text=_("Which combinations give %(priority)s? Choose every one that does.")
                % {"priority": label[priority]},
                explanation=_("%(priority)s comes from: %(cells)s.")
                % {"priority": label[priority], "cells": "; ".join(mine)},
                choices=_shuffled(key, [(c, True) for c in mine] + [(c, False) for c in others]),
            )
        )
    policy = config["policy"]
    targets = config["targets"]
    asked = {
        "response": _(
            "Under the “%(policy)s” SLA policy, what is the response target of a %(priority)s incident?"
        ),
        "resolution": _(
            "Under the “%(policy)s” SLA policy, what is the resolution target of a %(priority)s incident?"
        ),
    }
    told = {
        "response": _("The response target of %(priority)s is %(duration)s on the %(calendar)s calendar."),
        "resolution": _(
            "The resolution target of %(priority)s is %(duration)s on the %(calendar)s calendar."
        ),
    }
    for index, what in ((1, "response"), (2, "resolution")):
        shown = {t[0]: duration(t[index], t[3]) for t in targets}
        for t in targets:
            priority = t[0]
            key = f"sla:{what}:{priority}"
            options = [(shown[priority], True), *[(v, False) for v in shown.values() if v != shown[priority]]]
            out.append(
                Spec(
                    key=key,
                    topic=Topic.SLA,
                    kind=Question.Kind.SINGLE,
                    text=asked[what] % {"policy": policy, "priority": label[priority]},
                    explanation=told[what]
                    % {"priority": label[priority], "duration": shown[priority], "calendar": t[4]},
                    choices=_shuffled(key, options[:5]),
                )
            )
    tiers = {value: str(text) for value, text in Tier.choices}
    for slug, name, tier in config["groups"]:
        key = f"tier:{slug}"
        out.append(
            Spec(
                key=key,
                topic=Topic.REGISTER,
                kind=Question.Kind.SINGLE,
                text=_("In the escalation register, which tier does %(name)s belong to?") % {"name": name},
                explanation=_("%(name)s is in %(tier)s.") % {"name": name, "tier": tiers.get(tier, tier)},
                choices=tuple((tiers[t], t == tier) for t in Tier.values),
            )
        )
    group_names = [g[1] for g in config["groups"]]
    for slug, name, priority, from_tier, from_group, after, to_group in config["rules"]:
        key = f"rule:{slug}"
        source = from_group or tiers.get(from_tier, _("tier %(tier)s") % {"tier": from_tier})
        options = [(to_group, True), *[(g, False) for g in group_names if g != to_group][:3]]
        facts = {"priority": label[priority] if priority else "", "source": source, "minutes": after}
        text = (
            _(
                "%(priority)s incident has stayed unresolved with %(source)s for %(minutes)s business "
                "minutes. Where does the escalation rule send it?"
            )
            if priority
            else _(
                "An incident has stayed unresolved with %(source)s for %(minutes)s business minutes. "
                "Where does the escalation rule send it?"
            )
        )
        out.append(
            Spec(
                key=key,
                topic=Topic.WHEN_TO_ESCALATE,
                kind=Question.Kind.SINGLE,
                text=text % facts,
                explanation=_("The rule “%(name)s” moves it to %(group)s after %(minutes)s minutes.")
                % {"name": name, "group": to_group, "minutes": after},
                choices=_shuffled(key, options),
            )
        )
    return out


@transaction.atomic
def _rebuild(quiz: Quiz, config: dict, fingerprint: str) -> None:
    # Two readers noticing the change at once: the second waits here, then finds nothing to do.
    if Quiz.objects.select_for_update().get(pk=quiz.pk).config_fingerprint == fingerprint:
        quiz.config_fingerprint = fingerprint
        return
    keep: list[int] = []
    # Stored in the organisation's language; each reader sees them in theirs (``shown_in_language``).
    with translation.override(settings.LANGUAGE_CODE):
        built = specs(config)
    for spec in built:
        question, _ = Question.objects.update_or_create(
            generated_key=spec.key,
            defaults={
                "topic": spec.topic,
                "kind": spec.kind,
                "text": spec.text,
                "explanation": spec.explanation,
                "is_active": True,
            },
        )
        question.choices.all().delete()
        Choice.objects.bulk_create(
            Choice(question=question, text=text[:300], is_correct=correct, position=i)
            for i, (text, correct) in enumerate(spec.choices)
        )
        keep.append(question.pk)
    Question.objects.exclude(generated_key="").exclude(pk__in=keep).update(is_active=False)
    quiz.questions.set(keep)
    Quiz.objects.filter(pk=quiz.pk).update(config_fingerprint=fingerprint)
    quiz.config_fingerprint = fingerprint


def generated_quiz_sync(quiz: Quiz) -> bool:
    """Rebuild a generated quiz's questions if the configuration changed since; True if it did."""
    if not quiz.is_generated:
        return False
    config = _config()
    fingerprint = config_fingerprint(config)
    if quiz.config_fingerprint == fingerprint:
        return False
    _rebuild(quiz, config, fingerprint)
    return True


def generated_quiz_ensure(*, current: bool = False) -> Quiz:
    quiz, _ = Quiz.objects.get_or_create(
        slug=GENERATED_SLUG,
        defaults={
            "title": GENERATED_TITLE,
            "description": GENERATED_DESCRIPTION,
            "mode": Quiz.Mode.FIXED,
            "is_generated": True,
            "is_current": current and not Quiz.objects.filter(is_current=True).exists(),
        },
    )
    generated_quiz_sync(quiz)
    return quiz


@dataclass(frozen=True)
class Shown:
    """A generated question as the reader reads it: its text, explanation and choices (by id)."""

    text: str
    explanation: str
    choices: dict[int, str]


def shown_in_language(questions: list[Question]) -> dict[int, Shown]:
    """The generated questions among ``questions`` in the active language, by question id.

    Their stored text is the organisation's language; the wording is built again from today's
    configuration (the questions follow it: ``generated_quiz_sync``) and matched choice by choice in
    their stored order. A question the configuration no longer gives keeps its stored text.
    """
    generated = [q for q in questions if q.generated_key]
    if not generated:
        return {}
    by_key = {spec.key: spec for spec in specs()}
    out: dict[int, Shown] = {}
    for question in generated:
        spec = by_key.get(question.generated_key)
        if spec is None:
            continue
        stored = list(question.choices.all())
        if len(stored) != len(spec.choices) or any(
            c.is_correct != correct for c, (_text, correct) in zip(stored, spec.choices, strict=True)
        ):
            continue
        out[question.pk] = Shown(
            text=spec.text,
            explanation=spec.explanation,
            choices={c.pk: text[:300] for c, (text, _correct) in zip(stored, spec.choices, strict=True)},
        )
    return out
