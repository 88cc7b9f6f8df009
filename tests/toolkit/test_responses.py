"""Response templates: variables, personal or shared per group, searchable (issue 23 §1)."""

import pytest
from django.utils import timezone

from escalation.access import access_for
from incidents.errors import PermissionDenied
from tests.factories import group, make_incident
from toolkit import selectors, services

pytestmark = pytest.mark.django_db


def test_variables_are_filled_for_the_incident(agent, alice, settings):
    incident = make_incident(actor=agent, caller=alice)
    text = (
        "Dear {caller_name}, {incident_number} is due {due_time}; "
        "see {article:KB0000007}. {unknown} {agent_name}"
    )

    out = services.response_render(text=text, incident=incident, agent=agent)

    due = timezone.localtime(incident.resolution_due_at)
    assert out.startswith(f"Dear Alice Liddell, {incident.number} is due ")
    assert str(due.year) in out
    assert f"{settings.SITE_URL}/knowledge/articles/KB0000007/" in out
    assert out.endswith("{unknown} Ann Agent")


def test_personal_group_and_shared_templates_reach_the_right_people(agent, agent2, tech, incident_manager):
    services.response_template_save(actor=agent, title="Mine", body="a", personal=True)
    services.response_template_save(
        actor=agent, title="Desk", body="b", personal=False, group=group("service-desk")
    )
    services.response_template_save(actor=incident_manager, title="Everyone", body="c", personal=False)

    def titles(user):
        return sorted(t.title for t in selectors.responses_for(access=access_for(user)))

    assert titles(agent) == ["Desk", "Everyone", "Mine"]
    assert titles(agent2) == ["Desk", "Everyone"]
    assert titles(tech) == ["Everyone"]


def test_search_matches_title_and_text(agent):
    services.response_template_save(actor=agent, title="Password reset", body="Your password", personal=True)
    services.response_template_save(actor=agent, title="Printer", body="Toner ordered", personal=True)

    found = selectors.responses_for(access=access_for(agent), q="toner")

    assert [t.title for t in found] == ["Printer"]


def test_templates_in_the_wanted_language_come_first(agent):
    services.response_template_save(actor=agent, title="A english", body="x", personal=True, language="en")
    services.response_template_save(actor=agent, title="B deutsch", body="x", personal=True, language="de")

    found = selectors.responses_for(access=access_for(agent), language="de")

    assert [t.title for t in found] == ["B deutsch", "A english"]


def test_sharing_is_limited_to_ones_own_groups(agent, alice):
    with pytest.raises(PermissionDenied):
        services.response_template_save(
            actor=agent, title="x", body="x", personal=False, group=group("network")
        )
    with pytest.raises(PermissionDenied):
        services.response_template_save(actor=agent, title="x", body="x", personal=False)
    with pytest.raises(PermissionDenied):
        services.response_template_save(actor=alice, title="x", body="x", personal=True)


def test_only_the_owner_edits_a_personal_template(agent, agent2):
    mine = services.response_template_save(actor=agent, title="Mine", body="a", personal=True)
    with pytest.raises(PermissionDenied):
        services.response_template_save(actor=agent2, template=mine, title="Stolen", body="b", personal=True)
