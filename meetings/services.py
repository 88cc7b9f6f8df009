"""Every write of the sessions: schedule, invite (mail claimed, committed, sent, then marked), take
attendance, keep minutes, and turn decisions into review actions (``reporting``'s, the same kind
of action the monthly review tracks)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.queueing import enqueue_on_commit
from escalation.access import access_for
from escalation.models import Membership, SupportGroup
from incidents.selectors import incidents_visible_to
from knowledge.selectors import articles_visible_to
from reporting.models import ReviewAction
from reporting.periods import Month
from reporting.services import review_action_add

from . import selectors, training
from .models import (
    ArticleRead,
    Decision,
    Invitee,
    Session,
    SessionMonth,
    TrainingItem,
    TrainingPlan,
    TrainingReminder,
)

INVITATION_SEND_TASK = "meetings.tasks.invitation_send_task"
MINUTES_MAX_LENGTH = 50_000
# How long a sender's claim on an invitation holds: another worker may send it after that.
CLAIM_FOR = timedelta(minutes=10)


def _check_organiser(actor: Any) -> None:
    if not selectors.can_schedule(access_for(actor)):
        raise PermissionDenied(_("Sessions are scheduled by incident managers and managers."))


def _people(users: Iterable[Any], groups: Iterable[SupportGroup]) -> dict[int, Any]:
    """The invitees: the people named, and every member of the groups named (active accounts)."""
    people = {u.pk: u for u in users if u.is_active}
    members = Membership.objects.filter(group__in=list(groups), user__is_active=True).select_related("user")
    for m in members:
        people.setdefault(m.user_id, m.user)
    return people


@transaction.atomic
def session_schedule(
    *,
    actor: Any,
    kind: str,
    title: str,
    starts_at: datetime,
    duration_minutes: int = 60,
    location: str = "",
    agenda: str = "",
    topic: str = "",
    months: Iterable[Month] = (),
    articles: Iterable[Any] = (),
    incidents: Iterable[Any] = (),
    users: Iterable[Any] = (),
    groups: Iterable[SupportGroup] = (),
) -> Session:
    """Schedule a session and queue one invitation per invitee, after commit."""
    _check_organiser(actor)
    access = access_for(actor)
    months, articles, incidents, users, groups = (
        list(months),
        list(articles),
        list(incidents),
        list(users),
        list(groups),
    )
    title = (title or "").strip()
    errors: dict[str, str] = {}
    if kind not in Session.Kind.values:
        errors["kind"] = _("Choose a review seminar or a knowledge-sharing session.")
    if not title:
        errors["title"] = _("Give the session a title.")
    if kind == Session.Kind.REVIEW and not months:
        errors["months"] = _("A review seminar goes over at least one monthly report.")
    if kind == Session.Kind.SHARING and not (articles or incidents or topic.strip()):
        errors["topic"] = _("A knowledge-sharing session needs articles, incidents or a topic.")
    if not (1 <= duration_minutes <= 8 * 60):
        errors["duration_minutes"] = _("A session lasts between 1 minute and 8 hours.")
    if not (users or groups):
        errors["users"] = _("Invite at least one person or group.")
    if any(m.is_future() for m in months):
        errors["months"] = _("A monthly report can be reviewed once its month has started.")
    # What the organiser names must be what the organiser may read.
    if incidents and incidents_visible_to(access).filter(pk__in=[i.pk for i in incidents]).count() != len(
        {i.pk for i in incidents}
    ):
        errors["incidents"] = _("One of these incidents does not exist.")
    if articles and articles_visible_to(access).filter(pk__in=[a.pk for a in articles]).count() != len(
        {a.pk for a in articles}
    ):
        errors["articles"] = _("One of these articles does not exist.")
    if errors:
        raise ValidationError(errors)
    session = Session.objects.create(
        kind=kind,
        title=title[: Session.TITLE_MAX_LENGTH],
        topic=topic.strip()[:200],
        agenda=agenda,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location.strip()[:200],
        organiser=actor,
    )
    SessionMonth.objects.bulk_create([SessionMonth(session=session, month=m.first_day) for m in set(months)])
    session.articles.set(articles)
    session.incidents.set(incidents)
    session.invited_groups.set(groups)
    people = _people(users, groups)
    people.setdefault(actor.pk, actor)
    Invitee.objects.bulk_create(
        [Invitee(session=session, user=u, email=u.email or "") for u in people.values()],
        ignore_conflicts=True,
    )
    invitations_queue(session)
    return session


def invitations_queue(session: Session) -> int:
    """Queue the invitations whose last mail is older than the session's current sequence."""
    due = list(
        Invitee.objects.filter(session=session, mailed_sequence__lt=session.sequence)
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    for pk in due:
        enqueue_on_commit(INVITATION_SEND_TASK, pk)
    return len(due)


@transaction.atomic
def invitation_claim(*, invitee_id: int, now: datetime | None = None) -> Invitee | None:
    """Claim one invitation for sending: None if it was sent at this sequence or another holds it."""
    now = now or timezone.now()
    invitee = (
        Invitee.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("session", "session__organiser", "user")
        .filter(pk=invitee_id)
        .first()
    )
    if invitee is None or invitee.mailed_sequence >= invitee.session.sequence or not invitee.email:
        return None
    if invitee.claimed_until and invitee.claimed_until > now:
        return None  # another sender holds it
    Invitee.objects.filter(pk=invitee.pk).update(
        claimed_until=now + CLAIM_FOR, mail_attempts=invitee.mail_attempts + 1
    )
    return invitee


def invitation_mark(*, invitee: Invitee, sent: bool) -> None:
    if sent:
        Invitee.objects.filter(pk=invitee.pk).update(
            mailed_sequence=invitee.session.sequence, mailed_at=timezone.now(), claimed_until=None
        )
    else:
        Invitee.objects.filter(pk=invitee.pk).update(claimed_until=None)


def _session_for_update(session: Session) -> Session:
    return Session.objects.select_for_update().get(pk=session.pk)


@transaction.atomic
def attendance_record(*, actor: Any, session: Session, attended_user_ids: Iterable[int]) -> int:
    """After the session: who came (the others are recorded as absent)."""
    _check_organiser(actor)
    session = _session_for_update(session)
    if not session.is_past:
        raise ValidationError(_("Attendance is taken once the session has started."))
    present = {int(pk) for pk in attended_user_ids}
    unknown = present - set(session.invitees.values_list("user_id", flat=True))
    if unknown:
        # People who came without an invitation are added to the list.
        users = get_user_model().objects.filter(pk__in=unknown, is_active=True)
        Invitee.objects.bulk_create(
            [
                Invitee(session=session, user=u, email=u.email or "", mailed_sequence=session.sequence)
                for u in users
            ]
        )
    session.invitees.update(attended=False)
    return session.invitees.filter(user_id__in=present).update(attended=True)


@transaction.atomic
def minutes_save(*, actor: Any, session: Session, minutes: str) -> Session:
    _check_organiser(actor)
    if len(minutes) > MINUTES_MAX_LENGTH:
        raise ValidationError({"minutes": _("At most %(n)s characters.") % {"n": MINUTES_MAX_LENGTH}})
    session = _session_for_update(session)
    Session.objects.filter(pk=session.pk).update(minutes=minutes, minutes_updated_at=timezone.now())
    session.refresh_from_db()
    return session


def _decision_month(session: Session) -> Month:
    """The month an action is filed under: the first report reviewed, else the session's month."""
    first = session.months.order_by("month").values_list("month", flat=True).first()
    return Month.of(first) if first else Month.of(timezone.localdate(session.starts_at))


@transaction.atomic
def decision_add(
    *, actor: Any, session: Session, text: str, owner: Any = None, due_date: date | None = None
) -> Decision:
    """Record a decision; with an owner and a due date it becomes a review action, tracked with
    the month's other actions (and chased by ``meetings.reminders`` when it falls due)."""
    _check_organiser(actor)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Say what was decided.")})
    if (owner is None) != (due_date is None):
        raise ValidationError({"due_date": _("An action needs both an owner and a due date.")})
    action = None
    if owner is not None and due_date is not None:
        action = review_action_add(
            actor=actor, month=_decision_month(session), title=text, owner=owner, due_date=due_date
        )
    return Decision.objects.create(
        session=session, text=text[: Decision.TEXT_MAX_LENGTH], action=action, created_by=actor
    )


@transaction.atomic
def decision_reminders_claim(*, now: datetime | None = None) -> list[Decision]:
    """The decisions whose action is due and still open, each claimed once for a reminder to its owner."""
    now = now or timezone.now()
    due = list(
        Decision.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            reminded_at__isnull=True,
            action__status=ReviewAction.Status.OPEN,
            action__due_date__lte=timezone.localdate(now),
        )
        .exclude(action__owner__email="")
        .select_related("action", "action__owner", "session")[:200]
    )
    Decision.objects.filter(pk__in=[d.pk for d in due]).update(reminded_at=now)
    return due


# --- training ------------------------------------------------------------------------------------

TRAINING_REMINDER_DAYS = 3


@dataclass(frozen=True)
class ItemSpec:
    kind: str
    target: Any
    due_on: date
    pass_percent: int = 80


@transaction.atomic
def training_plan_create(
    *,
    actor: Any,
    title: str,
    items: Iterable[ItemSpec],
    group: SupportGroup | None = None,
    role: str = "",
    newcomer_days: int = 14,
    is_escalation_process: bool = False,
) -> TrainingPlan:
    """Assign training to a group (its members now and later) or a role."""
    if not selectors.can_assign_training(access_for(actor)):
        raise PermissionDenied(_("Training is assigned by incident managers."))
    specs = list(items)
    title = (title or "").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the plan a title.")
    if (group is None) == (not role):
        errors["group"] = _("Assign the plan to one group or one role.")
    if role and not Group.objects.filter(name=role).exists():
        errors["role"] = _("No such role.")
    if not specs:
        errors["items"] = _("Add at least one quiz, article or session.")
    for spec in specs:
        if spec.kind not in TrainingItem.Kind.values or spec.target is None:
            errors["items"] = _("Each item is a quiz, an article or a session.")
        elif not (1 <= spec.pass_percent <= 100):
            errors["pass_percent"] = _("A pass mark is between 1 and 100 %.")
    if errors:
        raise ValidationError(errors)
    plan = TrainingPlan.objects.create(
        title=title[: TrainingPlan.TITLE_MAX_LENGTH],
        group=group,
        role=role,
        newcomer_days=newcomer_days,
        is_escalation_process=is_escalation_process,
        created_by=actor,
    )
    TrainingItem.objects.bulk_create(
        [
            TrainingItem(
                plan=plan, kind=s.kind, due_on=s.due_on, pass_percent=s.pass_percent, **{s.kind: s.target}
            )
            for s in specs
        ]
    )
    return plan


@transaction.atomic
def article_read_mark(*, actor: Any, item: TrainingItem) -> ArticleRead:
    """A person says they read an article of their training."""
    if item.kind != TrainingItem.Kind.ARTICLE:
        raise ValidationError(_("Only an article is marked as read."))
    access = access_for(actor)
    if item.plan_id not in {p.pk for p in training.plans_of(user_id=actor.pk, roles=access.roles)}:
        raise PermissionDenied(_("This training is not yours."))
    read, _created = ArticleRead.objects.get_or_create(item=item, user=actor)
    return read


def training_reminders_claim(*, now: datetime | None = None) -> list[TrainingReminder]:
    """Claim one reminder per person and item falling due within a few days and not done. The
    unique ``TrainingReminder`` row is the sent-once guard: a second run claims nothing."""
    now = now or timezone.now()
    claimed = []
    for item, user_id, _due in training.reminders_wanted(
        today=timezone.localdate(now), days_before=TRAINING_REMINDER_DAYS
    ):
        try:
            with transaction.atomic():
                claimed.append(TrainingReminder.objects.create(item=item, user_id=user_id, created_at=now))
        except IntegrityError:  # reminded already, or another worker claimed it
            continue
    return claimed


def training_reminder_mark(*, reminder: TrainingReminder) -> None:
    TrainingReminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now())
