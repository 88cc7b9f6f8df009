"""The change feed (live/views.py): what a page is told, and what it never is."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from incidents import services
from incidents.models import Category, Notification
from incidents.records.outbox import event_publish
from live.views import waiting
from tests.factories import group, make_incident, make_user

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _feed(client, **params):
    params.setdefault("wait", "0")
    response = client.get("/live/feed/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_page_learns_of_a_colleagues_change_after_its_cursor(agent, agent2, alice):
    incident = make_incident(actor=agent, caller=alice)
    first = _feed(_client(agent2), after="0")
    cursor = first["cursor"]

    services.incident_comment(actor=agent, incident=incident, body="Looking at the spooler", public=False)

    answer = _feed(_client(agent2), after=str(cursor), scope="queue")
    assert [(c["incident"], c["kind"]) for c in answer["changes"]] == [(incident.number, "comment")]
    # the incident's own page is told who did it (its collision warning names them)
    on_page = _feed(_client(agent2), after=str(cursor), incident=incident.number)
    assert [c["actor"] for c in on_page["changes"]] == [agent.get_full_name() or agent.username]
    assert answer["cursor"] > cursor
    # asked again from the new cursor, nothing is new
    assert _feed(_client(agent2), after=str(answer["cursor"]), scope="queue")["changes"] == []
    # a page that shows no incident (its bell only) is not told of it
    assert _feed(_client(agent2), after=str(cursor))["changes"] == []


def test_a_page_scoped_to_an_incident_hears_of_that_incident_only(agent, agent2, alice):
    mine = make_incident(actor=agent, caller=alice, title="Mine")
    other = make_incident(actor=agent, caller=alice, title="Other")
    cursor = _feed(_client(agent2), after="0")["cursor"]
    services.incident_comment(actor=agent, incident=other, body="x", public=False)
    services.incident_comment(actor=agent, incident=mine, body="y", public=False)

    answer = _feed(_client(agent2), after=str(cursor), incident=mine.number)
    assert {c["incident"] for c in answer["changes"]} == {mine.number}


def test_a_change_to_a_restricted_incident_never_reaches_a_viewer_who_may_not_open_it(agent, alice):
    secops = make_user("secops-live", groups=["security"])
    security = Category.objects.get(slug="security", parent__isnull=True)
    restricted = make_incident(actor=alice, caller=alice, title="Phishing", category=security)
    cursor = _feed(_client(agent), after="0")["cursor"]

    services.incident_comment(actor=secops, incident=restricted, body="Credentials reset", public=False)

    # the agent's queue, even when it claims to show the number, learns nothing of it ...
    for params in (
        {"scope": "queue"},
        {"scope": "dashboard"},
        {"scope": "queue", "shown": restricted.number},
    ):
        answer = _feed(_client(agent), after=str(cursor), **params)
        assert answer["changes"] == [], params
        assert restricted.number not in str(answer) and "Credentials" not in str(answer)
    # ... nor may it follow the incident's own feed
    response = _client(agent).get("/live/feed/", {"after": cursor, "incident": restricted.number})
    assert response.status_code == 404
    # while its security team hears of it
    answer = _feed(_client(secops), after=str(cursor), scope="queue")
    assert [c["incident"] for c in answer["changes"]] == [restricted.number]


def test_a_row_that_leaves_the_viewers_sight_makes_the_queue_reread_without_naming_it(agent, agent2, alice):
    incident = make_incident(actor=agent, caller=alice, title="Odd login")
    viewer = _client(agent2)
    cursor = _feed(viewer, after="0")["cursor"]
    services.incident_assign(
        actor=agent, incident=incident, expected_version=incident.version, assignment_group=group("security")
    )

    answer = _feed(viewer, after=str(cursor), scope="queue", shown=incident.number)
    assert answer["unseen"] is True
    assert incident.number not in str(answer["changes"])
    # a page showing no rows is told nothing at all
    assert _feed(viewer, after=str(cursor), scope="queue")["unseen"] is False


def test_a_callers_portal_feed_carries_public_replies_and_never_internal_notes(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    client = _client(alice)
    cursor = _feed(client, after="0", portal=incident.number)["cursor"]

    services.incident_comment(actor=agent, incident=incident, body="Internal: driver bug", public=False)
    assert _feed(client, after=str(cursor), portal=incident.number)["changes"] == []

    services.incident_comment(actor=agent, incident=incident, body="We are on it", public=True)
    answer = _feed(client, after=str(cursor), portal=incident.number)
    assert [c["kind"] for c in answer["changes"]] == ["comment"]
    assert answer["changes"][0]["actor"] == ""  # the portal names no member of the staff
    assert "driver bug" not in str(answer)


def test_a_first_question_reports_what_changed_since_the_page_was_rendered(agent, agent2, alice):
    rendered = int(time.time())
    incident = make_incident(actor=agent, caller=alice)
    answer = _feed(_client(agent2), since=str(rendered), scope="queue")
    assert incident.number in {c["incident"] for c in answer["changes"]}


def test_the_bell_is_told_when_a_notification_arrives(agent, alice):
    client = _client(alice)
    notified = _feed(client, after="0")["notified"]
    incident = make_incident(actor=agent, caller=alice)
    for pk in incident.events.values_list("pk", flat=True):
        event_publish(pk)  # the outbox's task: the caller is told their incident is logged
    assert Notification.objects.filter(recipient=alice).exists()
    answer = _feed(client, after="0", notified=str(notified))
    assert answer["bell"] is True and answer["notified"] > notified
    assert _feed(client, after="0", notified=str(answer["notified"]))["bell"] is False


@pytest.mark.parametrize(
    "params",
    [
        {"after": "-1"},
        {"after": "x"},
        {"notified": "1.5"},
        {"shown": ",".join(["INC-1"] * 201)},
        {"incident": "x" * 40},
    ],
)
def test_bad_input_is_a_clear_400(agent, params):
    response = _client(agent).get("/live/feed/", {**params, "wait": "0"})
    assert response.status_code == 400
    assert response.json()["error"]


def test_signed_out_is_a_403_not_a_redirect():
    response = Client().get("/live/feed/", {"after": "0"})
    assert response.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_waiting_request_answers_as_soon_as_a_change_commits(settings, agent, agent2, alice):
    settings.LIVE_WAIT_SECONDS = 10
    settings.LIVE_POLL_INTERVAL = 0.05
    incident = make_incident(actor=agent, caller=alice)
    cursor = _feed(_client(agent2), after="0")["cursor"]
    result = {}

    def wait():
        started = time.monotonic()
        result["answer"] = _client(agent2).get("/live/feed/", {"after": cursor, "scope": "queue"}).json()
        result["took"] = time.monotonic() - started
        connection.close()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive(), "it should wait while nothing changes"
    services.incident_comment(actor=agent, incident=incident, body="Now", public=False)
    waiter.join(5)
    assert not waiter.is_alive()
    # a wake-up re-reads the last ids for late commits: the page ignores the ids it already has
    assert {c["incident"] for c in result["answer"]["changes"]} == {incident.number}
    assert "comment" in {c["kind"] for c in result["answer"]["changes"]}
    assert result["took"] < 3


@pytest.mark.django_db(transaction=True)
def test_a_wait_with_nothing_new_answers_empty_when_the_time_is_up(settings, agent):
    settings.LIVE_WAIT_SECONDS = 0.5
    settings.LIVE_POLL_INTERVAL = 0.05
    cursor = _feed(_client(agent), after="0")["cursor"]
    started = time.monotonic()
    answer = _client(agent).get("/live/feed/", {"after": cursor}).json()
    assert answer["changes"] == [] and answer["cursor"] == cursor
    assert 0.4 < time.monotonic() - started < 3


@pytest.mark.django_db(transaction=True)
def test_an_incident_page_sleeps_through_changes_to_other_incidents(settings, agent, agent2, alice):
    settings.LIVE_WAIT_SECONDS = 10
    settings.LIVE_POLL_INTERVAL = 0.05
    mine = make_incident(actor=agent, caller=alice, title="Mine")
    other = make_incident(actor=agent, caller=alice, title="Other")
    cursor = _feed(_client(agent2), after="0")["cursor"]
    result = {}

    def wait():
        result["answer"] = (
            _client(agent2).get("/live/feed/", {"after": cursor, "incident": mine.number}).json()
        )
        connection.close()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    services.incident_comment(actor=agent, incident=other, body="Elsewhere", public=False)
    time.sleep(1.0)
    assert waiter.is_alive(), ("a change to another incident should not wake the page", result)
    services.incident_comment(actor=agent, incident=mine, body="Here", public=False)
    waiter.join(5)
    assert not waiter.is_alive()
    assert {c["incident"] for c in result["answer"]["changes"]} == {mine.number}


@pytest.mark.django_db(transaction=True)
def test_a_colleague_opening_the_incident_wakes_its_page_with_their_presence(settings, agent, agent2, alice):
    settings.LIVE_WAIT_SECONDS = 10
    settings.LIVE_POLL_INTERVAL = 0.05
    incident = make_incident(actor=agent, caller=alice, title="Mine")
    cursor = _feed(_client(agent2), after="0", incident=incident.number)["cursor"]
    result = {}

    def wait():
        params = {"after": cursor, "incident": incident.number}
        result["answer"] = _client(agent2).get("/live/feed/", params).json()
        connection.close()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive()
    _feed(_client(agent), after=str(cursor), incident=incident.number)  # agent opens the page
    waiter.join(5)
    assert not waiter.is_alive(), "the colleague's arrival should wake the page"
    assert [p["name"] for p in result["answer"]["present"]] == [agent.get_full_name() or agent.username]


def test_woken_pages_of_one_person_share_one_answer_and_never_anothers(agent, agent2, alice):
    from escalation.access import access_for
    from live.views import SharedAnswers, Signature, _woken_answer, parse, shared_answers

    make_incident(actor=agent, caller=alice)
    query = parse({"after": "0", "scope": "queue"})
    now = Signature(10**9, 0, 0, 0, 0)  # a signature of its own: nothing cached under it yet
    before = shared_answers.computed
    first = _woken_answer(access_for(agent), query, None, now)
    again = _woken_answer(access_for(agent), query, None, now)  # a second page of the same person
    assert shared_answers.computed == before + 1 and again == first
    _woken_answer(access_for(agent2), query, None, now)  # another person: an answer of their own
    assert shared_answers.computed == before + 2

    # pages woken together wait for the one computing, and take its answer
    board = SharedAnswers()
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return {"changes": []}

    threads = [threading.Thread(target=board.get, args=(("k",), slow)) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_past_the_processs_cap_of_waiting_pages_a_question_is_answered_at_once_and_told_when_to_ask_again(
    settings, agent, agent2, alice
):
    # given a process that may hold one waiting page, and one page waiting
    settings.LIVE_WAIT_SECONDS = 10
    settings.LIVE_POLL_INTERVAL = 0.05
    settings.LIVE_MAX_WAITING = 1
    settings.LIVE_BUSY_AGAIN_SECONDS = 7
    incident = make_incident(actor=agent, caller=alice)
    cursor = _feed(_client(agent2), after="0")["cursor"]
    result = {}

    def wait():
        result["answer"] = _client(agent2).get("/live/feed/", {"after": cursor, "scope": "queue"}).json()
        connection.close()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive(), "the first page waits"
    # when a second page asks while it waits
    started = time.monotonic()
    busy = _client(agent).get("/live/feed/", {"after": cursor, "scope": "queue"}).json()
    # then it is answered at once, with nothing new and when to ask again, its cursor kept
    assert time.monotonic() - started < 3
    assert busy["changes"] == [] and busy["cursor"] == cursor and busy["again_in"] == 7
    # and the waiting page still gets the change, after which the process takes waits again
    services.incident_comment(actor=agent, incident=incident, body="Now", public=False)
    waiter.join(5)
    assert not waiter.is_alive() and "again_in" not in result["answer"]
    assert {c["incident"] for c in result["answer"]["changes"]} == {incident.number}
    assert waiting.count == 0
