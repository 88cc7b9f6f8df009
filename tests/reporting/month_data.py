"""A fixed month (March 2026, Europe/London, with the switch to summer time on the 29th) built through
the incident services under time-machine. Every figure of it is worked out by hand in the tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from incidents import services
from incidents.models import Incident, IncidentEvent
from incidents.records.outbox import event_publish
from surveys.models import Invitation, Programme
from surveys.services import QuestionSpec, response_submit, submission_parse, template_save
from tests.factories import group, make_incident, make_user

LONDON = ZoneInfo("Europe/London")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def step(when: str, fn, **kwargs) -> Incident:
    with time_machine.travel(at(when), tick=False):
        incident = kwargs.pop("incident", None)
        if incident is not None:
            incident.refresh_from_db()
            kwargs.update(incident=incident, expected_version=incident.version)
        return fn(**kwargs)


def create(when: str, agent, caller, **kwargs) -> Incident:
    with time_machine.travel(at(when), tick=False):
        return make_incident(actor=agent, caller=caller, **kwargs)


def resolve(when: str, actor, inc: Incident) -> Incident:
    return step(
        when,
        services.incident_resolve,
        actor=actor,
        incident=inc,
        resolution_code="workaround",
        resolution_notes="Done.",
    )


def build_march(agent, tech, netops, caller) -> dict[str, Incident]:
    sd, ts, net = group("service-desk"), group("technical-support"), group("network")
    out: dict[str, Incident] = {}

    # I: logged in February, resolved and closed in March (P5, office hours).
    i = create("2026-02-27 10:00", agent, caller, impact=3, urgency=3)
    step("2026-02-27 10:05", services.incident_assign, actor=agent, incident=i, assigned_to=agent)
    resolve("2026-03-02 09:00", agent, i)
    step("2026-03-02 10:00", services.incident_close, actor=agent, incident=i)
    out["I"] = i

    # A: P1 (24x7), responded in 10 min, resolved in 2 h, closed next day.
    a = create("2026-03-02 10:00", agent, caller, impact=1, urgency=1)
    step("2026-03-02 10:10", services.incident_assign, actor=agent, incident=a, assigned_to=agent)
    resolve("2026-03-02 12:00", agent, a)
    step("2026-03-03 09:00", services.incident_close, actor=agent, incident=a)
    out["A"] = a

    # J: cancelled half an hour after it was logged.
    j = create("2026-03-04 09:00", agent, caller)
    step("2026-03-04 09:30", services.incident_cancel, actor=agent, incident=j, reason="Logged twice.")
    out["J"] = j

    # B: P3 by email on a Friday at 17:00, answered on Monday, escalated to tier 2, resolved on Tuesday.
    b = create("2026-03-06 17:00", agent, caller, channel="email")
    step("2026-03-09 08:30", services.incident_assign, actor=agent, incident=b, assigned_to=agent)
    step(
        "2026-03-09 09:00",
        services.incident_escalate,
        actor=agent,
        incident=b,
        assignment_group=ts,
        reason="Needs the technical team.",
    )
    resolve("2026-03-10 10:00", tech, b)
    out["B"] = b

    # C: P2 from the portal, on hold awaiting the caller for two hours.
    c = create("2026-03-11 09:00", agent, caller, impact=1, urgency=2, channel="portal")
    step("2026-03-11 09:05", services.incident_assign, actor=agent, incident=c, assigned_to=agent)
    step("2026-03-11 10:00", services.incident_hold, actor=agent, incident=c, reason="awaiting_caller")
    step("2026-03-11 12:00", services.incident_resume, actor=agent, incident=c)
    resolve("2026-03-11 16:00", agent, c)
    out["C"] = c

    # D: P4 walk-in, resolved, reopened next morning, resolved again three hours later.
    d = create("2026-03-16 09:00", agent, caller, impact=2, urgency=3, channel="walk_in")
    step("2026-03-16 09:30", services.incident_assign, actor=agent, incident=d, assigned_to=agent)
    resolve("2026-03-16 10:00", agent, d)
    step("2026-03-17 09:00", services.incident_reopen, actor=agent, incident=d, reason="Back again.")
    resolve("2026-03-17 12:00", agent, d)
    out["D"] = d

    # E: P3 from monitoring, tier 1 → 2 → 3, still open at the month's end.
    e = create("2026-03-23 09:00", agent, caller, channel="monitoring")
    step("2026-03-23 09:10", services.incident_assign, actor=agent, incident=e, assigned_to=agent)
    step(
        "2026-03-23 09:20",
        services.incident_escalate,
        actor=agent,
        incident=e,
        assignment_group=ts,
        reason="Tier 2 please.",
    )
    step(
        "2026-03-23 10:00",
        services.incident_escalate,
        actor=tech,
        incident=e,
        assignment_group=net,
        reason="A switch.",
    )
    out["E"] = e

    # F: P1 after the switch to summer time: answered late and resolved late (both SLAs breached).
    f = create("2026-03-30 08:00", agent, caller, impact=1, urgency=1)
    step("2026-03-30 08:30", services.incident_assign, actor=agent, incident=f, assigned_to=agent)
    resolve("2026-03-30 13:00", agent, f)
    out["F"] = f

    # G: 23:30 local on the last day: March (22:30 UTC).
    # H: 00:30 local on 1 April: April (23:30 UTC on 31 March).
    out["G"] = create("2026-03-31 23:30", agent, caller, title="Late on the last day")
    out["H"] = create("2026-04-01 00:30", agent, caller, title="Just after midnight")
    assert sd.tier == 1 and net.tier == 3
    return out


def survey_programme(actor) -> Programme:
    """A transactional programme that surveys every resolution, with an optional rating question."""
    template = template_save(
        actor=actor,
        template=None,
        name="After an incident",
        intro="",
        questions=[
            QuestionSpec(kind="rating", text="How satisfied are you?"),
            QuestionSpec(kind="text", text="Anything else?"),
        ],
    )
    return Programme.objects.create(name="After resolution", template=template, sample_percent=100)


def answer_survey(
    when: str, agent, programme: Programme, *, rating: int | None, name: str, resolved: str | None = None
) -> None:
    """A new caller's incident logged and resolved at ``resolved`` (default: ``when``), its survey
    invitation delivered through the event hook, and answered at ``when`` with ``rating`` (None: a
    comment only)."""
    caller = make_user(name)
    inc = create(resolved or when, agent, caller)
    resolve(resolved or when, agent, inc)
    with time_machine.travel(at(resolved or when), tick=False):
        for event_id in IncidentEvent.objects.filter(notified_at__isnull=True).values_list("pk", flat=True):
            event_publish(event_id)
    with time_machine.travel(at(when), tick=False):
        invitation = Invitation.objects.get(programme=programme, incident=inc, user=caller)
        questions = list(invitation.template_version.questions.order_by("position"))
        rating_q, text_q = questions
        data = {f"q{text_q.pk}": f"Comment from {name}"}
        if rating is not None:
            data[f"q{rating_q.pk}"] = str(rating)
        submission = submission_parse(questions, data)
        assert not submission.errors
        response_submit(invitation=invitation, submission=submission)
