"""Reads on behalf of a person: sessions, who came, and what a session talked about, each through
the visibility rule of its kind (incidents through ``incidents.selectors``, articles through
``knowledge.selectors``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from escalation.access import Access
from escalation.choices import Role
from escalation.models import Membership
from incidents.selectors import incidents_visible_to
from knowledge.selectors import articles_visible_to

from . import training
from .models import Decision, Invitee, Session, TrainingPlan


def can_schedule(access: Access) -> bool:
    """Incident managers and managers (and administrators) schedule sessions and record them."""
    return access.is_manager or Role.ADMINISTRATOR in access.roles


def can_see_sessions(access: Access) -> bool:
    return access.is_staff_member


def sessions_for(access: Access) -> QuerySet[Session]:
    """Every session for those who schedule them; the ones a person is invited to for the others."""
    if not can_see_sessions(access):
        return Session.objects.none()
    qs = Session.objects.select_related("organiser")
    if can_schedule(access):
        return qs
    if access.user_id is None:
        return Session.objects.none()
    return qs.filter(invitees__user_id=access.user_id)


def session_get(*, access: Access, pk: int) -> Session:
    session = sessions_for(access).filter(pk=pk).first()
    if session is None:
        raise Http404(_("No such session."))
    return session


def session_incidents(*, access: Access, session: Session) -> QuerySet[Any]:
    """The incidents a session talked about that this person may read (restricted ones stay hidden)."""
    ids = session.incidents.values("pk")
    return incidents_visible_to(access).filter(pk__in=ids).order_by("number")


def session_articles(*, access: Access, session: Session) -> QuerySet[Any]:
    ids = session.articles.values("pk")
    return articles_visible_to(access).filter(pk__in=ids).order_by("number")


def session_invitees(session: Session) -> list[Invitee]:
    return list(session.invitees.select_related("user"))


def session_decisions(session: Session) -> list[Decision]:
    return list(session.decisions.select_related("action", "action__owner"))


def sessions_attended(*, access: Access, user_id: int) -> QuerySet[Session]:
    """The sessions a person attended, for their own page (or a manager reading it)."""
    if access.user_id != user_id and not can_schedule(access):
        return Session.objects.none()
    return Session.objects.filter(invitees__user_id=user_id, invitees__attended=True).order_by("-starts_at")


def sessions_coming(*, access: Access) -> QuerySet[Session]:
    return sessions_for(access).filter(starts_at__gte=timezone.now()).order_by("starts_at")


def month_sessions(month_first_day: Any) -> QuerySet[Session]:
    return (
        Session.objects.filter(months__month=month_first_day)
        .prefetch_related(
            Prefetch("decisions", queryset=Decision.objects.select_related("action", "action__owner"))
        )
        .order_by("starts_at")
    )


def month_sessions_section(*, access: Access, month: Any) -> SafeString:
    """The month's report page: the review seminars that went over it and their decisions."""
    if not can_schedule(access):
        return mark_safe("")
    return mark_safe(  # noqa: S308 - a rendered template, escaped by the engine
        render_to_string(
            "meetings/_month_sessions.html",
            {"sessions": list(month_sessions(month.first_day)), "month": month},
        )
    )


# --- training ------------------------------------------------------------------------------------


def can_assign_training(access: Access) -> bool:
    """Incident managers assign training (managers and administrators too)."""
    return can_schedule(access)


def training_plans_for(access: Access) -> QuerySet[TrainingPlan]:
    """The plans whose completion a person may read: all for incident managers and managers, those
    of the groups they lead for team leads, none otherwise."""
    qs = TrainingPlan.objects.select_related("group")
    if can_assign_training(access):
        return qs
    if not access.is_group_lead or access.user_id is None:
        return qs.none()
    led = Membership.objects.filter(user_id=access.user_id, is_lead=True).values("group_id")
    return qs.filter(group_id__in=led)


def training_plan_get(*, access: Access, pk: int) -> TrainingPlan:
    plan = training_plans_for(access).filter(pk=pk).first()
    if plan is None:
        raise Http404(_("No such training plan."))
    return plan


def my_training(access: Access) -> list[training.Due]:
    if access.user_id is None:
        return []
    return training.dues_of(user_id=access.user_id, roles=access.roles)


def escalation_training_notes(*, group_ids: Any) -> dict[int, str]:
    """The escalation register: per group, how many members completed the escalation-process training."""
    counts = training.escalation_training_by_group()
    return {
        gid: _("%(done)s of %(members)s members completed the escalation-process training")
        % {"done": done, "members": members}
        for gid, (done, members) in counts.items()
        if gid in set(group_ids)
    }
