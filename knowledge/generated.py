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

from django.db import transaction

from escalation.choices import Level, Priority, Tier
from escalation.defaults import BUSINESS_DAY
from escalation.models import EscalationRule, SLAPolicy, SupportGroup
from incidents.models import PriorityMatrixEntry

from .models import Choice, Question, Quiz, Topic

GENERATED_SLUG = "incident-process"


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
    if minutes < 60:
        return f"{minutes} min"
    if not around_the_clock and minutes % BUSINESS_DAY == 0:
        days = minutes // BUSINESS_DAY
        return f"{days} business day{'s' if days != 1 else ''}"
    hours = minutes / 60
    shown = f"{hours:g}"
    return f"{shown} h" if around_the_clock else f"{shown} business hour{'s' if hours != 1 else ''}"


def _shuffled(key: str, choices: list[tuple[str, bool]]) -> tuple[tuple[str, bool], ...]:
    # Deterministic per question, so that the correct answer is not always in the same place.
    rng = random.Random(key)
    out = list(dict(choices).items())
    rng.shuffle(out)
    return tuple(out)


def specs(config: dict | None = None) -> list[Spec]:
    config = config or _config()
    out: list[Spec] = []
    level = dict(Level.choices)
    label = dict(Priority.choices)
    cells: dict[int, list[str]] = {}
    for impact, urgency, priority in config["matrix"]:
        cell = f"impact {level[impact]} × urgency {level[urgency]}"
        cells.setdefault(priority, []).append(cell)
        key = f"matrix:{impact}:{urgency}"
        out.append(
            Spec(
                key=key,
                topic=Topic.PRIORITIES,
                kind=Question.Kind.SINGLE,
                text=f"An incident has impact {level[impact]} and urgency {level[urgency]}. "
                "What priority does it get?",
                explanation=f"The priority matrix maps {cell} to {label[priority]}.",
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
                text=f"Which combinations give {label[priority]}? Choose every one that does.",
                explanation=f"{label[priority]} comes from: {'; '.join(mine)}.",
                choices=_shuffled(key, [(c, True) for c in mine] + [(c, False) for c in others]),
            )
        )
    policy = config["policy"]
    targets = config["targets"]
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
                    text=f"Under the “{policy}” SLA policy, what is the {what} target "
                    f"of a {label[priority]} incident?",
                    explanation=f"The {what} target of {label[priority]} is {shown[priority]}"
                    f" on the {t[4]} calendar.",
                    choices=_shuffled(key, options[:5]),
                )
            )
    tiers = dict(Tier.choices)
    for slug, name, tier in config["groups"]:
        key = f"tier:{slug}"
        out.append(
            Spec(
                key=key,
                topic=Topic.REGISTER,
                kind=Question.Kind.SINGLE,
                text=f"In the escalation register, which tier does {name} belong to?",
                explanation=f"{name} is in {tiers.get(tier, tier)}.",
                choices=tuple((tiers[t], t == tier) for t in Tier.values),
            )
        )
    group_names = [g[1] for g in config["groups"]]
    for slug, name, priority, from_tier, from_group, after, to_group in config["rules"]:
        key = f"rule:{slug}"
        source = from_group or tiers.get(from_tier, f"tier {from_tier}")
        what = label[priority] if priority else "An"
        options = [(to_group, True), *[(g, False) for g in group_names if g != to_group][:3]]
        out.append(
            Spec(
                key=key,
                topic=Topic.WHEN_TO_ESCALATE,
                kind=Question.Kind.SINGLE,
                text=f"{what} incident has stayed unresolved with {source} for {after} business minutes. "
                "Where does the escalation rule send it?",
                explanation=f"The rule “{name}” moves it to {to_group} after {after} minutes.",
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
    for spec in specs(config):
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
            "title": "The incident process: priorities, SLAs and escalation",
            "description": "Built from this service desk's own priority matrix, SLA targets and "
            "escalation register: when they change, the questions follow.",
            "mode": Quiz.Mode.FIXED,
            "is_generated": True,
            "is_current": current and not Quiz.objects.filter(is_current=True).exists(),
        },
    )
    generated_quiz_sync(quiz)
    return quiz
