"""Sessions in real Chromium (issue 26): an incident manager schedules a knowledge-sharing session,
then records the attendance, minutes and a decision of a past review seminar; axe on each page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from meetings.models import Session
from meetings.services import session_schedule
from reporting.models import ReviewAction
from tests.browser.helpers import axe_violations, signed_in_page
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def people(db):
    return {
        "im": make_user("im", roles=["Incident manager"], email="im@example.org"),
        "agent": make_user("agent", groups=["service-desk"], first_name="Amira", last_name="Haddad"),
        "netops": make_user("netops", groups=["network"], first_name="Nia", last_name="Okafor"),
    }


def test_an_incident_manager_schedules_a_session_and_records_a_past_one(
    live_server, browser: Browser, people
):
    page = signed_in_page(browser, live_server, people["im"])
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="Process", exact=True).click()
    page.get_by_role("link", name="Sessions").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review seminars")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Schedule a session").click()
    assert axe_violations(page) == []
    page.get_by_label("Kind").select_option(label="Knowledge-sharing session")
    page.get_by_label("Title").fill("Network faults we learnt from")
    page.get_by_label("Starts at").fill("2030-01-10T14:00")
    page.get_by_label("Topic").fill("VPN reconnects")
    page.get_by_label("Groups invited (every member)").select_option(label="Network")
    page.get_by_role("button", name="Schedule and invite").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Network faults we learnt from")
    expect(page.get_by_test_id("invitees")).to_contain_text("Nia Okafor")
    assert axe_violations(page) == []
    session = Session.objects.get(title="Network faults we learnt from")
    assert set(session.invitees.values_list("user__username", flat=True)) == {"im", "netops"}

    past = session_schedule(
        actor=people["im"],
        kind=Session.Kind.SHARING,
        title="Tier 1 tips",
        starts_at=timezone.now() - timedelta(hours=2),
        topic="Password resets",
        users=[people["agent"], people["netops"]],
    )
    page.goto(f"{live_server.url}/sessions/{past.pk}/")
    form = page.get_by_test_id("attendance-form")
    form.get_by_label("Amira Haddad").check()
    form.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Attendance saved.")).to_be_visible()
    page.get_by_label("Minutes (Markdown)").fill("We agreed on **one** script.")
    page.get_by_role("button", name="Save minutes").click()
    expect(page.get_by_test_id("minutes").locator("strong")).to_have_text("one")
    page.get_by_role("textbox", name="Decision").fill("Publish the reset script")
    page.get_by_label("Owner of the action").select_option("agent")
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    page.get_by_label("Due date").fill(due)
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_test_id("decisions")).to_contain_text("Publish the reset script")
    expect(page.get_by_test_id("decisions")).to_contain_text("Amira Haddad")
    assert axe_violations(page) == []
    action = ReviewAction.objects.get()
    assert (action.title, action.owner.username, action.due_date.isoformat()) == (
        "Publish the reset script",
        "agent",
        due,
    )

    agent_page = signed_in_page(browser, live_server, people["agent"])
    agent_page.goto(f"{live_server.url}/sessions/mine/")
    expect(agent_page.get_by_test_id("attended")).to_contain_text("Tier 1 tips")
    assert axe_violations(agent_page) == []


def test_training_is_assigned_seen_by_the_member_and_completion_by_the_lead(
    live_server, browser: Browser, people
):
    from escalation.models import Membership
    from knowledge.models import Choice, Question, Quiz, Topic

    quiz = Quiz.objects.create(slug="process", title="The escalation process", mode=Quiz.Mode.FIXED)
    question = Question.objects.create(text="Who declares a major incident?", topic=Topic.SLA)
    Choice.objects.create(question=question, text="The incident manager", is_correct=True)
    quiz.questions.set([question])
    lead = make_user("netlead", groups=["network"], first_name="Lea", last_name="Lead")
    Membership.objects.filter(user=lead).update(is_lead=True)

    page = signed_in_page(browser, live_server, people["im"])
    page.goto(f"{live_server.url}/sessions/training/plans/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Assign training").click()
    page.get_by_label("Title").fill("Escalation for the network")
    page.get_by_label("For the members of the group").select_option(label="Network")
    page.get_by_label("Quiz to pass").select_option(label="The escalation process")
    page.get_by_label("Quiz due").fill((timezone.localdate() + timedelta(days=10)).isoformat())
    page.get_by_label("This is the escalation-process training").check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Escalation for the network")
    expect(page.get_by_test_id("progress")).to_contain_text("Nia Okafor")

    member = signed_in_page(browser, live_server, people["netops"])
    member.goto(f"{live_server.url}/sessions/")
    member.get_by_role("link", name="My training").click()
    expect(member.get_by_test_id("my-training")).to_contain_text("The escalation process")
    assert axe_violations(member) == []

    lead_page = signed_in_page(browser, live_server, lead)
    lead_page.goto(f"{live_server.url}/sessions/training/plans/")
    expect(lead_page.get_by_test_id("plans")).to_contain_text("0 of 2")
    lead_page.goto(f"{live_server.url}/escalation/")
    expect(lead_page.get_by_test_id("group-network")).to_contain_text(
        "0 of 2 members completed the escalation-process training"
    )


def test_a_manager_reads_staffing_against_the_load(live_server, browser: Browser, people):
    from tests.factories import group, make_incident

    manager = make_user("boss", roles=["Manager"])
    for days in (8, 15):
        make_incident(
            actor=people["agent"],
            assignment_group=group("network"),
            now=timezone.now() - timedelta(days=days),
        )
    page = signed_in_page(browser, live_server, manager)
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="Reports", exact=True).click()
    page.get_by_role("link", name="Staffing").first.click()
    expect(page.get_by_test_id("staffing")).to_contain_text("Network")
    assert axe_violations(page) == []
    page.get_by_test_id("staffing").get_by_role("link", name="Network").click()
    expect(page.get_by_test_id("grid")).to_be_visible()
    expect(page.get_by_test_id("weeks")).to_contain_text("forecast")
    assert axe_violations(page) == []
