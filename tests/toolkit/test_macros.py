"""Macros: applied through the lifecycle's services, shown before they run, audited once (issue 23 §1)."""

import pytest
from django.core.exceptions import ValidationError

from incidents.errors import PermissionDenied, TransitionNotAllowed, VersionConflict
from incidents.models import Category, HoldReason, IncidentEvent, ResolutionCode, Status
from tests.factories import group, make_incident
from toolkit import services
from toolkit.models import Macro, MacroRun, MacroStatus

pytestmark = pytest.mark.django_db


def _macro(im, **fields):
    fields.setdefault("name", "Password reset done")
    return services.macro_save(actor=im, **fields)


def test_macro_resolves_with_a_public_reply_through_the_lifecycle(agent, alice, incident_manager):
    macro = _macro(
        incident_manager,
        set_status=MacroStatus.RESOLVED,
        resolution_code=ResolutionCode.USER_GUIDANCE,
        public_reply="Hello {caller_name}, your password for {incident_number} is reset.",
    )
    incident = make_incident(actor=agent, caller=alice)

    run = services.macro_apply(actor=agent, macro=macro, incident=incident, expected_version=incident.version)

    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert incident.resolution_code == ResolutionCode.USER_GUIDANCE
    reply = incident.events.get(kind=IncidentEvent.Kind.COMMENT)
    assert reply.public
    assert reply.body == f"Hello Alice Liddell, your password for {incident.number} is reset."
    assert incident.resolution_notes == reply.body
    # every event the macro caused names it; the macro itself is one audit row
    caused = incident.events.exclude(kind=IncidentEvent.Kind.CREATED)
    assert caused.count() == 2
    assert all(e.changes["macro"]["new"] == "Password reset done" for e in caused)
    assert MacroRun.objects.filter(incident=incident).count() == 1
    assert run.actor == agent
    assert [s["what"] for s in run.steps] == ["Public reply", "Status"]


def test_macro_hands_over_recategorises_and_reprioritises(agent, incident_manager):
    network = group("network")
    hardware = Category.objects.filter(parent__isnull=True, is_active=True).exclude(slug="security").first()
    macro = _macro(
        incident_manager,
        name="Network outage",
        assignment_group=network,
        category=hardware,
        impact=1,
        urgency=1,
        internal_note="Routed by the desk: see the switch logs.",
    )
    incident = make_incident(actor=agent)

    services.macro_apply(actor=agent, macro=macro, incident=incident, expected_version=incident.version)

    incident.refresh_from_db()
    assert incident.assignment_group == network
    assert incident.category == hardware
    assert incident.priority == 1
    note = incident.events.get(kind=IncidentEvent.Kind.COMMENT)
    assert not note.public
    assert MacroRun.objects.filter(incident=incident).count() == 1


def test_plan_shows_what_the_macro_will_do_and_changes_nothing(agent, incident_manager):
    macro = _macro(incident_manager, set_status=MacroStatus.ON_HOLD, hold_reason=HoldReason.AWAITING_CALLER)
    incident = make_incident(actor=agent)
    version = incident.version

    steps = services.macro_plan(macro=macro, incident=incident, agent=agent)

    assert [(s.what, s.old, s.new) for s in steps] == [("Status", Status.NEW, MacroStatus.ON_HOLD)]
    incident.refresh_from_db()
    assert incident.version == version
    assert not MacroRun.objects.exists()


def test_a_refused_step_applies_nothing(agent, incident_manager):
    """Resolving needs the owning group: a macro that replies and resolves changes nothing when the
    resolution is refused, not the reply alone."""
    macro = _macro(
        incident_manager,
        set_status=MacroStatus.RESOLVED,
        resolution_code=ResolutionCode.WORKAROUND,
        public_reply="Fixed.",
    )
    incident = make_incident(actor=agent, assignment_group=group("network"))
    before = incident.events.count()

    with pytest.raises((PermissionDenied, TransitionNotAllowed)):
        services.macro_apply(actor=agent, macro=macro, incident=incident, expected_version=incident.version)

    assert incident.events.count() == before
    assert not MacroRun.objects.exists()


def test_a_stale_version_is_refused(agent, incident_manager):
    macro = _macro(incident_manager, internal_note="Checked.")
    incident = make_incident(actor=agent)

    with pytest.raises(VersionConflict):
        services.macro_apply(
            actor=agent, macro=macro, incident=incident, expected_version=incident.version - 1
        )
    assert not MacroRun.objects.exists()


def test_macros_are_managed_by_incident_managers_only(agent):
    with pytest.raises(PermissionDenied):
        services.macro_save(actor=agent, name="Mine", internal_note="x")


@pytest.mark.parametrize(
    "fields",
    [
        {"set_status": MacroStatus.ON_HOLD},
        {"set_status": MacroStatus.RESOLVED, "resolution_code": ResolutionCode.WORKAROUND},
        {"impact": 1},
        {"description": "changes nothing"},
    ],
)
def test_a_macro_that_cannot_apply_is_not_saved(incident_manager, fields):
    with pytest.raises(ValidationError):
        services.macro_save(actor=incident_manager, name="Broken", **fields)
    assert not Macro.objects.exists()


def test_a_group_macro_is_not_for_other_groups(agent, tech, incident_manager):
    macro = _macro(incident_manager, group=group("technical-support"), internal_note="Tier 2 checklist done.")
    incident = make_incident(actor=agent)

    with pytest.raises(PermissionDenied):
        services.macro_apply(actor=agent, macro=macro, incident=incident, expected_version=incident.version)


def test_a_macro_that_changes_nothing_is_refused(agent, incident_manager):
    macro = _macro(incident_manager, assignment_group=group("service-desk"))
    incident = make_incident(actor=agent)

    with pytest.raises(ValidationError):
        services.macro_apply(actor=agent, macro=macro, incident=incident, expected_version=incident.version)
