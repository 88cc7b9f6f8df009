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

from escalation.choices import Level
from escalation.defaults import SECURITY_GROUP_SLUG
from escalation.models import SLAPolicy, SupportGroup
from incidents import services
from incidents.models import Attachment, Incident, Notification, SLAPolicyRule
from incidents.notifications import notification_email_send
from incidents.outbox import event_publish, outbox_due
from incidents.sweep import sla_sweep
from intake.models import InboundMessage
from knowledge.models import Article, Quiz
from knowledge.services.articles import article_link_incident
from knowledge.services.quizzes import attempt_start
from reporting.models import MonthlyReport, ReviewAction
from reporting.periods import Month
from servicedesk.demo import load_demo
from surveys.models import Answer, ImprovementAction, Invitation, Programme, SurveyTemplate
from surveys.services import token_issue
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


@dataclass
class World:
    users: dict[str, Any]  # by role key of ``ROLES``
    people: dict[str, Any]  # everyone else the walks use, by username
    incidents: dict[str, Incident]  # "restricted", "restricted_at_risk", "private", "noted"
    attachments: dict[str, Attachment]  # "restricted", "internal", "public"
    objects: dict[str, Any] = field(default_factory=dict)  # what the other routes need, by kind
    months: list[Month] = field(default_factory=list)  # a reported month first, then the canary's
    survey_token: str = ""
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


def _upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


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
    restricted = services.incident_create(
        actor=agent,
        caller=carol,
        title=f"Phishing wave {r}",
        description=f"Credentials harvested {r}",
        assignment_group=security,
        now=now - timedelta(days=8),
        **high,
    )
    # Due within hours: in the dashboard's about-to-breach list.
    at_risk = services.incident_create(
        actor=agent, caller=carol, title=f"Suspicious login {r}", assignment_group=security, now=now, **high
    )
    services.incident_comment(actor=secops, incident=restricted, body=f"Forensics note {r}", public=False)
    services.incident_comment(actor=secops, incident=restricted, body=f"We are on it {r}", public=True)
    restricted_file = services.attachment_add(
        actor=secops, incident=restricted, upload=_upload(f"ioc-{r}.txt", f"indicators {r}")
    )

    private = services.incident_create(
        actor=bob,
        caller=bob,
        title=f"Salary slip missing {p}",
        description=f"My payslip for {p}",
        channel="portal",
    )
    services.incident_comment(actor=agent, incident=private, body=f"Looking at it {p}", public=True)

    noted = services.incident_create(
        actor=alice,
        caller=alice,
        title=f"Laptop fan loud {pub}",
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

    sla_sweep(now=timezone.now())  # the restricted incident breaches (mail to its group)
    article = Article.objects.filter(status="published").order_by("pk").first()
    assert article is not None
    article_link_incident(actor=secops, article=article, incident=restricted)
    article_link_incident(actor=agent, article=article, incident=private)
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

    objects = {
        "article": article,
        "article_version": article.versions.order_by("-number").first(),
        "quiz": quiz,
        "attempt": attempt,
        "sla_policy": SLAPolicy.objects.order_by("pk").first(),
        "sla_rule": SLAPolicyRule.objects.order_by("pk").first(),
        "inbound_message": InboundMessage.objects.order_by("pk").first(),
        "review_action": ReviewAction.objects.order_by("pk").first(),
        "programme": Programme.objects.order_by("pk").first(),
        "survey_template": SurveyTemplate.objects.order_by("pk").first(),
        "survey_answer": Answer.objects.order_by("pk").first(),
        "improvement_action": ImprovementAction.objects.order_by("pk").first(),
        "invitation": invitation,
        "group": SupportGroup.objects.order_by("pk").first(),
        "watcher": carol,
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
        },
        attachments={"restricted": restricted_file, "internal": internal_file, "public": public_file},
        objects=objects,
        months=months,
        survey_token=token_issue(invitation),
    )
