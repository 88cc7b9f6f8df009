"""The incident page and its POST endpoints: every action, and every refusal (issue 3)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.models import Consultation, Incident, IncidentEvent, Status
from tests.factories import group, make_incident
from tests.ui.conftest import client_for


def post(client, incident, action, **data):
    data.setdefault("version", incident.version)
    return client.post(f"/incidents/{incident.number}/{action}/", data)


def fresh(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


@pytest.fixture
def incident(agent, alice):
    return make_incident(actor=agent, caller=alice, title="VPN drops every hour")


@pytest.fixture
def with_tech(incident, agent):
    return services.incident_escalate(
        actor=agent,
        incident=incident,
        expected_version=incident.version,
        assignment_group=group("technical-support"),
        reason="Needs tier 2",
    )


# --- the page offers what the user may do ----------------------------------------------------


def offered(response) -> set[str]:
    return {name for name, _label, _form, _url in response.context["actions"]}


@pytest.mark.django_db
def test_the_page_offers_the_owning_group_its_lifecycle_actions(agent, incident):
    response = client_for(agent).get(f"/incidents/{incident.number}/")
    assert response.status_code == 200
    assert {
        "take",
        "assign",
        "escalate",
        "consult",
        "resolve",
        "cancel",
        "comment",
        "attach",
        "link",
        "major",
    } <= (offered(response))
    assert not {"resume", "reopen", "close", "hold"} & offered(response)  # not in status "new"


@pytest.mark.django_db
def test_a_non_owning_tier_sees_no_actions_but_reads_the_incident(netops, incident):
    response = client_for(netops).get(f"/incidents/{incident.number}/")
    assert response.status_code == 200
    assert offered(response) == set()


@pytest.mark.django_db
def test_the_service_desk_follows_up_an_incident_it_no_longer_owns(agent, with_tech):
    names = offered(client_for(agent).get(f"/incidents/{with_tech.number}/"))
    assert names == {"comment", "attach", "cancel"}


@pytest.mark.django_db
def test_escalation_picker_groups_support_groups_by_tier(agent, incident):
    body = client_for(agent).get(f"/incidents/{incident.number}/").content.decode()
    assert '<optgroup label="Tier 2 · technical">' in body
    assert '<optgroup label="Tier 3 · hardware/software">' in body


# --- each action ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_take_assigns_the_incident_to_me(agent, incident):
    response = post(client_for(agent), incident, "take")
    assert response.status_code == 302
    assert fresh(incident).assigned_to == agent


@pytest.mark.django_db
def test_assign_to_a_person_of_the_group(agent, agent2, incident):
    response = post(client_for(agent), incident, "assign", assigned_to="agent2")
    assert response.status_code == 302
    assert fresh(incident).assigned_to == agent2


@pytest.mark.django_db
def test_assign_to_someone_outside_the_group_is_refused_on_the_form(agent, tech, incident):
    response = post(client_for(agent), incident, "assign", assigned_to="tech1")
    assert response.status_code == 400  # not even a choice of the form
    assert fresh(incident).assigned_to is None


@pytest.mark.django_db
def test_escalate_with_a_reason_and_message(agent, tech, incident):
    response = post(
        client_for(agent),
        incident,
        "escalate",
        assignment_group="technical-support",
        reason="VPN concentrator",
    )
    assert response.status_code == 302
    assert fresh(incident).assignment_group.slug == "technical-support"
    event = IncidentEvent.objects.get(kind="escalated")
    assert event.body == "VPN concentrator" and event.actor == agent


@pytest.mark.django_db
def test_escalate_without_a_reason_keeps_the_form(agent, incident):
    response = post(client_for(agent), incident, "escalate", assignment_group="technical-support", reason="")
    assert response.status_code == 400
    assert response.context["open_action"] == "escalate"
    assert fresh(incident).assignment_group.slug == "service-desk"


@pytest.mark.django_db
def test_start_hold_resume_resolve_reopen_close(agent, incident):
    client = client_for(agent)
    post(client, incident, "take")
    assert post(client, fresh(incident), "start").status_code == 302
    assert fresh(incident).status == Status.IN_PROGRESS
    assert post(client, fresh(incident), "hold", reason="awaiting_vendor", note="RMA").status_code == 302
    assert fresh(incident).status == Status.ON_HOLD
    assert post(client, fresh(incident), "resume").status_code == 302
    assert fresh(incident).status == Status.IN_PROGRESS
    assert (
        post(
            client, fresh(incident), "resolve", resolution_code="workaround", resolution_notes="Restarted"
        ).status_code
        == 302
    )
    assert fresh(incident).status == Status.RESOLVED
    assert post(client, fresh(incident), "reopen", reason="Still broken").status_code == 302
    assert fresh(incident).status == Status.IN_PROGRESS
    post(client, fresh(incident), "resolve", resolution_code="permanent_fix", resolution_notes="Replaced")
    assert post(client, fresh(incident), "close", close_notes="Caller confirmed").status_code == 302
    assert fresh(incident).status == Status.CLOSED


@pytest.mark.django_db
def test_resolve_needs_notes(agent, incident):
    response = post(client_for(agent), incident, "resolve", resolution_code="workaround", resolution_notes="")
    assert response.status_code == 400
    assert fresh(incident).status == Status.NEW


@pytest.mark.django_db
def test_cancel_as_a_duplicate(agent, alice, incident):
    original = make_incident(actor=agent, caller=alice, title="Original")
    response = post(
        client_for(agent), incident, "cancel", reason="Same as the other", duplicate_of=original.number
    )
    assert response.status_code == 302
    inc = fresh(incident)
    assert inc.status == Status.CANCELLED and inc.duplicate_of == original


@pytest.mark.django_db
def test_cancel_naming_an_unknown_duplicate_is_a_form_error(agent, incident):
    response = post(client_for(agent), incident, "cancel", reason="dup", duplicate_of="INC9999999")
    assert response.status_code == 400
    assert "There is no incident INC9999999" in response.content.decode()


@pytest.mark.django_db
def test_link_a_parent_and_flag_a_major_incident(agent, alice, incident):
    parent = make_incident(actor=agent, caller=alice, title="Site outage")
    client = client_for(agent)
    assert post(client, incident, "link", parent=parent.number, duplicate_of="").status_code == 302
    assert fresh(incident).parent == parent
    # an agent proposes (issue 13): the incident manager declares
    assert post(client, fresh(incident), "major", major_incident="on", why="Whole site").status_code == 302
    assert fresh(incident).major_incident is False
    assert fresh(incident).major.proposed_by == agent


@pytest.mark.django_db
def test_consult_and_the_consulted_group_answers_on_the_page(agent, access_member, incident):
    assert (
        post(
            client_for(agent), incident, "consult", group="access", question="Is the account locked?"
        ).status_code
        == 302
    )
    consultation = Consultation.objects.get()
    client = client_for(access_member)
    page = client.get(f"/incidents/{incident.number}/")
    assert 'data-testid="answer-form"' in page.content.decode()
    response = client.post(
        f"/incidents/{incident.number}/answer/",
        {"consultation": consultation.pk, "answer": "Yes, unlocked now."},
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.answer == "Yes, unlocked now." and consultation.answered_by == access_member


@pytest.mark.django_db
def test_only_the_consulted_group_answers(agent, netops, incident):
    services.incident_consult(
        actor=agent,
        incident=incident,
        expected_version=incident.version,
        group=group("access"),
        question="Locked?",
    )
    consultation = Consultation.objects.get()
    response = client_for(netops).post(
        f"/incidents/{incident.number}/answer/", {"consultation": consultation.pk, "answer": "me"}
    )
    assert response.status_code == 403
    consultation.refresh_from_db()
    assert consultation.answered_at is None


@pytest.mark.django_db
def test_comments_public_and_internal_are_told_apart(agent, incident):
    client = client_for(agent)
    assert (
        client.post(
            f"/incidents/{incident.number}/comment/", {"body": "Called back", "public": "1"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/incidents/{incident.number}/comment/", {"body": "Suspect DNS", "public": "0"}
        ).status_code
        == 302
    )
    comments = {e.body: e.public for e in IncidentEvent.objects.filter(kind="comment")}
    assert comments == {"Called back": True, "Suspect DNS": False}
    body = client.get(f"/incidents/{incident.number}/").content.decode()
    assert body.count("timeline-internal") >= 1 and body.count("timeline-public") >= 1
    assert "bi-lock" in body and "Internal" in body


@pytest.mark.django_db
def test_attach_several_files(agent, incident):
    response = client_for(agent).post(
        f"/incidents/{incident.number}/attach/",
        {
            "uploads": [SimpleUploadedFile("a.txt", b"one"), SimpleUploadedFile("b.txt", b"two")],
            "public": "on",
        },
    )
    assert response.status_code == 302
    assert sorted(incident.attachments.values_list("original_name", flat=True)) == ["a.txt", "b.txt"]


@pytest.mark.django_db
def test_edit_fields_recomputes_priority(agent, incident, taxonomy):
    client = client_for(agent)
    page = client.get(f"/incidents/{incident.number}/edit/")
    assert page.status_code == 200
    response = client.post(
        f"/incidents/{incident.number}/edit/",
        {
            "version": incident.version,
            "title": "VPN drops",
            "description": "d",
            "impact": 1,
            "urgency": 1,
            "category": taxonomy["software"].pk,
            "subcategory": taxonomy["email"].pk,
            "service": "printing",
            "problem_reference": "",
            "change_reference": "",
        },
    )
    assert response.status_code == 302
    inc = fresh(incident)
    assert (inc.title, inc.priority, inc.subcategory) == ("VPN drops", 1, taxonomy["email"])


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_wrong_role_is_refused_with_a_message(netops, incident):
    response = post(
        client_for(netops), incident, "resolve", resolution_code="workaround", resolution_notes="x"
    )
    assert response.status_code == 403
    assert "you are not a member of that group" in response.content.decode()
    assert fresh(incident).status == Status.NEW


@pytest.mark.django_db
def test_service_desk_may_not_link_an_incident_another_group_owns(agent, with_tech):
    response = post(client_for(agent), with_tech, "major", major_incident="on")
    assert response.status_code == 403
    assert fresh(with_tech).major_incident is False


@pytest.mark.django_db
def test_wrong_state_is_refused_with_a_message(agent, incident):
    response = post(client_for(agent), incident, "close", close_notes="")
    assert response.status_code == 409
    assert "it cannot be closed now" in response.content.decode()


@pytest.mark.django_db
def test_a_stale_version_is_refused_and_keeps_the_text_with_the_new_version(agent, agent2, incident):
    seen = incident.version
    post(client_for(agent2), incident, "take")
    client = client_for(agent)
    response = post(
        client,
        incident,
        "resolve",
        version=seen,
        resolution_code="workaround",
        resolution_notes="My careful notes",
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "agent2 changed" in body
    assert "My careful notes" in body
    current = fresh(incident).version
    forms = {name: form for name, _label, form, _url in response.context["actions"]}
    assert str(forms["resolve"]["version"].value()) == str(current)
    # The second submit, with the version the page now carries, applies it.
    again = post(
        client,
        incident,
        "resolve",
        version=current,
        resolution_code="workaround",
        resolution_notes="My careful notes",
    )
    assert again.status_code == 302
    assert fresh(incident).status == Status.RESOLVED


@pytest.mark.django_db
def test_two_agents_editing_the_same_incident(agent, agent2, incident, taxonomy):
    seen = incident.version
    base = {
        "description": "",
        "impact": 2,
        "urgency": 2,
        "category": "",
        "subcategory": "",
        "service": "",
        "problem_reference": "",
        "change_reference": "",
    }
    first = client_for(agent2).post(
        f"/incidents/{incident.number}/edit/", {**base, "version": seen, "title": "Changed by agent2"}
    )
    assert first.status_code == 302
    client = client_for(agent)
    second = client.post(f"/incidents/{incident.number}/edit/", {**base, "version": seen, "title": "Mine"})
    assert second.status_code == 409
    body = second.content.decode()
    assert "agent2 changed Title" in body and 'value="Mine"' in body
    assert fresh(incident).title == "Changed by agent2"
    confirmed = client.post(
        f"/incidents/{incident.number}/edit/", {**base, "version": fresh(incident).version, "title": "Mine"}
    )
    assert confirmed.status_code == 302
    assert fresh(incident).title == "Mine"


@pytest.mark.django_db
def test_unknown_action_is_404(agent, incident):
    assert post(client_for(agent), incident, "explode").status_code == 404


@pytest.mark.django_db
def test_get_on_an_action_endpoint_is_refused(agent, incident):
    assert client_for(agent).get(f"/incidents/{incident.number}/resolve/").status_code == 405
