"""Routing rules on every channel, the dry run, and assignment within a group that skips absent
people and people outside their working hours (issue 23 §2)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from knox.models import AuthToken
from rest_framework.test import APIClient

from escalation.access import access_for
from escalation.models import CallerProfile
from incidents.errors import PermissionDenied
from incidents.models import Category, Channel, Incident, IncidentEvent, Status
from incidents.selectors import incidents_visible_to
from tests.factories import group, make_incident, make_user
from tests.intake.conftest import Inbox
from toolkit import routing, services
from toolkit.models import Absence, AssignmentMode, RoutingRule, WorkingHours

pytestmark = pytest.mark.django_db


@pytest.fixture
def vpn_rule(incident_manager):
    return services.routing_rule_save(
        actor=incident_manager, name="VPN to network", keywords="vpn, tunnel", group=group("network")
    )


def _created(incident: Incident) -> IncidentEvent:
    return incident.events.get(kind=IncidentEvent.Kind.CREATED)


def test_a_keyword_routes_an_agents_incident_and_the_timeline_names_the_rule(agent, vpn_rule):
    incident = make_incident(actor=agent, title="VPN drops every hour")

    assert incident.assignment_group == group("network")
    assert _created(incident).changes["routing_rule"] == {"old": None, "new": "VPN to network"}


def test_no_match_leaves_the_service_desk(agent, vpn_rule):
    incident = make_incident(actor=agent, title="Printer jam")

    assert incident.assignment_group == group("service-desk")
    assert "routing_rule" not in _created(incident).changes


def test_a_group_chosen_by_hand_is_kept(agent, vpn_rule):
    incident = make_incident(actor=agent, title="VPN", assignment_group=group("technical-support"))

    assert incident.assignment_group == group("technical-support")


def test_the_first_matching_rule_wins(agent, incident_manager, vpn_rule):
    services.routing_rule_save(
        actor=incident_manager,
        name="Email",
        keywords="vpn",
        channel=Channel.EMAIL,
        position=1,
        group=group("technical-support"),
    )

    by_mail = make_incident(actor=agent, title="VPN", channel=Channel.EMAIL)
    assert by_mail.assignment_group == group("technical-support")
    assert make_incident(actor=agent, title="VPN", channel=Channel.PHONE).assignment_group == group("network")


def test_category_service_and_department_conditions(agent, alice, incident_manager):
    top = Category.objects.create(name="Network", slug="network-x")
    sub = Category.objects.create(name="Wi-Fi", slug="wifi", parent=top)
    CallerProfile.objects.create(user=alice, department="Finance")
    services.routing_rule_save(
        actor=incident_manager,
        name="Finance network",
        category=top,
        caller_department="finance",
        group=group("network"),
    )

    assert make_incident(actor=agent, caller=alice, category=top, subcategory=sub).assignment_group == group(
        "network"
    )
    assert make_incident(actor=agent, caller=agent, category=top).assignment_group == group("service-desk")


def test_the_security_category_is_routed_before_any_rule(agent, incident_manager):
    services.routing_rule_save(
        actor=incident_manager, name="All phishing", keywords="phishing", group=group("network")
    )
    security = Category.objects.get(slug="security", parent__isnull=True)

    incident = make_incident(actor=agent, title="Phishing mail", category=security)

    assert incident.assignment_group == group("security")


def test_a_rule_routes_a_portal_report(client, alice, vpn_rule):
    client.force_login(alice)
    client.post(
        "/portal/report/",
        {"title": "VPN fails from home", "description": "x", "stops_work": "blocked", "affected": "me"},
    )

    incident = Incident.objects.get(caller=alice)
    assert incident.channel == Channel.PORTAL
    assert incident.assignment_group == group("network")


def test_a_rule_routes_a_mail(tmp_path, settings, django_capture_on_commit_callbacks, alice, vpn_rule):
    settings.INBOUND_MAILDIR = str(tmp_path / "inbox")
    inbox = Inbox(tmp_path / "inbox", on_commit=django_capture_on_commit_callbacks)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = alice.email, "servicedesk@example.org", "Tunnel is down"
    msg["Message-ID"] = "<routing-1@mail.example.org>"
    msg.set_content("The VPN tunnel drops.")
    inbox.drop(msg.as_bytes())

    inbox.poll()

    incident = Incident.objects.get(caller=alice)
    assert incident.channel == Channel.EMAIL
    assert incident.assignment_group == group("network")


def test_a_rule_routes_an_api_create(agent, vpn_rule):
    cache.clear()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=agent)[1]}")

    response = api.post("/api/v1/incidents/", {"title": "VPN broken"}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["assignment_group"] == "network"


def test_rules_are_managed_by_incident_managers_and_need_a_condition(agent, incident_manager):
    with pytest.raises(PermissionDenied):
        services.routing_rule_save(actor=agent, name="x", keywords="x", group=group("network"))
    with pytest.raises(ValidationError):
        services.routing_rule_save(actor=incident_manager, name="everything", group=group("network"))
    with pytest.raises(ValidationError):  # a consulted group cannot own incidents
        services.routing_rule_save(actor=incident_manager, name="x", keywords="x", group=group("access"))


def test_dry_run_counts_what_the_rule_would_have_caught_last_month(agent, incident_manager):
    make_incident(actor=agent, title="VPN slow")
    make_incident(actor=agent, title="vpn down", assignment_group=group("network"))
    make_incident(actor=agent, title="Printer")
    with time_machine.travel(datetime.now(UTC) - timedelta(days=40)):
        make_incident(actor=agent, title="VPN long ago")
    spec = routing.RuleSpec(name="new", group_id=group("network").pk, keywords=("vpn",))

    result = routing.dry_run(
        incidents=incidents_visible_to(access_for(incident_manager)),
        rules=routing.rules_with(spec, 1),
        rule=spec,
    )

    assert (result.examined, result.caught, result.differs) == (3, 2, 1)
    assert not RoutingRule.objects.exists()


# --- assignment within a group --------------------------------------------------------------

MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
def network_team(incident_manager):
    """Three network members; the group assigns by round robin."""
    people = [make_user(name, groups=["network"]) for name in ("net-a", "net-b", "net-c")]
    services.group_assignment_set(
        actor=incident_manager, group=group("network"), mode=AssignmentMode.ROUND_ROBIN
    )
    return people


def _log(agent):
    return make_incident(actor=agent, title="Switch down", assignment_group=group("network"))


@time_machine.travel(MONDAY_10, tick=False)
def test_round_robin_gives_each_member_one_in_turn(agent, network_team, settings):
    settings.TIME_ZONE = "UTC"
    got = [_log(agent).assigned_to.username for _ in range(4)]

    assert got == ["net-a", "net-b", "net-c", "net-a"]
    first = Incident.objects.order_by("id").first()
    assert first.status == Status.ASSIGNED
    assert first.responded_at is None  # a rule's pick is not a response
    assert _created(first).changes["assigned_by"]["new"] == "Round robin"


@time_machine.travel(MONDAY_10, tick=False)
def test_absent_people_are_skipped(agent, network_team):
    a, b, c = network_team
    Absence.objects.create(
        user=a, starts_at=MONDAY_10 - timedelta(days=1), ends_at=MONDAY_10 + timedelta(days=1)
    )

    assert [_log(agent).assigned_to for _ in range(3)] == [b, c, b]


def test_people_outside_their_working_hours_are_skipped(agent, network_team, settings):
    settings.TIME_ZONE = "UTC"
    a, b, c = network_team
    for person in (a, b):
        WorkingHours.objects.create(user=person, weekday=0, starts=time(8), ends=time(12))
    WorkingHours.objects.create(user=c, weekday=0, starts=time(12), ends=time(18))

    with time_machine.travel(MONDAY_10, tick=False):
        morning = {_log(agent).assigned_to for _ in range(2)}
    with time_machine.travel(MONDAY_10 + timedelta(hours=4), tick=False):
        afternoon = _log(agent).assigned_to
    with time_machine.travel(MONDAY_10 + timedelta(hours=10), tick=False):
        night = _log(agent)

    assert morning == {a, b}
    assert afternoon == c
    assert night.assigned_to is None and night.status == Status.NEW  # nobody at work: left to take


@time_machine.travel(MONDAY_10, tick=False)
def test_least_open_work_picks_the_least_loaded(agent, network_team, incident_manager):
    a, b, c = network_team
    services.group_assignment_set(
        actor=incident_manager, group=group("network"), mode=AssignmentMode.LEAST_OPEN
    )
    for person in (a, a, b):
        make_incident(actor=agent, assignment_group=group("network"), assigned_to=person)

    assert _log(agent).assigned_to == c


def test_least_open_work_skips_the_absent_and_those_off_shift(
    agent, network_team, incident_manager, settings
):
    settings.TIME_ZONE = "UTC"
    a, b, c = network_team
    services.group_assignment_set(
        actor=incident_manager, group=group("network"), mode=AssignmentMode.LEAST_OPEN
    )
    for person in (a, a, b):
        make_incident(actor=agent, assignment_group=group("network"), assigned_to=person)
    Absence.objects.create(user=c, starts_at=MONDAY_10, ends_at=MONDAY_10 + timedelta(days=1))
    WorkingHours.objects.create(user=b, weekday=0, starts=time(8), ends=time(12))

    with time_machine.travel(MONDAY_10, tick=False):
        at_ten = _log(agent).assigned_to  # c is away: b, the least loaded of those at work
    with time_machine.travel(MONDAY_10 + timedelta(hours=4), tick=False):
        at_two = _log(agent).assigned_to  # b's day is over: a, however loaded

    assert (at_ten, at_two) == (b, a)


def test_a_manual_group_leaves_incidents_to_take(agent):
    make_user("net-z", groups=["network"])

    assert _log(agent).assigned_to is None


def test_people_on_shift_and_absences_between(network_team):
    a, b, c = network_team
    away = Absence.objects.create(user=b, starts_at=MONDAY_10, ends_at=MONDAY_10 + timedelta(hours=2))

    assert routing.people_on_shift(group("network"), MONDAY_10 + timedelta(hours=1)) == [a, c]
    assert routing.absences_between(MONDAY_10 - timedelta(days=1), MONDAY_10 + timedelta(days=1)) == [away]
    assert routing.absences_between(MONDAY_10, MONDAY_10 + timedelta(days=1), group=group("access")) == []


# --- the pages ------------------------------------------------------------------------------


def test_a_rule_is_saved_only_after_its_dry_run(client, agent, incident_manager):
    make_incident(actor=agent, title="VPN slow")
    client.force_login(incident_manager)
    form = {"name": "VPN", "position": 5, "keywords": "vpn", "group": group("network").pk, "is_active": "on"}

    blind = client.post("/toolkit/routing/new/", {**form, "save": "1"})
    assert blind.status_code == 200 and not RoutingRule.objects.exists()
    assert "would have routed 1" in blind.text

    checked = blind.context["checked"]
    changed = client.post(
        "/toolkit/routing/new/", {**form, "keywords": "vpn, wifi", "save": "1", "checked": checked}
    )
    assert changed.status_code == 200 and not RoutingRule.objects.exists()  # not the values that were checked

    saved = client.post("/toolkit/routing/new/", {**form, "save": "1", "checked": checked})
    assert saved.status_code == 302
    assert RoutingRule.objects.get().keywords == "vpn"


def test_routing_pages_are_for_incident_managers(client, agent, incident_manager):
    client.force_login(agent)
    assert client.get("/toolkit/routing/").status_code == 403
    assert client.post("/toolkit/routing/groups/network/", {"network-mode": "round_robin"}).status_code == 403
    client.force_login(incident_manager)
    assert client.post("/toolkit/routing/groups/network/", {"network-mode": "round_robin"}).status_code == 302
    assert group("network").assignment_mode.mode == AssignmentMode.ROUND_ROBIN
