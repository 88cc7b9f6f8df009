"""Time worked on an incident, and the minutes by group for the team lead and staffing (issue 23 §4)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from escalation.access import access_for
from incidents.errors import PermissionDenied
from tests.factories import group, make_incident, make_user
from toolkit import selectors, services

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_time_is_counted_for_the_group_holding_the_incident(agent, tech, incident_manager):
    desk = make_incident(actor=agent)
    second = make_incident(actor=agent, assignment_group=group("technical-support"))
    services.time_record(actor=agent, incident=desk, minutes=20, note="Called the user", now=NOW)
    services.time_record(actor=agent, incident=desk, minutes=10, now=NOW)
    services.time_record(actor=tech, incident=second, minutes=45, now=NOW)
    services.time_record(actor=tech, incident=second, minutes=5, now=NOW - timedelta(days=40))

    minutes = selectors.time_worked_by_group(
        access=access_for(incident_manager), start=NOW - timedelta(days=1), end=NOW + timedelta(days=1)
    )

    assert minutes == {group("service-desk").pk: 30, group("technical-support").pk: 45}
    assert sorted(t.minutes for t in selectors.time_worked_on(desk)) == [10, 20]


def test_only_managers_read_the_totals(agent):
    services.time_record(actor=agent, incident=make_incident(actor=agent), minutes=5, now=NOW)

    assert (
        selectors.time_worked_by_group(access=access_for(agent), start=NOW, end=NOW + timedelta(hours=1))
        == {}
    )


@pytest.mark.parametrize("minutes", [0, -5, 24 * 60 + 1])
def test_impossible_durations_are_refused(agent, minutes):
    with pytest.raises(ValidationError):
        services.time_record(actor=agent, incident=make_incident(actor=agent), minutes=minutes)


def test_callers_record_no_time(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    with pytest.raises(PermissionDenied):
        services.time_record(actor=alice, incident=incident, minutes=5)


def test_recorded_from_the_incident_page(client, agent):
    incident = make_incident(actor=agent)
    client.force_login(agent)

    assert client.post(f"/toolkit/incidents/{incident.number}/time/", {"minutes": "15"}).status_code == 302
    assert client.post(f"/toolkit/incidents/{incident.number}/time/", {"minutes": "x"}).status_code == 302
    assert [t.minutes for t in selectors.time_worked_on(incident)] == [15]
    panel = client.get(f"/toolkit/incidents/{incident.number}/panel/")
    assert "15" in panel.text and "Record time" in panel.text


def test_a_stranger_cannot_post_time_on_a_restricted_incident(client, agent, incident_manager):
    restricted = make_incident(actor=incident_manager, assignment_group=group("security"))
    client.force_login(make_user("tech9", groups=["technical-support"]))

    assert client.post(f"/toolkit/incidents/{restricted.number}/time/", {"minutes": "5"}).status_code == 404
