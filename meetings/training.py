"""Who must do which training by when, and what is done: plain reads, computed for many people at
once (a few queries per page, not per person). Permission checks are in ``selectors``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from escalation.models import Membership
from knowledge.models import Attempt

from .models import ArticleRead, Invitee, TrainingItem, TrainingPlan


@dataclass(frozen=True)
class Due:
    """One item for one person: by when, and whether it is done."""

    item: TrainingItem
    user_id: int
    due_on: date
    done: bool

    @property
    def overdue(self) -> bool:
        return not self.done and self.due_on < timezone.localdate()


def plan_people(plan: TrainingPlan) -> dict[int, date | None]:
    """The people a plan is for, with the day they joined its group (None for a role's plan)."""
    if plan.group_id is not None:
        rows = Membership.objects.filter(group_id=plan.group_id, user__is_active=True)
        return {m.user_id: timezone.localdate(m.joined_at) for m in rows}
    users = get_user_model().objects.filter(is_active=True, groups__name=plan.role)
    return dict.fromkeys(users.values_list("pk", flat=True))


def due_date(item: TrainingItem, joined: date | None) -> date:
    """The item's date; someone who joined the group later inherits it with ``newcomer_days`` to do it."""
    if joined is None:
        return item.due_on
    return max(item.due_on, joined + timedelta(days=item.plan.newcomer_days))


def completed(items: Iterable[TrainingItem], user_ids: Iterable[int]) -> set[tuple[int, int]]:
    """(item id, user id) of every item done: a quiz passed, an article read, a session attended."""
    items, user_ids = list(items), list(user_ids)
    done: set[tuple[int, int]] = set()
    if not items or not user_ids:
        return done
    quiz_items = defaultdict(list)
    for item in items:
        if item.kind == TrainingItem.Kind.QUIZ:
            quiz_items[item.quiz_id].append(item)
    if quiz_items:
        attempts = Attempt.objects.filter(
            quiz_id__in=list(quiz_items), user_id__in=user_ids, submitted_at__isnull=False, max_score__gt=0
        ).values_list("quiz_id", "user_id", "score", "max_score")
        for quiz_id, user_id, score, max_score in attempts:
            for item in quiz_items[quiz_id]:
                if score * 100 >= item.pass_percent * max_score:
                    done.add((item.pk, user_id))
    reads = ArticleRead.objects.filter(item__in=items, user_id__in=user_ids).values_list("item_id", "user_id")
    done.update(reads)
    session_items = defaultdict(list)
    for item in items:
        if item.kind == TrainingItem.Kind.SESSION:
            session_items[item.session_id].append(item)
    if session_items:
        attended = Invitee.objects.filter(
            session_id__in=list(session_items), user_id__in=user_ids, attended=True
        ).values_list("session_id", "user_id")
        for session_id, user_id in attended:
            done.update((item.pk, user_id) for item in session_items[session_id])
    return done


def _items(plans: Iterable[TrainingPlan]) -> list[TrainingItem]:
    return list(
        TrainingItem.objects.filter(plan__in=list(plans)).select_related("plan", "quiz", "article", "session")
    )


def plans_of(*, user_id: int, roles: Iterable[str]) -> list[TrainingPlan]:
    groups = Membership.objects.filter(user_id=user_id).values("group_id")
    return list(TrainingPlan.objects.filter(Q(group_id__in=groups) | Q(role__in=list(roles))))


def dues_of(*, user_id: int, roles: Iterable[str]) -> list[Due]:
    """What one person must do, soonest first."""
    plans = plans_of(user_id=user_id, roles=roles)
    joined = {m.group_id: timezone.localdate(m.joined_at) for m in Membership.objects.filter(user_id=user_id)}
    items = _items(plans)
    done = completed(items, [user_id])
    out = [
        Due(
            item=item,
            user_id=user_id,
            due_on=due_date(item, joined.get(item.plan.group_id) if item.plan.group_id else None),
            done=(item.pk, user_id) in done,
        )
        for item in items
    ]
    return sorted(out, key=lambda d: (d.done, d.due_on, d.item.pk))


@dataclass(frozen=True)
class PersonProgress:
    user: Any
    dues: list[Due]

    @property
    def done(self) -> int:
        return sum(d.done for d in self.dues)

    @property
    def overdue(self) -> int:
        return sum(d.overdue for d in self.dues)

    @property
    def complete(self) -> bool:
        return self.done == len(self.dues)


def plan_progress(plan: TrainingPlan) -> list[PersonProgress]:
    """Completion of a plan by person."""
    people = plan_people(plan)
    items = _items([plan])
    done = completed(items, people)
    users = get_user_model().objects.filter(pk__in=list(people)).order_by("username")
    return [
        PersonProgress(
            user=u,
            dues=[
                Due(item=i, user_id=u.pk, due_on=due_date(i, people[u.pk]), done=(i.pk, u.pk) in done)
                for i in items
            ],
        )
        for u in users
    ]


def escalation_training_by_group() -> dict[int, tuple[int, int]]:
    """Per group with an escalation-process plan: (members who completed it, members)."""
    out: dict[int, tuple[int, int]] = {}
    plans = TrainingPlan.objects.filter(is_escalation_process=True, group__isnull=False)
    by_group: dict[int, list[TrainingPlan]] = defaultdict(list)
    for plan in plans:
        assert plan.group_id is not None
        by_group[plan.group_id].append(plan)
    for group_id, group_plans in by_group.items():
        members = list(
            Membership.objects.filter(group_id=group_id, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
        items = _items(group_plans)
        done = completed(items, members)
        complete = sum(all((i.pk, uid) in done for i in items) for uid in members)
        out[group_id] = (complete, len(members))
    return out


def reminders_wanted(*, today: date, days_before: int) -> list[tuple[TrainingItem, int, date]]:
    """(item, user id, due date) of every item not done that falls due within ``days_before``."""
    horizon = today + timedelta(days=days_before)
    wanted = []
    # Every plan: a newcomer's date follows their joining, not the item's.
    for plan in TrainingPlan.objects.all():
        people = plan_people(plan)
        items = _items([plan])
        done = completed(items, people)
        for item in items:
            for user_id, joined in people.items():
                due = due_date(item, joined)
                if today <= due <= horizon and (item.pk, user_id) not in done:
                    wanted.append((item, user_id, due))
    return wanted
