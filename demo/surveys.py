"""Demo surveys (SPEC §12): two programmes and a pilot, a few hundred invitations over the demo months,
answers, published results and improvement actions. Deterministic (seeded) and cheap: bulk inserts only.

Called by ``demo.seed.load_demo`` after the incident history, inside its transaction.

One caller, ``alice`` (``FRESH_CALLER``), is left out of the history's last ``SURVEY_USER_LIMIT_DAYS``, and
the pilot programme surveys every resolution in her department: whoever resolves one of her incidents
after ``make run`` sees the survey flow start (everyone else was asked within the limit, as on a real desk).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from escalation.models import CallerProfile
from incidents.models import Incident
from surveys.models import Answer, ImprovementAction, Invitation, Programme, Question, Response
from surveys.services import QuestionSpec, sampled, template_save

User = get_user_model()

# Never invited within the per-person limit by the history, and in the pilot's department.
FRESH_CALLER = "alice"
DEPARTMENTS = ["Finance", "Sales", "Operations", "Human Resources", "Marketing"]
COMMENTS = {
    "good": [
        "Fixed within the hour, thank you!",
        "Clear explanation of what went wrong.",
        "The agent called me back as promised.",
        "Friendly and quick.",
    ],
    "bad": [
        "It took three days before anyone replied.",
        "I had to explain the problem twice.",
        "The fix did not last; it broke again the next week.",
        "Nobody told me it had been escalated.",
    ],
}
# The questions are marked for the catalogues (gettext_noop) and stored in English.
TRANSACTIONAL_V1 = [
    QuestionSpec(
        kind="rating",
        text=gettext_noop("How satisfied are you with how your incident was handled?"),
        required=True,
    ),
    QuestionSpec(kind="yes_no", text=gettext_noop("Was it solved the first time?")),
    QuestionSpec(kind="text", text=gettext_noop("Anything we could do better?")),
]
TRANSACTIONAL_V2 = [
    QuestionSpec(
        kind="rating",
        text=gettext_noop("How satisfied are you with how we handled your incident?"),
        required=True,
    ),
    QuestionSpec(kind="yes_no", text=gettext_noop("Was it solved the first time?")),
    QuestionSpec(
        kind="choice",
        text=gettext_noop("How did you contact us?"),
        choices=(
            gettext_noop("Portal"),
            gettext_noop("Email"),
            gettext_noop("Phone"),
            gettext_noop("In person"),
        ),
    ),
    QuestionSpec(kind="text", text=gettext_noop("Anything we could do better?")),
]
PERCEPTION = [
    QuestionSpec(
        kind="rating",
        text=gettext_noop("Overall, how satisfied are you with the service desk?"),
        required=True,
    ),
    QuestionSpec(kind="rating", text=gettext_noop("How easy is it to get help when you need it?")),
    QuestionSpec(kind="text", text=gettext_noop("What one thing should we improve?")),
]


def _rating(rng: random.Random, *, breached: bool) -> int:
    weights = [8, 12, 25, 30, 25] if breached else [2, 4, 14, 40, 40]
    return rng.choices([1, 2, 3, 4, 5], weights=weights)[0]


def load_surveys_demo(*, seed: int = 20261128) -> dict[str, int]:
    rng = random.Random(seed)
    now = timezone.now()
    manager = User.objects.get(username="incidentmgr")
    staff = Q(groups__isnull=False) | Q(memberships__isnull=False) | Q(is_staff=True) | Q(is_superuser=True)
    staff_ids = set(User.objects.filter(staff).values_list("pk", flat=True))
    callers = list(User.objects.exclude(pk__in=staff_ids).order_by("username"))
    # Callers' departments come from their escalation.CallerProfile (the SLA demo gives every caller one).
    CallerProfile.objects.bulk_create(
        [CallerProfile(user=u, department=DEPARTMENTS[i % len(DEPARTMENTS)]) for i, u in enumerate(callers)],
        ignore_conflicts=True,
    )

    after = template_save(
        actor=manager, template=None, name="After an incident", intro="", questions=TRANSACTIONAL_V1
    )
    v1 = after.current_version()
    after = template_save(
        actor=manager,
        template=after,
        name="After an incident",
        intro=gettext_noop("Four quick questions about your incident: under a minute."),
        questions=TRANSACTIONAL_V2,
    )
    v2 = after.current_version()
    quarterly = template_save(
        actor=manager, template=None, name="Quarterly perception", intro="", questions=PERCEPTION
    )
    vq = quarterly.current_version()
    assert v1 and v2 and vq
    transactional = Programme.objects.create(
        name="After resolution",
        template=after,
        trigger=Programme.Trigger.RESOLVED,
        sample_percent=40,
        published=True,
        version=2,
    )
    perception = Programme.objects.create(
        name="Quarterly perception",
        kind=Programme.Kind.PERCEPTION,
        template=quarterly,
        period_days=91,
        starts_on=timezone.localdate(now - timedelta(days=200)),
        published=True,
    )
    perception.audience.set(callers)
    fresh = next((u for u in callers if u.get_username() == FRESH_CALLER), None)
    pilot_department = (
        CallerProfile.objects.filter(user=fresh).values_list("department", flat=True).first()
        if fresh
        else None
    ) or DEPARTMENTS[0]
    Programme.objects.create(
        name=f"{pilot_department} pilot",
        template=after,
        trigger=Programme.Trigger.RESOLVED,
        sample_percent=100,
        departments=[pilot_department],
    )
    # The history leaves the fresh caller alone for the per-person limit, so her next resolution is asked.
    fresh_until = now - timedelta(days=settings.SURVEY_USER_LIMIT_DAYS)

    switch = now - timedelta(days=75)  # the template's second version went live then
    last_invited: dict[int, Any] = {}
    invitations: list[Invitation] = []
    resolved = (
        Incident.objects.filter(resolved_at__isnull=False, caller_id__in=[u.pk for u in callers])
        .order_by("resolved_at")
        .values_list("pk", "caller_id", "resolved_at", "sla_state")
    )
    breached: dict[int, bool] = {}
    for pk, caller_id, resolved_on, sla_state in resolved:
        resolved_at = cast(datetime, resolved_on)  # not null: filtered above
        if not sampled(programme_id=transactional.pk, incident_id=pk, percent=40, seed=str(seed)):
            continue
        if caller_id in last_invited and resolved_at - last_invited[caller_id] < timedelta(days=7):
            continue  # the demo spaces one person's surveys a week apart
        if fresh is not None and caller_id == fresh.pk and resolved_at > fresh_until:
            continue
        last_invited[caller_id] = resolved_at
        breached[pk] = sla_state == "breached"
        invitations.append(
            Invitation(
                programme=transactional,
                programme_version=1 if resolved_at < switch else 2,
                template_version=v1 if resolved_at < switch else v2,
                user_id=caller_id,
                incident_id=pk,
                created_at=resolved_at,
                expires_at=resolved_at + timedelta(days=transactional.link_valid_days),
            )
        )
    rounds = [now - timedelta(days=150), now - timedelta(days=59)]
    for moment in rounds:
        for user in callers:
            if user == fresh and moment > fresh_until:
                continue
            invitations.append(
                Invitation(
                    programme=perception,
                    programme_version=1,
                    template_version=vq,
                    user=user,
                    round=timezone.localdate(moment),
                    created_at=moment,
                    expires_at=moment + timedelta(days=perception.link_valid_days),
                )
            )
    Programme.objects.filter(pk=perception.pk).update(last_round_at=rounds[-1])

    # Who answered: most of those whose link has run out, about half of those still open.
    for inv in invitations:
        odds = 0.45 if inv.expires_at > now else 0.62
        if rng.random() < odds:
            inv.answered_at = inv.created_at + timedelta(hours=rng.uniform(0.5, 72))
        elif inv.expires_at <= now:
            inv.expired_at = inv.expires_at
    # The newest link still valid stays open, whatever the draw: the demo shows an unanswered survey.
    still_open = [inv for inv in invitations if inv.expires_at > now]
    if still_open and all(inv.answered_at for inv in still_open):
        max(still_open, key=lambda inv: inv.created_at).answered_at = None
    Invitation.objects.bulk_create(invitations)

    answered = [inv for inv in invitations if inv.answered_at]
    responses = Response.objects.bulk_create(
        [Response(invitation=inv, submitted_at=cast(datetime, inv.answered_at)) for inv in answered]
    )
    questions = {v.pk: list(Question.objects.filter(version=v).order_by("position")) for v in (v1, v2, vq)}
    answers: list[Answer] = []
    for inv, response in zip(answered, responses, strict=True):
        bad = breached.get(inv.incident_id or 0, False)
        for q in questions[inv.template_version_id]:
            row = Answer(response=response, question=q)
            if q.kind == Question.Kind.RATING:
                row.rating = _rating(rng, breached=bad)
            elif q.kind == Question.Kind.YES_NO:
                row.yes = rng.random() < (0.55 if bad else 0.85)
            elif q.kind == Question.Kind.CHOICE:
                row.choice = rng.choice(q.choices)
            elif rng.random() < 0.3:
                row.text = rng.choice(COMMENTS["bad" if bad else "good"])
                row.publishable = rng.random() < 0.5
            else:
                continue
            answers.append(row)
    Answer.objects.bulk_create(answers)

    owner = User.objects.get(username="manager")
    today = timezone.localdate(now)
    ImprovementAction.objects.bulk_create(
        [
            ImprovementAction(
                programme=transactional,
                title="Call callers back within one working hour",
                description="Callers said replies were slow: the desk now calls back every new P1–P3.",
                owner=manager,
                due_on=today - timedelta(days=40),
                status=ImprovementAction.Status.DONE,
                created_at=now - timedelta(days=90),
                done_at=now - timedelta(days=45),
            ),
            ImprovementAction(
                programme=transactional,
                title="Tell callers when their incident is escalated",
                description="Add the escalation to the caller's email updates.",
                owner=owner,
                due_on=today + timedelta(days=20),
                status=ImprovementAction.Status.IN_PROGRESS,
                created_at=now - timedelta(days=30),
            ),
            ImprovementAction(
                programme=perception,
                title="Publish a self-help article for the ten most frequent requests",
                owner=owner,
                due_on=today + timedelta(days=45),
                created_at=now - timedelta(days=10),
            ),
        ]
    )
    return {"invitations": len(invitations), "responses": len(responses)}
