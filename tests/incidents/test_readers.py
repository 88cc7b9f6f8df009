"""Who hears of an incident: only those who may open it (SPEC §1), whatever the rules of the
register or the recipients of an event say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from escalation.access import access_for
from escalation.models import EscalationPoint
from incidents import permissions
from incidents.models import Category, Notification
from incidents.records.outbox import event_publish
from incidents.selectors import incident_readers
from incidents.sla.sweep import sla_sweep
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(alice):
    security = Category.objects.get(slug="security", parent__isnull=True)
    return make_incident(actor=alice, caller=alice, title="Phishing", category=security)


@pytest.fixture
def everyone(agent, tech, alice, bob, incident_manager):
    return {
        "agent": agent,
        "tech": tech,
        "alice": alice,
        "bob": bob,
        "im": incident_manager,
        "manager": make_user("boss", roles=["Manager"]),
        "secops": make_user("secops7", groups=["security"]),
        "watching_end_user": make_user("carol7"),
        "watching_colleague": make_user("agent7", groups=["service-desk"]),
    }


def test_reader_ids_is_can_view_for_many_people_at_once(restricted, everyone, agent):
    plain = make_incident(actor=agent, caller=everyone["bob"])
    ids = frozenset(u.pk for u in everyone.values())
    for incident in (restricted, plain):
        for who in ("watching_end_user", "watching_colleague"):
            incident.watchers.create(user=everyone[who])
        expected = {u.pk for u in everyone.values() if permissions.can_view(access_for(u), incident)}
        assert permissions.reader_ids(incident, ids) == expected


def test_only_those_who_may_open_a_restricted_incident_are_told_of_it(restricted, everyone, agent):
    restricted.watchers.create(user=everyone["watching_end_user"])
    restricted.watchers.create(user=everyone["watching_colleague"])
    ids = {u.pk for u in everyone.values()}
    told = {name for name, u in everyone.items() if u.pk in incident_readers(restricted, ids)}
    # its caller, the incident manager, its group and the end user watching it
    assert told == {"alice", "im", "secops", "watching_end_user"}
    # an ordinary incident: whoever the recipient rules name (the register may name anyone)
    plain = make_incident(actor=agent, caller=everyone["bob"])
    assert incident_readers(plain, ids) == ids


def test_a_restricted_breach_reaches_no_point_of_escalation_that_may_not_open_it(restricted, everyone):
    for level, who in enumerate(("manager", "im"), start=1):
        EscalationPoint.objects.create(
            group=restricted.assignment_group,
            target="resolution",
            percent=100,
            level=level,
            user=everyone[who],
        )
    sla_sweep(now=timezone.now() + timedelta(days=30))
    for pk in restricted.events.filter(notified_at__isnull=True).values_list("pk", flat=True):
        event_publish(pk)
    told = set(
        Notification.objects.filter(incident=restricted, kind__startswith="sla").values_list(
            "recipient__username", flat=True
        )
    )
    assert {everyone["im"].username, everyone["secops"].username} <= told
    assert everyone["manager"].username not in told
