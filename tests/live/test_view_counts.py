"""Saved views' live counts (live/counts.py): pushed on the feed, recounted only when a change may touch
them, coalesced, one aggregate query per reader's view set, and never counting what the reader may not see."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalation.access import access_for
from incidents import services as incident_services
from incidents.models import Category
from live import counts, services
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_board(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "view-counts"}
    }
    counts.board.reset()
    yield
    counts.board.reset()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _count_statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]


def test_which_changes_touch_which_views():
    comment = counts.event_aspects("comment", ())
    assigned = counts.event_aspects("assigned", ("assigned_to",))
    reprioritised = counts.event_aspects("updated", ("priority", "macro"))
    restricted = counts.event_aspects("updated", ("restricted",))
    mine = counts.view_aspects("queue=mine")
    p1_anywhere = counts.view_aspects("queue=all&priority=1&sort=oldest")
    searched = counts.view_aspects("queue=all&q=printer")
    assert counts.touches(assigned, mine) and not counts.touches(assigned, p1_anywhere)
    assert counts.touches(reprioritised, p1_anywhere) and not counts.touches(reprioritised, mine)
    assert not counts.touches(comment, mine) and counts.touches(comment, searched)
    # a field the table does not know may change anything (here: who may see the incident)
    assert counts.touches(restricted, p1_anywhere) and counts.touches(restricted, mine)
    assert counts.touches(counts.event_aspects("created", ()), p1_anywhere)


def test_changes_are_coalesced_to_one_generation_a_second():
    board = counts.Board()
    assert not board.tick(now=100.0)  # nothing gathered
    board.note([frozenset({"status"})])
    assert board.tick(now=100.0) and board.generation == 1
    board.note([frozenset({"priority"})])
    board.note([frozenset({"assignment"})])
    assert not board.tick(now=100.5)  # within the second: kept for later
    assert board.tick(now=101.0) and board.generation == 2
    assert board._touched_since(0) == {"status", "priority", "assignment"}


def test_only_the_touched_views_are_recounted_in_one_query(agent, alice):
    make_incident(actor=agent, caller=alice, title="Printer")
    access = access_for(agent)
    mine = services.view_create(access=access, name="Mine", query="queue=mine")
    urgent = services.view_create(access=access, name="P1", query="queue=all&priority=1")
    everything = services.view_create(access=access, name="All", query="queue=all")
    with CaptureQueriesContext(connection) as first:
        tag, views, _ = counts.board.views_for(access)
    assert [s.count("COUNT(*)") for s in _count_statements(first)] == [3]
    assert {v["name"]: v["count"] for v in views} == {"Mine": 0, "P1": 0, "All": 1}

    # A comment touches none of them: no query at all, the same tag.
    counts.board.note([counts.event_aspects("comment", ())])
    assert counts.board.tick(now=time.monotonic() + 5)
    with CaptureQueriesContext(connection) as unchanged:
        assert counts.board.views_for(access)[0] == tag
    assert _count_statements(unchanged) == []

    # An assignment touches "Mine" only: one statement counting that one view.
    incident_services.incident_assign(
        actor=agent,
        incident=make_incident(actor=agent, caller=alice),
        expected_version=None,
        assigned_to=agent,
    )
    counts.board.note([counts.event_aspects("assigned", ("assigned_to",))])
    assert counts.board.tick(now=time.monotonic() + 10)
    with CaptureQueriesContext(connection) as recount:
        new_tag, views, _ = counts.board.views_for(access)
    assert [s.count("COUNT(*)") for s in _count_statements(recount)] == [1]
    assert new_tag != tag
    # "All" was not recounted (the new incident's creation was not noted): counts move only when told
    assert {v["name"]: v["count"] for v in views} == {"Mine": 1, "P1": 0, "All": 1}
    assert {mine.pk, urgent.pk, everything.pk} == {v["id"] for v in views}


def test_a_count_is_of_the_incidents_the_reader_may_see(agent, alice):
    secops = make_user("secops-c", groups=["security"])
    security = Category.objects.get(slug="security", parent__isnull=True)
    make_incident(actor=alice, caller=alice, title="Phishing", category=security)
    make_incident(actor=agent, caller=alice, title="Printer")
    services.view_create(access=access_for(agent), name="Everything", query="queue=all")
    services.view_create(access=access_for(secops), name="Everything", query="queue=all")
    agent_views = _client(agent).get("/live/feed/", {"after": "0", "views": "", "wait": "0"}).json()["views"]
    secops_views = (
        _client(secops).get("/live/feed/", {"after": "0", "views": "", "wait": "0"}).json()["views"]
    )
    assert [v["count"] for v in agent_views] == [1]
    assert [v["count"] for v in secops_views] == [2]
    # a caller has no views, and a bad tag is a 400
    assert "views" not in _client(alice).get("/live/feed/", {"after": "0", "views": "", "wait": "0"}).json()
    assert _client(agent).get("/live/feed/", {"after": "0", "views": "<x>"}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_a_waiting_page_is_pushed_new_counts_and_sleeps_through_changes_that_move_none(
    settings, agent, agent2, alice
):
    settings.LIVE_WAIT_SECONDS = 10
    settings.LIVE_POLL_INTERVAL = 0.05
    incident = make_incident(actor=agent, caller=alice)
    services.view_create(access=access_for(agent2), name="Mine", query="queue=mine")
    first = _client(agent2).get("/live/feed/", {"after": "0", "views": "", "wait": "0"}).json()
    assert [v["count"] for v in first["views"]] == [0]
    result = {}

    def wait():
        params = {"after": first["cursor"], "views": first["views_tag"]}
        result["answer"] = _client(agent2).get("/live/feed/", params).json()
        result["at"] = time.monotonic()
        connection.close()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    incident_services.incident_comment(actor=agent, incident=incident, body="Only talk", public=False)
    time.sleep(1.5)  # a comment moves no count of a "mine" queue: the page sleeps on
    assert waiter.is_alive(), result
    incident_services.incident_assign(
        actor=agent, incident=incident, expected_version=None, assigned_to=agent2
    )
    assigned_at = time.monotonic()
    waiter.join(5)
    assert not waiter.is_alive()
    assert [v["count"] for v in result["answer"]["views"]] == [1]
    assert result["at"] - assigned_at < 2.5
