"""Every write of the surveys app: invitations from incident events, answers, mail, templates, actions.

The event subscriber (``on_incident_event``) is idempotent (one invitation per programme and incident,
a unique constraint) and does no network I/O: the invitation mail is a ``SurveyMail`` row queued after
commit and sent by claim, commit, send, mark like the incidents' notifications.
"""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.mail import render_email
from core.queueing import enqueue_on_commit
from escalation.access import access_for
from escalation.models import CallerProfile
from incidents.models import Incident, IncidentEvent
from profiles.locale import in_locale_of

from .models import (
    Answer,
    ImprovementAction,
    Invitation,
    InvitationToken,
    Programme,
    Question,
    Response,
    SurveyMail,
    SurveyTemplate,
    TemplateVersion,
)

log = logging.getLogger(__name__)
User = get_user_model()

# ``surveys.tasks.survey_mail_task``, queued by name: the task imports this module.
MAIL_TASK = "surveys.tasks.survey_mail_task"

# Events in which the actor works the incident: their author is never surveyed about it.
WORK_KINDS = frozenset(
    {
        IncidentEvent.Kind.ASSIGNED,
        IncidentEvent.Kind.STARTED,
        IncidentEvent.Kind.ESCALATED,
        IncidentEvent.Kind.HELD,
        IncidentEvent.Kind.RESUMED,
        IncidentEvent.Kind.RESOLVED,
        IncidentEvent.Kind.UPDATED,
        IncidentEvent.Kind.CONSULTATION_ANSWERED,
    }
)


class LinkError(DomainError):
    status_code = 404


class LinkInvalid(LinkError):
    status_code = 404


class LinkExpired(LinkError):
    status_code = 410


class AlreadyAnswered(LinkError):
    status_code = 200  # a friendly page, not an error


# --- tokens ------------------------------------------------------------------------------------


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(invitation: Invitation) -> str:
    """A fresh link token (256 random bits) for this invitation; only its hash is stored."""
    raw = secrets.token_urlsafe(32)
    InvitationToken.objects.create(invitation=invitation, token_hash=token_hash(raw))
    return raw


def invitation_open_check(invitation: Invitation, *, now: datetime | None = None) -> Invitation:
    now = now or timezone.now()
    if invitation.answered_at is not None:
        raise AlreadyAnswered(_("You have already answered this survey. Thank you!"))
    if invitation.expired_at is not None or invitation.expires_at <= now:
        raise LinkExpired(_("This survey link has expired. Thank you all the same."))
    return invitation


def invitation_for_token(raw: str, *, now: datetime | None = None) -> Invitation:
    """The open invitation a link answers, or a named ``LinkError`` (unknown, expired, answered)."""
    if not raw or len(raw) > 100:
        raise LinkInvalid(_("This survey link is not valid. Check that it was copied whole."))
    row = (
        InvitationToken.objects.select_related(
            "invitation__template_version__template", "invitation__incident"
        )
        .filter(token_hash=token_hash(raw))
        .first()
    )
    if row is None:
        raise LinkInvalid(_("This survey link is not valid. Check that it was copied whole."))
    return invitation_open_check(row.invitation, now=now)


# --- who is invited ----------------------------------------------------------------------------


def sampled(*, programme_id: int, incident_id: int, percent: int, seed: str | None = None) -> bool:
    """Whether an incident falls in a programme's sample: a seeded draw, the same on every delivery.

    The draw is ``random.Random`` seeded with the settings seed, the programme and the incident, so a
    redelivered event decides the same and tests can reproduce a run.
    """
    if percent >= 100:
        return True
    if percent <= 0:
        return False
    seed = settings.SURVEY_SAMPLING_SEED if seed is None else seed
    return random.Random(f"{seed}:{programme_id}:{incident_id}").random() * 100 < percent


def worked_on(user: Any, incident: Incident) -> bool:
    """Staff who worked the incident (acted on it, or were ever its assignee) are not surveyed on it."""
    if not access_for(user).is_staff_member:
        return False
    if incident.assigned_to_id == user.pk:
        return True
    events = IncidentEvent.objects.filter(incident=incident)
    if events.filter(actor=user, kind__in=WORK_KINDS).exists():
        return True
    for changes in events.filter(changes__has_key="assigned_to").values_list("changes", flat=True):
        values = changes.get("assigned_to") or {}
        if user.get_username() in (values.get("old"), values.get("new")):
            return True
    return False


def audience_matches(programme: Programme, incident: Incident, *, department: str | None) -> bool:
    """The programme's filters, each one empty meaning everyone."""
    group_ids = {g.pk for g in programme.groups.all()}
    if group_ids and incident.assignment_group_id not in group_ids:
        return False
    category_ids = {c.pk for c in programme.categories.all()}
    if category_ids and not ({incident.category_id, incident.subcategory_id} & category_ids):
        return False
    service_ids = {s.pk for s in programme.services.all()}
    if service_ids and incident.service_id not in service_ids:
        return False
    if programme.priorities and incident.priority not in programme.priorities:
        return False
    return not (programme.departments and department not in programme.departments)


def recently_invited(user: Any, *, now: datetime) -> bool:
    """The per-user limit, across every programme (``SURVEY_USER_LIMIT_DAYS``)."""
    days = settings.SURVEY_USER_LIMIT_DAYS
    return (
        days > 0 and Invitation.objects.filter(user=user, created_at__gt=now - timedelta(days=days)).exists()
    )


def _invite(
    programme: Programme, user: Any, *, now: datetime, incident: Incident | None = None, round: Any = None
) -> Invitation | None:
    version = programme.template.current_version()
    if version is None:
        return None
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                programme=programme,
                programme_version=programme.version,
                template_version=version,
                user=user,
                incident=incident,
                round=round,
                created_at=now,
                expires_at=now + timedelta(days=programme.link_valid_days),
            )
    except IntegrityError:
        return None  # invited already (a redelivered event, a second resolution, a repeated round)
    if user.email:
        mail_queue(SurveyMail.Kind.INVITATION, to=user.email, invitation=invitation, now=now)
    return invitation


def on_incident_event(event: IncidentEvent) -> list[Invitation]:
    """Subscriber of ``resolved`` and ``closed``: invite the caller where a programme's rules say so."""
    incident = event.incident
    caller = incident.caller
    now = event.created_at
    programmes = list(
        Programme.objects.filter(kind=Programme.Kind.TRANSACTIONAL, is_active=True, trigger=event.kind)
        .select_related("template")
        .prefetch_related("groups", "categories", "services")
    )
    if not programmes or caller is None or not caller.is_active or worked_on(caller, incident):
        return []
    # The one notion of a caller's department: the profile the SLA policy rules read too.
    department = (
        CallerProfile.objects.filter(user=caller).values_list("department", flat=True).first() or None
    )
    made: list[Invitation] = []
    for programme in programmes:
        if Invitation.objects.filter(programme=programme, incident=incident).exists():
            continue
        if not audience_matches(programme, incident, department=department):
            continue
        if not sampled(programme_id=programme.pk, incident_id=incident.pk, percent=programme.sample_percent):
            continue
        if recently_invited(caller, now=now):
            break
        invitation = _invite(programme, caller, now=now, incident=incident)
        if invitation is not None:
            made.append(invitation)
    return made


def perception_rounds_send(*, now: datetime | None = None) -> int:
    """Beat: each active perception programme whose period has come round invites its audience."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    due = Programme.objects.filter(kind=Programme.Kind.PERCEPTION, is_active=True).filter(
        Q(starts_on__isnull=True) | Q(starts_on__lte=today), Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    for programme in due.select_related("template"):
        if programme.last_round_at and programme.last_round_at + timedelta(days=programme.period_days) > now:
            continue
        with transaction.atomic():
            claimed = Programme.objects.filter(pk=programme.pk, last_round_at=programme.last_round_at).update(
                last_round_at=now
            )
            if not claimed:
                continue  # another beat got there first
            for user in programme.audience.filter(is_active=True):
                if recently_invited(user, now=now):
                    continue
                if _invite(programme, user, now=now, round=today) is not None:
                    sent += 1
    return sent


# --- answering ---------------------------------------------------------------------------------


@dataclass
class Submission:
    answers: dict[int, Any] = field(default_factory=dict)  # question id → value
    errors: dict[int, str] = field(default_factory=dict)


def submission_parse(questions: Sequence[Question], data: Any) -> Submission:
    """Read the posted form (``q<question id>`` fields), with a message per invalid or missing answer."""
    out = Submission()
    for q in questions:
        raw = (data.get(f"q{q.pk}") or "").strip()
        if not raw:
            if q.required:
                out.errors[q.pk] = "Please answer this question."
            continue
        if q.kind == Question.Kind.RATING:
            if raw not in {"1", "2", "3", "4", "5"}:
                out.errors[q.pk] = "Choose a rating from 1 to 5."
            else:
                out.answers[q.pk] = int(raw)
        elif q.kind == Question.Kind.YES_NO:
            if raw not in {"yes", "no"}:
                out.errors[q.pk] = "Choose yes or no."
            else:
                out.answers[q.pk] = raw == "yes"
        elif q.kind == Question.Kind.CHOICE:
            if raw not in q.choices:
                out.errors[q.pk] = "Choose one of the options."
            else:
                out.answers[q.pk] = raw
        else:
            if len(raw) > Answer.COMMENT_MAX_LENGTH:
                out.errors[q.pk] = f"Please keep it under {Answer.COMMENT_MAX_LENGTH} characters."
            else:
                out.answers[q.pk] = raw
    return out


@transaction.atomic
def response_submit(
    *, invitation: Invitation, submission: Submission, now: datetime | None = None, language: str = ""
) -> Response:
    """Store the answers once. A second submission (or a lost race) raises ``AlreadyAnswered``.

    ``language`` is the one the questions were shown in: answers are stored against the question, whatever
    the language, and the response records it for the per-language counts."""
    now = now or timezone.now()
    claimed = Invitation.objects.filter(
        pk=invitation.pk, answered_at__isnull=True, expired_at__isnull=True, expires_at__gt=now
    ).update(answered_at=now)
    if not claimed:
        fresh = Invitation.objects.get(pk=invitation.pk)
        invitation_open_check(fresh, now=now)
        raise AlreadyAnswered(_("You have already answered this survey. Thank you!"))
    response = Response.objects.create(invitation=invitation, submitted_at=now, language=language)
    kinds = dict(Question.objects.filter(pk__in=submission.answers).values_list("pk", "kind"))
    rows = []
    for question_id, value in submission.answers.items():
        kind = kinds[question_id]
        row = Answer(response=response, question_id=question_id)
        if kind == Question.Kind.RATING:
            row.rating = value
        elif kind == Question.Kind.YES_NO:
            row.yes = value
        elif kind == Question.Kind.CHOICE:
            row.choice = value
        else:
            row.text = value
        rows.append(row)
    Answer.objects.bulk_create(rows)
    return response


@transaction.atomic
def answer_publish(*, actor: Any, answer: Answer, publishable: bool) -> Answer:
    if not answer.text:
        raise ValidationError(_("Only comments can be published."))
    Answer.objects.filter(pk=answer.pk).update(publishable=publishable)
    answer.publishable = publishable
    return answer


# --- mail --------------------------------------------------------------------------------------


def mail_queue(
    kind: str,
    *,
    to: str,
    now: datetime,
    invitation: Invitation | None = None,
    action: ImprovementAction | None = None,
) -> None:
    """One mail of this kind for this invitation or action, ever; sent after commit."""
    SurveyMail.objects.bulk_create(
        [SurveyMail(kind=kind, to=to, invitation=invitation, action=action, created_at=now)],
        ignore_conflicts=True,
    )
    mail = (
        SurveyMail.objects.filter(kind=kind, invitation=invitation, action=action, sent_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )
    if mail is not None:  # queued twice at worst: the send's claim lets one through
        enqueue_on_commit(MAIL_TASK, mail)


def _message_id(mail: SurveyMail) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    domain = domain or urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<survey-{mail.kind}-{mail.pk}@{domain}>"


def _render(mail: SurveyMail, *, now: datetime) -> tuple[str, str, str] | None:
    """Subject, text and HTML of a mail; None when there is nothing to send any more."""
    if mail.action_id:
        action = ImprovementAction.objects.select_related("programme", "owner").get(pk=mail.action_id)
        if action.status == ImprovementAction.Status.DONE:
            return None
        context: dict[str, Any] = {
            "action": action,
            "url": settings.SITE_URL + reverse("surveys:results-detail", kwargs={"pk": action.programme_id}),
        }
        with in_locale_of(action.owner):  # the recipient's language and time zone
            email = render_email("surveys/email/action_due", context)
        return email.subject, email.text, email.html
    invitation = Invitation.objects.select_related("user", "incident", "programme__template").get(
        pk=cast(int, mail.invitation_id)
    )
    try:
        invitation_open_check(invitation, now=now)
    except LinkError:
        return None  # answered or expired meanwhile: no reminder
    with transaction.atomic():
        raw = token_issue(invitation)
    context = {
        "invitation": invitation,
        "recipient": invitation.user,
        "incident": invitation.incident,
        "reminder": mail.kind == SurveyMail.Kind.REMINDER,
        "url": settings.SITE_URL + reverse("surveys:answer", kwargs={"token": raw}),
    }
    with in_locale_of(invitation.user):  # the caller's language and time zone
        email = render_email("surveys/email/invitation", context)
    return email.subject, email.text, email.html


def survey_mail_send(mail_id: int, *, now: datetime | None = None) -> bool:
    """Claim, commit, send, mark (as ``incidents.notifications.delivery``). True if this call sent the mail.

    Call outside a transaction. A mail about an invitation answered or expired meanwhile is marked
    sent without sending (nothing to remind of).
    """
    now = now or timezone.now()
    claimed = (
        SurveyMail.objects.filter(
            pk=mail_id, sent_at__isnull=True, attempts__lt=settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(
            claimed_until=now + timedelta(seconds=settings.NOTIFICATION_EMAIL_CLAIM_SECONDS),
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return False
    mail = SurveyMail.objects.get(pk=mail_id)
    rendered = _render(mail, now=now)
    if rendered is None:
        SurveyMail.objects.filter(pk=mail_id).update(sent_at=now, claimed_until=None)
        return False
    subject, text, html = rendered
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[mail.to],
        headers={"Auto-Submitted": "auto-generated", "Message-ID": _message_id(mail)},
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        delay = timedelta(seconds=min(60 * 2 ** max(mail.attempts - 1, 0), 3600))
        SurveyMail.objects.filter(pk=mail_id, sent_at__isnull=True).update(claimed_until=now + delay)
        raise
    SurveyMail.objects.filter(pk=mail_id).update(sent_at=timezone.now(), claimed_until=None)
    return True


def mails_due(
    *, now: datetime, older_than: timedelta = timedelta(seconds=30), batch_size: int = 200
) -> list[int]:
    """Mails no task took (a lost task, a broker outage) and those whose claim or backoff ran out."""
    return list(
        SurveyMail.objects.filter(sent_at__isnull=True, attempts__lt=settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS)
        .filter(Q(claimed_until__isnull=True, created_at__lte=now - older_than) | Q(claimed_until__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch_size]
    )


@transaction.atomic
def reminders_queue(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Beat: one reminder per open invitation once it is within its programme's reminder window."""
    now = now or timezone.now()
    candidates = (
        Invitation.objects.filter(
            answered_at__isnull=True,
            expired_at__isnull=True,
            expires_at__gt=now,
            programme__reminder_days_before_expiry__gt=0,
        )
        .exclude(mails__kind=SurveyMail.Kind.REMINDER)
        .exclude(user__email="")
        .select_related("programme", "user")
        .order_by("expires_at")[:batch_size]
    )
    queued = 0
    for invitation in candidates:
        if invitation.expires_at - timedelta(days=invitation.programme.reminder_days_before_expiry) <= now:
            mail_queue(SurveyMail.Kind.REMINDER, to=invitation.user.email, invitation=invitation, now=now)
            queued += 1
    return queued


@transaction.atomic
def invitations_expire(*, now: datetime | None = None) -> int:
    """Beat: mark unanswered invitations past their date expired and drop their tokens."""
    now = now or timezone.now()
    due = Invitation.objects.filter(answered_at__isnull=True, expired_at__isnull=True, expires_at__lte=now)
    ids = list(due.values_list("pk", flat=True)[:5000])
    InvitationToken.objects.filter(invitation_id__in=ids).delete()
    return Invitation.objects.filter(pk__in=ids).update(expired_at=now)


@transaction.atomic
def action_reminders_queue(*, now: datetime | None = None) -> int:
    """Beat: the owner of an action that is due (and not done) gets one mail."""
    now = now or timezone.now()
    due = (
        ImprovementAction.objects.exclude(status=ImprovementAction.Status.DONE)
        .filter(due_on__lte=timezone.localdate(now))
        .exclude(mails__kind=SurveyMail.Kind.ACTION_DUE)
        .exclude(owner__email="")
        .select_related("owner")
    )
    count = 0
    for action in due:
        mail_queue(SurveyMail.Kind.ACTION_DUE, to=action.owner.email, action=action, now=now)
        count += 1
    return count


# --- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    text: str
    required: bool = False
    choices: tuple[str, ...] = ()


def questions_check(questions: Iterable[QuestionSpec]) -> list[QuestionSpec]:
    specs = list(questions)
    if not specs:
        raise ValidationError(_("A survey needs at least one question."))
    if len(specs) > 10:
        raise ValidationError(_("Keep a survey to 10 questions at most: it should take under a minute."))
    for spec in specs:
        if spec.kind == Question.Kind.CHOICE and len(spec.choices) < 2:
            raise ValidationError(_("“%(text)s” needs at least two options.") % {"text": spec.text})
    return specs


@transaction.atomic
def template_save(
    *, actor: Any, template: SurveyTemplate | None, name: str, intro: str, questions: Iterable[QuestionSpec]
) -> SurveyTemplate:
    """Create a template, or give an existing one a new version; older versions and their answers stay."""
    specs = questions_check(questions)
    if template is None:
        template = SurveyTemplate.objects.create(name=name, intro=intro)
        number = 1
    else:
        template = SurveyTemplate.objects.select_for_update().get(pk=template.pk)
        SurveyTemplate.objects.filter(pk=template.pk).update(name=name, intro=intro)
        template.name, template.intro = name, intro
        last = template.versions.order_by("-number").values_list("number", flat=True).first() or 0
        number = last + 1
    # A question (or introduction) kept word for word keeps the translations it had in the last version.
    previous = template.versions.order_by("-number").first() if number > 1 else None
    kept: dict[tuple[str, str, tuple[str, ...]], dict[str, Any]] = {}
    intro_translations: dict[str, str] = {}
    if previous is not None:
        kept = {(q.kind, q.text, tuple(q.choices)): q.translations for q in previous.questions.all()}
        intro_translations = previous.intro_translations if previous.intro == intro else {}
    version = TemplateVersion.objects.create(
        template=template, number=number, intro=intro, intro_translations=intro_translations, created_by=actor
    )
    rows = []
    for i, s in enumerate(specs, start=1):
        choices = list(s.choices) if s.kind == Question.Kind.CHOICE else []
        rows.append(
            Question(
                version=version,
                position=i,
                kind=s.kind,
                text=s.text,
                required=s.required,
                choices=choices,
                translations=kept.get((s.kind, s.text, tuple(choices)), {}),
            )
        )
    Question.objects.bulk_create(rows)
    return template


@dataclass(frozen=True)
class QuestionTranslation:
    text: str
    choices: tuple[str, ...] = ()


def translation_languages() -> list[tuple[str, str]]:
    """The languages a survey can be translated into: every shipped one but the organisation's."""
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


@transaction.atomic
def version_translate(
    *,
    actor: Any,
    version: TemplateVersion,
    language: str,
    intro: str,
    questions: dict[int, QuestionTranslation],
) -> TemplateVersion:
    """Set (or clear, with empty texts) a version's wording in ``language``.

    A translation says the same thing in another language: it is not a new version, and answers given in
    any language count for the one question. A single-choice question's options are translated one for one.
    """
    if language not in dict(translation_languages()):
        raise ValidationError(_("Surveys cannot be translated into this language."))
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    for question in version.questions.select_for_update():
        given = questions.get(question.pk) or QuestionTranslation(text="")
        choices = [c.strip() for c in given.choices]
        if any(choices) and len(choices) != len(question.choices):
            raise ValidationError(
                _("“%(text)s” has %(count)s options: translate each of them, one per line.")
                % {"text": question.text, "count": len(question.choices)}
            )
        translations = dict(question.translations)
        if given.text.strip() or any(choices):
            translations[language] = {"text": given.text.strip(), "choices": choices if any(choices) else []}
        else:
            translations.pop(language, None)
        Question.objects.filter(pk=question.pk).update(translations=translations)
    intro_translations = dict(version.intro_translations)
    if intro.strip():
        intro_translations[language] = intro.strip()
    else:
        intro_translations.pop(language, None)
    TemplateVersion.objects.filter(pk=version.pk).update(intro_translations=intro_translations)
    log.info("survey template version %s translated into %s by %s", version.pk, language, actor)
    return version


@transaction.atomic
def programme_save(*, actor: Any, form: Any) -> Programme:
    """Save a programme form; an edit bumps the version that new invitations record."""
    programme: Programme = form.save(commit=False)
    if programme.pk:
        programme.version = F("version") + 1
    programme.updated_at = timezone.now()
    programme.save()
    form.save_m2m()
    programme.refresh_from_db()
    return programme


@transaction.atomic
def action_save(*, actor: Any, form: Any) -> ImprovementAction:
    action: ImprovementAction = form.save(commit=False)
    if action.status == ImprovementAction.Status.DONE:
        action.done_at = action.done_at or timezone.now()
    else:
        action.done_at = None
    action.save()
    return action
