"""Demo data for the sessions (issue 26): a past review seminar over the last monthly report, with
attendance, minutes and decisions tracked as review actions, and a coming knowledge-sharing session."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from core import queueing
from escalation.models import Membership, SupportGroup
from knowledge.models import Article, Quiz
from meetings.models import ArticleRead, Invitee, Session
from meetings.services import (
    ItemSpec,
    attendance_record,
    decision_add,
    minutes_save,
    session_schedule,
    training_plan_create,
)
from reporting.models import MonthlyReport
from reporting.periods import Month

MINUTES = """\
**Present:** quality management, the incident manager and the team leads.

- P3 resolution slipped in the network team while two people were on leave.
- First-contact resolution at tier 1 is steady; the VPN reconnect fault is the top repeat.

Next review: the first week of next month.
"""


def _at(days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def load_meetings_demo() -> int:
    """Returns how many sessions it made (none if the demo has no report or sessions already)."""
    User = get_user_model()
    people = {
        u.username: u for u in User.objects.filter(username__in=["incidentmgr", "manager", "netops", "tech"])
    }
    report = MonthlyReport.objects.order_by("-month").first()
    if Session.objects.exists() or report is None or len(people) < 4:
        return 0
    organiser, manager = people["incidentmgr"], people["manager"]
    with queueing.muted():  # the demo's invitations belong to the past: nobody is mailed
        review = session_schedule(
            actor=organiser,
            kind=Session.Kind.REVIEW,
            title=f"Review seminar: {Month.of(report.month).label}",
            starts_at=_at(-3, 10),
            duration_minutes=90,
            location="Meeting room 2",
            agenda="1. SLA compliance by priority\n2. Repeat incidents\n3. Actions from last month",
            months=[Month.of(report.month)],
            users=[manager, people["netops"], people["tech"]],
        )
        attendance_record(
            actor=organiser, session=review, attended_user_ids=[organiser.pk, manager.pk, people["netops"].pk]
        )
        minutes_save(actor=organiser, session=review, minutes=MINUTES)
        decision_add(
            actor=organiser,
            session=review,
            text="Cover the network team's leave with a second on-call person",
            owner=manager,
            due_date=timezone.localdate() + timedelta(days=10),
        )
        decision_add(
            actor=organiser,
            session=review,
            text="Write up the VPN reconnect workaround for tier 1",
            owner=people["netops"],
            due_date=timezone.localdate() - timedelta(days=1),
        )
        decision_add(actor=organiser, session=review, text="Keep the review monthly, in the first week")
        articles = list(Article.objects.filter(status="published").order_by("number")[:2])
        sharing = session_schedule(
            actor=organiser,
            kind=Session.Kind.SHARING,
            title="Knowledge sharing: network faults",
            starts_at=_at(4, 14),
            location="Video call",
            topic="What the network team learnt this month",
            agenda="Walk through the articles, then questions from tier 1.",
            articles=articles,
            groups=SupportGroup.objects.filter(slug__in=["service-desk", "network"]),
        )
    Invitee.objects.filter(session__in=[review, sharing]).update(mailed_sequence=0, mailed_at=timezone.now())
    _training(organiser, sharing, articles)
    return 2


def _training(organiser: object, sharing: Session, articles: list[Article]) -> None:
    """The escalation-process training of three groups, part-done: the process quiz (passed by
    some in the demo's history), an article to read, and for the network the coming session."""
    quiz = Quiz.objects.filter(is_generated=True).first() or Quiz.objects.first()
    if quiz is None:
        return
    soon = timezone.localdate() + timedelta(days=10)
    for slug in ("service-desk", "technical-support", "network"):
        group = SupportGroup.objects.filter(slug=slug).first()
        if group is None:
            continue
        items = [ItemSpec("quiz", quiz, soon, pass_percent=70)]
        items += [ItemSpec("article", a, soon) for a in articles[:1]]
        if slug == "network":
            items.append(ItemSpec("session", sharing, timezone.localdate(sharing.starts_at)))
        plan = training_plan_create(
            actor=organiser,
            title=f"Escalation process: {group.name}",
            group=group,
            items=items,
            is_escalation_process=True,
        )
        # Members of long standing (no newcomer's grace), one of whom has read the article.
        Membership.objects.filter(group=group).update(joined_at=timezone.now() - timedelta(days=120))
        reader = Membership.objects.filter(group=group).order_by("user__username").first()
        article_item = plan.items.filter(kind="article").first()
        if reader and article_item:
            ArticleRead.objects.get_or_create(item=article_item, user_id=reader.user_id)
