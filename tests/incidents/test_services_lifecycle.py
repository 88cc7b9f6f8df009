"""Every move of the lifecycle table, allowed and refused (SPEC §4)."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.errors import PermissionDenied, TransitionNotAllowed
from incidents.models import TRANSITIONS, HoldReason, IncidentEvent, ResolutionCode, Status
from tests.factories import group, make_incident

pytestmark = pytest.mark.django_db


def _bring_to(status, *, incident, agent):
    """Drive a fresh incident (owned by the service desk) into ``status`` through the services."""
    v = incident.version
    if status == Status.NEW:
        return incident
    if status == Status.ASSIGNED:
        return services.incident_assign(actor=agent, incident=incident, expected_version=v, assigned_to=agent)
    if status == Status.IN_PROGRESS:
        return services.incident_start(actor=agent, incident=incident, expected_version=v)
    if status == Status.ON_HOLD:
        inc = services.incident_start(actor=agent, incident=incident, expected_version=v)
        return services.incident_hold(
            actor=agent, incident=inc, expected_version=inc.version, reason=HoldReason.AWAITING_VENDOR
        )
    if status == Status.RESOLVED:
        return services.incident_resolve(
            actor=agent,
            incident=incident,
            expected_version=v,
            resolution_code=ResolutionCode.WORKAROUND,
            resolution_notes="Restarted the spooler.",
        )
    if status == Status.CLOSED:
        inc = _bring_to(Status.RESOLVED, incident=incident, agent=agent)
        return services.incident_close(actor=agent, incident=inc, expected_version=inc.version)
    if status == Status.CANCELLED:
        return services.incident_cancel(
            actor=agent, incident=incident, expected_version=v, reason="Logged twice"
        )
    raise AssertionError(status)


def _perform(action, *, incident, agent):
    v = incident.version
    calls = {
        "assign": lambda: services.incident_assign(
            actor=agent, incident=incident, expected_version=v, assigned_to=agent
        ),
        "start": lambda: services.incident_start(actor=agent, incident=incident, expected_version=v),
        "escalate": lambda: services.incident_escalate(
            actor=agent,
            incident=incident,
            expected_version=v,
            assignment_group=group("technical-support"),
            reason="Needs a technician on site",
        ),
        "hold": lambda: services.incident_hold(
            actor=agent, incident=incident, expected_version=v, reason=HoldReason.AWAITING_CALLER
        ),
        "resume": lambda: services.incident_resume(actor=agent, incident=incident, expected_version=v),
        "resolve": lambda: services.incident_resolve(
            actor=agent,
            incident=incident,
            expected_version=v,
            resolution_code=ResolutionCode.PERMANENT_FIX,
            resolution_notes="Replaced the toner.",
        ),
        "reopen": lambda: services.incident_reopen(
            actor=agent, incident=incident, expected_version=v, reason="Still broken"
        ),
        "close": lambda: services.incident_close(actor=agent, incident=incident, expected_version=v),
        "cancel": lambda: services.incident_cancel(
            actor=agent, incident=incident, expected_version=v, reason="Duplicate"
        ),
        "merge": lambda: services.incident_merge(
            actor=agent, incident=incident, expected_version=v, into=make_incident(actor=agent)
        ),
        "consult": lambda: services.incident_consult(
            actor=agent,
            incident=incident,
            expected_version=v,
            group=group("access"),
            question="Has the badge expired?",
        ),
        "update": lambda: services.incident_update(
            actor=agent, incident=incident, expected_version=v, title="Printer on floor 4"
        ),
        "comment": lambda: services.incident_comment(
            actor=agent, incident=incident, body="Called back", public=True
        ),
    }
    return calls[action]()


ACTIONS = [a for a in TRANSITIONS if a != "attach"]  # attach has its own tests (files)
CASES = [(action, status) for action in ACTIONS for status in Status.values]


@pytest.mark.parametrize(("action", "status"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_every_move_is_allowed_or_refused_by_the_transition_table(action, status, agent, alice):
    incident = _bring_to(status, incident=make_incident(actor=agent, caller=alice), agent=agent)
    assert incident.status == status
    transition = TRANSITIONS[action]
    events_before = IncidentEvent.objects.filter(incident=incident).count()

    if status in transition.sources:
        result = _perform(action, incident=incident, agent=agent)
        incident.refresh_from_db()
        if transition.target is not None:
            assert incident.status == transition.target
        else:
            assert incident.status == status
        assert IncidentEvent.objects.filter(incident=incident).count() > events_before
        assert result is not None
    else:
        with pytest.raises(TransitionNotAllowed) as excinfo:
            _perform(action, incident=incident, agent=agent)
        message = str(excinfo.value)
        assert incident.number in message
        assert status.replace("_", " ") in message
        assert "That is possible only when it is" in message
        incident.refresh_from_db()
        assert incident.status == status
        assert IncidentEvent.objects.filter(incident=incident).count() == events_before


def test_resolving_requires_a_code_and_notes(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    with pytest.raises(ValidationError) as excinfo:
        services.incident_resolve(
            actor=agent, incident=incident, expected_version=1, resolution_code="", resolution_notes="x"
        )
    assert "resolution_code" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.incident_resolve(
            actor=agent,
            incident=incident,
            expected_version=1,
            resolution_code="workaround",
            resolution_notes=" ",
        )
    assert "resolution_notes" in excinfo.value.message_dict
    incident.refresh_from_db()
    assert incident.status == Status.NEW and incident.version == 1


def test_first_contact_resolution_is_resolved_without_leaving_tier_one(agent, tech, alice):
    fcr = _bring_to(Status.RESOLVED, incident=make_incident(actor=agent, caller=alice), agent=agent)
    assert fcr.is_first_contact_resolution

    escalated = make_incident(actor=agent, caller=alice)
    escalated = services.incident_escalate(
        actor=agent,
        incident=escalated,
        expected_version=1,
        assignment_group=group("technical-support"),
        reason="Hardware",
    )
    escalated = services.incident_assign(
        actor=tech,
        incident=escalated,
        expected_version=escalated.version,
        assignment_group=group("service-desk"),
        assigned_to=agent,
    )
    escalated = services.incident_resolve(
        actor=agent,
        incident=escalated,
        expected_version=escalated.version,
        resolution_code="workaround",
        resolution_notes="Done",
    )
    assert escalated.max_tier_reached == 2
    assert not escalated.is_first_contact_resolution
    assert [h.group.slug for h in escalated.handoffs.order_by("id")] == [
        "service-desk",
        "technical-support",
        "service-desk",
    ]
    assert escalated.handoffs.filter(ended_at__isnull=True).count() == 1


def test_a_caller_confirms_or_reopens_only_their_own_resolved_incident(agent, alice, bob):
    incident = _bring_to(Status.RESOLVED, incident=make_incident(actor=agent, caller=alice), agent=agent)
    with pytest.raises(PermissionDenied):
        services.incident_reopen(actor=bob, incident=incident, expected_version=incident.version, reason="no")
    reopened = services.incident_reopen(
        actor=alice, incident=incident, expected_version=incident.version, reason="no"
    )
    assert reopened.status == Status.IN_PROGRESS and reopened.reopen_count == 1
    resolved = services.incident_resolve(
        actor=agent,
        incident=reopened,
        expected_version=reopened.version,
        resolution_code="workaround",
        resolution_notes="Again",
    )
    closed = services.incident_close(actor=alice, incident=resolved, expected_version=resolved.version)
    assert closed.status == Status.CLOSED and closed.closed_at is not None


def test_a_caller_cannot_work_the_incident(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    with pytest.raises(PermissionDenied):
        services.incident_start(actor=alice, incident=incident, expected_version=1)
    with pytest.raises(PermissionDenied):
        services.incident_cancel(actor=alice, incident=incident, expected_version=1, reason="x")


def test_another_group_cannot_work_an_incident_it_does_not_own(agent, netops, alice):
    incident = make_incident(actor=agent, caller=alice)
    with pytest.raises(PermissionDenied) as excinfo:
        services.incident_start(actor=netops, incident=incident, expected_version=1)
    assert "Service Desk" in str(excinfo.value)


def test_the_service_desk_closes_an_incident_owned_by_another_group(agent, netops, alice):
    incident = make_incident(actor=agent, caller=alice)
    incident = services.incident_escalate(
        actor=agent, incident=incident, expected_version=1, assignment_group=group("network"), reason="Switch"
    )
    incident = services.incident_resolve(
        actor=netops,
        incident=incident,
        expected_version=incident.version,
        resolution_code="permanent_fix",
        resolution_notes="Port re-patched",
    )
    assert incident.assigned_to == netops
    closed = services.incident_close(actor=agent, incident=incident, expected_version=incident.version)
    assert closed.status == Status.CLOSED


def test_only_awaiting_caller_pauses_the_sla_clock(agent, alice):
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as traveller:
        incident = _bring_to(
            Status.IN_PROGRESS, incident=make_incident(actor=agent, caller=alice), agent=agent
        )
        held = services.incident_hold(
            actor=agent,
            incident=incident,
            expected_version=incident.version,
            reason=HoldReason.AWAITING_CALLER,
        )
        assert held.sla_state == "paused"
        traveller.shift(dt.timedelta(minutes=30))
        resumed = services.incident_resume(actor=agent, incident=held, expected_version=held.version)
        assert resumed.sla_paused_seconds == 1800
        held = services.incident_hold(
            actor=agent, incident=resumed, expected_version=resumed.version, reason=HoldReason.AWAITING_VENDOR
        )
        traveller.shift(dt.timedelta(minutes=30))
        resumed = services.incident_resume(actor=agent, incident=held, expected_version=held.version)
        assert resumed.sla_paused_seconds == 1800


def test_a_caller_reply_resumes_an_incident_awaiting_the_caller(agent, alice):
    incident = _bring_to(Status.IN_PROGRESS, incident=make_incident(actor=agent, caller=alice), agent=agent)
    services.incident_hold(
        actor=agent, incident=incident, expected_version=incident.version, reason=HoldReason.AWAITING_CALLER
    )
    services.incident_comment(actor=alice, incident=incident, body="Here is the screenshot", public=True)
    incident.refresh_from_db()
    assert incident.status == Status.IN_PROGRESS and incident.hold_reason == ""
    comment = incident.events.get(kind="comment")
    assert comment.public is True  # (a private one is refused: test_review_defects)


def test_children_follow_the_parent_resolution(agent, alice, bob):
    parent = make_incident(actor=agent, caller=alice, title="Mail is down")
    child = make_incident(actor=agent, caller=bob, title="I get no mail", parent=parent)
    services.incident_resolve(
        actor=agent,
        incident=parent,
        expected_version=parent.version,
        resolution_code="permanent_fix",
        resolution_notes="Mail relay restarted",
    )
    child.refresh_from_db()
    assert child.status == Status.RESOLVED
    assert parent.number in child.resolution_notes


def test_escalation_refuses_the_current_group_and_consulted_groups(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    with pytest.raises(ValidationError) as excinfo:
        services.incident_escalate(
            actor=agent,
            incident=incident,
            expected_version=1,
            assignment_group=group("service-desk"),
            reason="x",
        )
    assert "assignment_group" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        services.incident_escalate(
            actor=agent, incident=incident, expected_version=1, assignment_group=group("access"), reason="x"
        )
    with pytest.raises(ValidationError) as excinfo:
        services.incident_escalate(
            actor=agent, incident=incident, expected_version=1, assignment_group=group("network"), reason=""
        )
    assert "reason" in excinfo.value.message_dict


def test_a_consulted_group_answers_without_taking_ownership(agent, access_member, alice):
    incident = make_incident(actor=agent, caller=alice)
    consultation = services.incident_consult(
        actor=agent,
        incident=incident,
        expected_version=1,
        group=group("access"),
        question="Is the account locked?",
    )
    answered = services.consultation_answer(
        actor=access_member, consultation=consultation, answer="Yes, unlocked"
    )
    incident.refresh_from_db()
    assert answered.answered_at is not None and answered.answered_by == access_member
    assert incident.assignment_group.slug == "service-desk"
    assert list(incident.events.values_list("kind", flat=True)) == [
        "created",
        "consulted",
        "consultation_answered",
    ]
    with pytest.raises(ValidationError):
        services.consultation_answer(actor=access_member, consultation=consultation, answer="again")


def test_autoclose_closes_resolved_incidents_after_three_business_days(agent, alice):
    import datetime as dt

    import time_machine

    with time_machine.travel(
        dt.datetime(2026, 3, 6, 10, 0, tzinfo=dt.UTC), tick=False
    ) as traveller:  # a Friday
        incident = _bring_to(Status.RESOLVED, incident=make_incident(actor=agent, caller=alice), agent=agent)
        traveller.move_to(dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC))  # Tuesday: 2 business days
        assert services.incidents_autoclose() == 0
        traveller.move_to(dt.datetime(2026, 3, 11, 10, 0, tzinfo=dt.UTC))  # Wednesday: 3 business days
        assert services.incidents_autoclose() == 1
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    event = incident.events.get(kind="closed")
    assert event.actor is None and "automatically" in event.body
