"""The "world": the demo organisation, the people of every role, and the objects that every route
of the URL conf needs for its arguments (``tests/routes.py``), plus the canary incidents that the
visibility walk looks for (``tests/security/test_canary.py``).

``build_world()`` writes it in the current database and returns a ``World``. The ``world`` fixture
of ``tests/conftest.py`` builds it once per test module inside a transaction that is rolled back at
the end of the module; a live-server test (Playwright) calls ``build_world()`` itself inside a
``transaction=True`` test, as the server thread reads committed rows only.

The demo is loaded small (``DEMO_INCIDENTS`` over ``DEMO_DAYS``): about 7 s on PostgreSQL. Everything
written after it goes through the services, and the outbox and mail are then delivered as the
worker would (``deliver_mail``), so that each person's in-app notifications and mailbox
(``django.core.mail.outbox``, the test settings' locmem backend) hold what real use would send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from demo.seed import load_demo
from escalation.choices import Level
from escalation.defaults import SECURITY_GROUP_SLUG
from escalation.models import SLAPolicy, SupportGroup
from incidents import services
from incidents.models import (
    OPEN_STATUSES,
    Attachment,
    Incident,
    MajorIncident,
    Notification,
    ResolutionCode,
    SLAPolicyRule,
)
from incidents.notifications.delivery import notification_email_send
from incidents.records.outbox import event_publish, outbox_due
from incidents.sla.sweep import sla_sweep
from intake.models import InboundMessage
from intake.services import inbound_receive
from knowledge.models import Article, Quiz
from knowledge.services.articles import article_link_incident
from knowledge.services.quizzes import attempt_start
from live.models import SavedView
from meetings.models import Session, TrainingPlan
from meetings.services import session_schedule
from meetings.tasks import invitation_send_task
from reporting.models import MonthlyReport, ReviewAction
from reporting.periods import Month
from surveys.models import Answer, ImprovementAction, Invitation, Programme, SurveyTemplate
from surveys.models import Question as SurveyQuestion
from surveys.selectors import questions_of
from surveys.services import Submission, _invite, mails_due, response_submit, survey_mail_send, token_issue
from tests.factories import make_user

User = get_user_model()

DEMO_INCIDENTS = 30
DEMO_DAYS = 20

# The roles of SPEC §1 that the walks visit, each as one demo user.
ROLES: dict[str, str] = {
    "end_user": "alice",
    "agent": "agent",
    "technical": "tech",
    "network": "netops",
    "incident_manager": "incidentmgr",
    "manager": "manager",
}

# Unique strings the canary test looks for. Each marks text that only some people may read.
MARKERS = {
    # a restricted (security) incident: its group, the incident managers and its caller only
    "restricted": "CANARYRESTRICTEDk7q2",
    # an end user's incident (bob's): staff and bob, never another end user
    "private": "CANARYPRIVATEm3x9",
    # an internal work note and a private attachment on alice's own incident: staff only
    "internal": "CANARYINTERNALp5w4",
    # alice's own public text: alice sees it (proves her walk reached her incident)
    "public": "CANARYPUBLICr8d1",
}
# A word of each canary's title to search for: a search page shows what was searched for, so
# searching for the marker itself would find it on the page whatever the results.
SEARCH_WORDS = {
    "restricted": "kestrelphish",
    "private": "herondslip",
    "internal": "ploverfan",
    "public": "ploverfan",
}


@dataclass
class World:
    users: dict[str, Any]  # by role key of ``ROLES``
    people: dict[str, Any]  # everyone else the walks use, by username
    # "restricted", "restricted_at_risk", "restricted_resolved", "private", "noted", "major"
    incidents: dict[str, Incident]
    attachments: dict[str, Attachment]  # "restricted", "internal", "public"
    objects: dict[str, Any] = field(default_factory=dict)  # what the other routes need, by kind
    months: list[Month] = field(default_factory=list)  # a reported month first, then the canary's
    survey_token: str = ""
    mails: list[Any] = field(default_factory=list)  # every mail sent while the world was built
    markers: dict[str, str] = field(default_factory=lambda: dict(MARKERS))

    def user(self, role: str) -> Any:
        return self.users[role]


def deliver_mail() -> None:
    """What the worker and beat do: publish pending events, send due mail (to the locmem outbox)."""
    for pk in outbox_due(now=timezone.now(), older_than=timedelta(0), batch_size=1000):
        event_publish(pk)
    pending = Notification.objects.filter(emailed_at__isnull=True).exclude(email_to="")
    for pk in pending.values_list("pk", flat=True):
        notification_email_send(pk)
    for pk in mails_due(now=timezone.now(), older_than=timedelta(0), batch_size=1000):
        survey_mail_send(pk)


def _upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def _reply(incident: Incident, *, sender: str, key: str) -> bytes:
    """A mail answering the incident's notifications: its tag and title in the subject, quoted."""
    return (
        f"From: {sender}\r\n"
        "To: servicedesk@example.org\r\n"
        f"Subject: Re: [{incident.number}] {incident.title}\r\n"
        f"Message-ID: <canary-{key}@example.net>\r\n"
        "Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"More about {incident.title}\r\n"
    ).encode()


def _answered_survey(incident: Incident, *, comment: str) -> Invitation:
    """The caller's survey about ``incident``, answered with ``comment``: the one the resolution made
    if a programme sampled it, else one of the first transactional programme."""
    invitation = Invitation.objects.filter(incident=incident).first()
    if invitation is None:
        programme = Programme.objects.filter(kind=Programme.Kind.TRANSACTIONAL).order_by("pk").first()
        assert programme is not None
        invitation = _invite(programme, incident.caller, now=timezone.now(), incident=incident)
        assert invitation is not None
    submission = Submission()
    for q in questions_of(invitation):
        if q.kind == SurveyQuestion.Kind.RATING:
            submission.answers[q.pk] = 4
        elif q.kind == SurveyQuestion.Kind.YES_NO:
            submission.answers[q.pk] = True
        elif q.kind == SurveyQuestion.Kind.CHOICE:
            submission.answers[q.pk] = q.choices[0]
        else:
            submission.answers[q.pk] = comment
    response_submit(invitation=invitation, submission=submission)
    return invitation


def build_world() -> World:
    """Load the small demo, then the canary incidents and the objects the routes need."""
    load_demo(incidents=DEMO_INCIDENTS, days=DEMO_DAYS)
    by_name = {u.username: u for u in User.objects.all()}
    users = {role: by_name[username] for role, username in ROLES.items()}
    alice, bob, agent = by_name["alice"], by_name["bob"], by_name["agent"]
    carol = make_user("carol", first_name="Carol", last_name="Canary", email="carol@example.org")
    security = SupportGroup.objects.get(slug=SECURITY_GROUP_SLUG)
    secops = security.memberships.select_related("user").first().user  # type: ignore[union-attr]
    mail.outbox = []

    r, p, n, pub = MARKERS["restricted"], MARKERS["private"], MARKERS["internal"], MARKERS["public"]
    now = timezone.now()
    high: dict[str, Any] = {"impact": Level.HIGH, "urgency": Level.HIGH}
    # Eight days old and P1: breached whatever the calendar, in the dashboard's breached list.
    # Logged by the security team itself: whoever logs an incident reads it as its reporter.
    restricted = services.incident_create(
        actor=secops,
        caller=carol,
        title=f"Phishing wave {SEARCH_WORDS['restricted']} {r}",
        description=f"Credentials harvested {r}",
        assignment_group=security,
        now=now - timedelta(days=8),
        **high,
    )
    # Due within hours: in the dashboard's about-to-breach list.
    at_risk = services.incident_create(
        actor=secops,
        caller=carol,
        title=f"Suspicious login {SEARCH_WORDS['restricted']} {r}",
        assignment_group=security,
        now=now,
        **high,
    )
    services.incident_comment(actor=secops, incident=restricted, body=f"Forensics note {r}", public=False)
    services.incident_comment(actor=secops, incident=restricted, body=f"We are on it {r}", public=True)
    restricted_file = services.attachment_add(
        actor=secops, incident=restricted, upload=_upload(f"ioc-{r}.txt", f"indicators {r}")
    )

    private = services.incident_create(
        actor=bob,
        caller=bob,
        title=f"Salary slip missing {SEARCH_WORDS['private']} {p}",
        description=f"My payslip for {p}",
        channel="portal",
    )
    services.incident_comment(actor=agent, incident=private, body=f"Looking at it {p}", public=True)

    noted = services.incident_create(
        actor=alice,
        caller=alice,
        title=f"Laptop fan loud {SEARCH_WORDS['public']} {pub}",
        description=f"It whirs {pub}",
        channel="portal",
    )
    services.incident_comment(actor=agent, incident=noted, body=f"Caller is VIP {n}", public=False)
    services.incident_comment(actor=agent, incident=noted, body=f"Ordered a fan {pub}", public=True)
    internal_file = services.attachment_add(
        actor=agent, incident=noted, upload=_upload(f"notes-{n}.txt", f"internal {n}"), public=False
    )
    public_file = services.attachment_add(
        actor=agent, incident=noted, upload=_upload(f"fan-{pub}.txt", f"receipt {pub}"), public=True
    )
    services.watcher_add(actor=alice, incident=noted, email=carol.email)

    # Resolved, and carol's survey about it answered with a comment: the results page names it.
    resolved = services.incident_create(
        actor=secops, caller=carol, title=f"Lost badge {r}", assignment_group=security, now=now
    )
    services.incident_resolve(
        actor=secops,
        incident=resolved,
        expected_version=None,
        resolution_code=ResolutionCode.PERMANENT_FIX,
        resolution_notes=f"Badge revoked {r}",
    )
    # A stranger's reply to the restricted incident waits for review (and its owners are told).
    inbound_receive(
        raw=_reply(restricted, sender="stranger@example.net", key="stranger"), size=1000, source="a"
    )

    # The demo's open major incident, with the at-risk restricted incident linked as a child.
    major = (
        MajorIncident.objects.filter(declared_at__isnull=False, incident__status__in=OPEN_STATUSES)
        .select_related("incident")
        .first()
    )
    assert major is not None
    services.major_link_child(actor=by_name["incidentmgr"], incident=major.incident, child=at_risk)

    sla_sweep(now=timezone.now())  # the restricted incident breaches (mail to its group)
    article = Article.objects.filter(status="published").order_by("pk").first()
    assert article is not None
    article_link_incident(actor=secops, article=article, incident=restricted)
    article_link_incident(actor=agent, article=article, incident=private)
    deliver_mail()

    survey = _answered_survey(resolved, comment=f"Handled well {r}")
    # carol closes it, then answers its mail: a reply to a closed incident opens a follow-up.
    services.incident_close(actor=carol, incident=resolved, expected_version=None)
    inbound_receive(raw=_reply(resolved, sender=carol.email, key="follow-up"), size=1000, source="b")
    deliver_mail()

    quiz = Quiz.objects.order_by("pk").first()
    assert quiz is not None
    attempt = attempt_start(actor=agent, quiz=quiz)
    invitation = Invitation.objects.filter(user=alice).order_by("pk").first() or (
        Invitation.objects.order_by("pk").first()
    )
    assert invitation is not None
    reported = MonthlyReport.objects.order_by("-month").first()
    assert reported is not None
    months = [Month.parse(reported.month.strftime("%Y-%m"))]
    for inc in (restricted, at_risk):
        m = Month.of(timezone.localdate(inc.created_at))
        if m not in months:
            months.append(m)

    # A knowledge-sharing session over the restricted and the major incidents (issue 26), every
    # group invited: its page and its invitations name only what each reader may read.
    sharing = session_schedule(
        actor=by_name["incidentmgr"],
        kind=Session.Kind.SHARING,
        title="Lessons of the week",
        starts_at=now - timedelta(hours=1),
        incidents=[restricted, major.incident],
        articles=[article],
        groups=SupportGroup.objects.filter(is_active=True),
    )
    for pk in sharing.invitees.values_list("pk", flat=True):
        invitation_send_task(pk)

    objects = {
        "article": article,
        "article_version": article.versions.order_by("-number").first(),
        "quiz": quiz,
        "attempt": attempt,
        "sla_policy": SLAPolicy.objects.order_by("pk").first(),
        "sla_rule": SLAPolicyRule.objects.order_by("pk").first(),
        "inbound_message": InboundMessage.objects.filter(incident=restricted).first(),
        "review_action": ReviewAction.objects.order_by("pk").first(),
        "programme": survey.programme,
        "survey_template": SurveyTemplate.objects.order_by("pk").first(),
        "survey_answer": Answer.objects.order_by("pk").first(),
        "improvement_action": ImprovementAction.objects.order_by("pk").first(),
        "invitation": invitation,
        "group": SupportGroup.objects.order_by("pk").first(),
        "watcher": carol,
        "session": sharing,
        "training_plan": TrainingPlan.objects.order_by("pk").first(),
        "saved_view": SavedView.objects.filter(group__isnull=False).order_by("pk").first(),
    }
    missing = sorted(kind for kind, obj in objects.items() if obj is None)
    assert not missing, f"the demo no longer makes: {missing}"
    return World(
        users=users,
        people={"bob": bob, "carol": carol, "secops": secops, "admin": by_name["admin"]},
        incidents={
            "restricted": restricted,
            "restricted_at_risk": at_risk,
            "private": private,
            "noted": noted,
            "major": major.incident,
        },
        attachments={"restricted": restricted_file, "internal": internal_file, "public": public_file},
        objects=objects,
        months=months,
        survey_token=token_issue(invitation),
        mails=list(mail.outbox),
    )
