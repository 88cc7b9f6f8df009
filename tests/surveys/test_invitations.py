"""Who is invited: the hook, sampling with a seeded draw, audience filters, the per-user limit, staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from escalation.models import CallerProfile
from incidents import services as incident_services
from incidents.models import IncidentEvent
from surveys.models import Invitation, InvitationToken, Programme
from surveys.services import on_incident_event, sampled, token_hash
from tests.factories import group, make_incident, make_user

from .conftest import deliver, resolve

pytestmark = pytest.mark.django_db


def test_sampling_follows_the_percentage_within_statistical_bounds_and_is_reproducible():
    # given 5000 resolutions and a 30 % programme: n p = 1500, sd = sqrt(n p (1 - p)) ≈ 32.4
    n, p = 5000, 30
    picks = [sampled(programme_id=7, incident_id=i, percent=p, seed="test-seed") for i in range(1, n + 1)]
    # then the sample is within 4 standard deviations of 30 %
    assert abs(sum(picks) - 1500) < 4 * 32.4
    # and the same seed decides the same, another seed decides otherwise
    assert picks == [
        sampled(programme_id=7, incident_id=i, percent=p, seed="test-seed") for i in range(1, n + 1)
    ]
    assert picks != [sampled(programme_id=7, incident_id=i, percent=p, seed="other") for i in range(1, n + 1)]
    assert all(sampled(programme_id=7, incident_id=i, percent=100) for i in range(100))
    assert not any(sampled(programme_id=7, incident_id=i, percent=0) for i in range(100))


def test_resolutions_through_the_hook_invite_exactly_the_seeded_sample(settings, agent, programme):
    # given a 50 % programme and no per-user limit, 16 callers' incidents resolved
    settings.SURVEY_USER_LIMIT_DAYS = 0
    settings.SURVEY_SAMPLING_SEED = "resolutions"
    Programme.objects.filter(pk=programme.pk).update(sample_percent=50)
    incidents = [resolve(agent, make_user(f"caller{i}")) for i in range(16)]
    # when the worker publishes the events
    deliver()
    # then exactly the incidents the seeded draw picks are invited, within bounds of 50 %
    expected = {
        i.pk
        for i in incidents
        if sampled(programme_id=programme.pk, incident_id=i.pk, percent=50, seed="resolutions")
    }
    invited = set(Invitation.objects.values_list("incident_id", flat=True))
    assert invited == expected
    assert 2 <= len(invited) <= 14  # 50 % ± 3 sd of 16
    # and each invited caller got one mail whose link works
    assert len(mail.outbox) == len(invited)


def test_a_redelivered_event_or_a_second_resolution_invites_no_one_twice(agent, alice, programme):
    incident = resolve(agent, alice)
    event = IncidentEvent.objects.get(incident=incident, kind="resolved")
    deliver()
    assert on_incident_event(event) == []  # redelivery
    reopened = incident_services.incident_reopen(
        actor=alice, incident=incident, expected_version=incident.version, reason="Still broken"
    )
    incident_services.incident_resolve(
        actor=agent,
        incident=reopened,
        expected_version=reopened.version,
        resolution_code="workaround",
        resolution_notes="Again.",
    )
    deliver()
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_link_token_is_random_long_and_stored_only_hashed(agent, alice, programme):
    resolve(agent, alice)
    deliver()
    url = next(line for line in mail.outbox[0].body.splitlines() if "/surveys/answer/" in line).strip()
    raw = url.rstrip("/").rsplit("/", 1)[1]
    assert len(raw) >= 43  # token_urlsafe(32): 256 bits
    stored = InvitationToken.objects.get()
    assert stored.token_hash == token_hash(raw) and raw not in stored.token_hash


def test_audience_filters_on_group_priority_category_service_and_department(agent, programme):
    # given a programme for the service desk's P3 incidents of callers in Finance
    programme.groups.set([group("service-desk")])
    programme.priorities = [3]
    programme.departments = ["Finance"]
    programme.save()
    finance = make_user("fin")
    CallerProfile.objects.create(user=finance, department="Finance")
    sales = make_user("sales")
    CallerProfile.objects.create(user=sales, department="Sales")
    fin2 = make_user("fin2")
    CallerProfile.objects.create(user=fin2, department="Finance")
    # when three incidents are resolved: one matching, one of another department, one of another priority
    match = resolve(agent, finance, impact=2, urgency=2)
    resolve(agent, sales, impact=2, urgency=2)
    other_priority = resolve(agent, fin2, impact=1, urgency=1)
    deliver()
    assert match.priority == 3 and other_priority.priority != 3
    # then only the matching one is invited
    assert list(Invitation.objects.values_list("incident_id", flat=True)) == [match.pk]
    # and a group filter that leaves the service desk out invites nobody more
    programme.groups.set([group("network")])
    programme.departments = []
    programme.priorities = []
    programme.save()
    resolve(agent, make_user("anyone"))
    deliver()
    assert Invitation.objects.count() == 1


def test_one_survey_per_user_per_limit_across_programmes(settings, agent, alice, template, programme):
    # given two programmes, one on resolve and one on close, and a 30-day limit
    settings.SURVEY_USER_LIMIT_DAYS = 30
    Programme.objects.create(name="On close", template=template, trigger="closed")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = resolve(agent, alice)
        incident_services.incident_close(actor=alice, incident=first, expected_version=first.version)
        deliver()
    # then alice got one invitation, not two
    assert Invitation.objects.filter(user=alice).count() == 1
    # and within 30 days a second incident invites nobody; after them it does
    with time_machine.travel(start + timedelta(days=20), tick=False):
        resolve(agent, alice)
        deliver()
    assert Invitation.objects.filter(user=alice).count() == 1
    with time_machine.travel(start + timedelta(days=31), tick=False):
        resolve(agent, alice)
        deliver()
    assert Invitation.objects.filter(user=alice).count() == 2


def test_staff_are_never_surveyed_about_incidents_they_worked(agent, agent2, tech, programme):
    # given an agent who logs and resolves their own incident: they worked it
    resolve(agent, agent)
    # and a technician who was once the assignee of their own incident, which a colleague resolved
    tech2 = make_user("tech2", groups=["technical-support"])
    incident = make_incident(actor=agent2, caller=tech)
    inc = incident_services.incident_escalate(
        actor=agent2,
        incident=incident,
        expected_version=incident.version,
        assignment_group=group("technical-support"),
        reason="Needs tier 2",
    )
    inc = incident_services.incident_assign(
        actor=tech2, incident=inc, expected_version=inc.version, assigned_to=tech
    )
    inc = incident_services.incident_assign(
        actor=tech2, incident=inc, expected_version=inc.version, assigned_to=tech2
    )
    incident_services.incident_resolve(
        actor=tech2,
        incident=inc,
        expected_version=inc.version,
        resolution_code="workaround",
        resolution_notes="x",
    )
    # and a staff member who only called the service desk about their printer
    caller_only = make_user("tech9", groups=["technical-support"])
    resolve(agent, caller_only)
    deliver()
    # then only the staff member who did not work their incident is invited
    assert set(Invitation.objects.values_list("user__username", flat=True)) == {"tech9"}
