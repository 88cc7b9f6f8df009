"""Survey fixtures: a template, a transactional programme, and resolutions delivered through the hook."""

from __future__ import annotations

from typing import Any

import pytest

from incidents import services as incident_services
from incidents.models import IncidentEvent, ResolutionCode
from incidents.records.outbox import event_publish
from surveys.models import Programme, SurveyMail
from surveys.services import QuestionSpec, survey_mail_send, template_save
from tests.factories import make_incident, make_user

QUESTIONS = [
    QuestionSpec(kind="rating", text="How satisfied are you?", required=True),
    QuestionSpec(kind="yes_no", text="Was it fixed the first time?"),
    QuestionSpec(kind="choice", text="How did you reach us?", choices=("Phone", "Portal", "Email")),
    QuestionSpec(kind="text", text="Anything else?"),
]


@pytest.fixture
def manager(db):
    return make_user("mgr1", roles=["Manager"])


@pytest.fixture
def template(incident_manager):
    return template_save(
        actor=incident_manager, template=None, name="After an incident", intro="", questions=QUESTIONS
    )


@pytest.fixture
def programme(template):
    return Programme.objects.create(
        name="After resolution", template=template, sample_percent=100, published=True
    )


def resolve(agent: Any, caller: Any, **kwargs: Any):
    """Log an incident for ``caller`` and resolve it; returns the resolved incident (event still pending)."""
    incident = make_incident(actor=agent, caller=caller, **kwargs)
    return incident_services.incident_resolve(
        actor=agent,
        incident=incident,
        expected_version=incident.version,
        resolution_code=ResolutionCode.WORKAROUND,
        resolution_notes="Restarted the spooler.",
    )


def deliver() -> None:
    """What the worker does after commit: publish pending events through the hook, send survey mail."""
    for event_id in IncidentEvent.objects.filter(notified_at__isnull=True).values_list("pk", flat=True):
        event_publish(event_id)
    for mail_id in SurveyMail.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        survey_mail_send(mail_id)


def invite(programme: Programme, user: Any, *, incident: Any = None, now: Any = None) -> tuple[Any, str]:
    """An invitation and a raw link token for it, as the mail would carry."""
    from django.utils import timezone

    from surveys.services import _invite, token_issue

    invitation = _invite(programme, user, now=now or timezone.now(), incident=incident)
    assert invitation is not None
    return invitation, token_issue(invitation)


def answers_for(invitation: Any, rating: str = "4", text: str = "") -> dict[str, str]:
    questions = {q.kind: q for q in invitation.template_version.questions.all()}
    data = {f"q{questions['rating'].pk}": rating, f"q{questions['yes_no'].pk}": "yes"}
    if text:
        data[f"q{questions['text'].pk}"] = text
    return data
