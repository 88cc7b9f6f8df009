"""Two API clients PATCH the same version at the same moment: no lost update (SPEC §2, §13)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from incidents.models import Incident, IncidentEvent
from tests.api.conftest import client_for
from tests.factories import make_incident, make_user


@pytest.mark.django_db(transaction=True)
def test_two_clients_patching_the_same_version_at_once_give_one_200_and_one_409():
    # given two agents who both read version 1, each on their own connection
    agent_a = make_user("api-agent-a", groups=["service-desk"])
    agent_b = make_user("api-agent-b", groups=["service-desk"])
    incident = make_incident(actor=agent_a, caller=make_user("api-caller"))
    clients = {"A": client_for(agent_a), "B": client_for(agent_b)}
    barrier = threading.Barrier(2)
    answers: dict[str, tuple[int, dict]] = {}

    def patch(who: str) -> None:
        try:
            barrier.wait()
            response = clients[who].patch(
                f"/api/v1/incidents/{incident.number}/",
                {"version": 1, "title": f"Title from {who}"},
                format="json",
            )
            answers[who] = (response.status_code, response.json())
        finally:
            connections.close_all()

    # when both save at once
    threads = [threading.Thread(target=patch, args=(who,)) for who in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    # then one wins, the other is told the version it must read again
    assert sorted(status for status, _ in answers.values()) == [200, 409]
    winner = next(who for who, (status, _) in answers.items() if status == 200)
    loser_body = next(body for status, body in answers.values() if status == 409)
    assert loser_body["current_version"] == 2
    assert incident.number in loser_body["detail"]
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.title == f"Title from {winner}" and stored.version == 2
    assert IncidentEvent.objects.filter(incident=incident, kind=IncidentEvent.Kind.UPDATED).count() == 1
