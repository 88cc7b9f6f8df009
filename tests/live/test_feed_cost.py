"""What an open page costs while nothing happens (issue 22: idle pages ≤ 10 % of one core), and that
what the feed keeps to save it (a person's standing) never outlives a change of their groups."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalation.access import standing_version
from escalation.models import Membership
from incidents import services
from incidents.models import Category, IncidentEvent
from incidents.records.selectors import (
    WINDOW,
    change_signature,
    change_signature_sql,
    event_window_signature,
    newest_notification_id,
)
from live.standings import standings
from live.watcher import read_signature, watcher
from tests.factories import group, make_incident, make_user

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _restricted(alice):
    security = Category.objects.get(slug="security", parent__isnull=True)
    return make_incident(actor=alice, caller=alice, title="Phishing", category=security)


def test_the_watcher_reads_its_signature_in_one_query(agent, alice):
    make_incident(actor=agent, caller=alice)
    services.incident_comment(
        actor=agent, incident=make_incident(actor=agent, caller=alice), body="x", public=False
    )
    assert change_signature() == (*event_window_signature(), newest_notification_id())
    with CaptureQueriesContext(connection) as queries:
        signature = read_signature()
    assert len(queries.captured_queries) == 1
    assert signature.newest_event == event_window_signature()[0]


def test_the_signature_counts_the_window_with_gaps_as_the_plain_count_does(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    for n in range(6):
        services.incident_comment(actor=agent, incident=incident, body=f"c{n}", public=False)
    newest = IncidentEvent.objects.latest("pk").pk
    IncidentEvent.objects.filter(pk__in=[newest - 1, newest - 3]).delete()  # rolled back, say
    assert change_signature()[:2] == event_window_signature()
    assert change_signature()[1] <= WINDOW


def _plan(sql: str, params: list[int]) -> str:
    with connection.cursor() as cursor:
        # parallel work made free: what a large event table does to the estimates, on a small one
        for setting in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_index_scan_size"):
            cursor.execute(f"SET LOCAL {setting} = 0")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_signature_is_never_read_with_parallel_workers(agent, alice):
    # At a million incidents PostgreSQL planned the window's count, whose bound it cannot know when it
    # plans, as a third of the event table, with two parallel workers, twelve times a second.
    incident = make_incident(actor=agent, caller=alice)
    IncidentEvent.objects.bulk_create(
        IncidentEvent(incident=incident, actor=agent, kind="comment", body=f"c{n}") for n in range(3000)
    )
    events = connection.ops.quote_name(IncidentEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {events}")
    unbounded = (  # the count as it was
        f"SELECT COUNT(*) FROM {events} WHERE id > COALESCE((SELECT MAX(id) FROM {events}), 0) - %s"  # noqa: S608
    )
    assert "Parallel" in _plan(unbounded, [WINDOW])
    assert "Parallel" not in _plan(change_signature_sql(), [WINDOW, WINDOW])


def test_the_default_wait_stays_below_a_proxys_60_second_read_timeout(settings):
    from servicedesk.settings import base

    assert 25 < base.LIVE_WAIT_SECONDS < 60


@pytest.mark.django_db(transaction=True)
def test_a_page_whose_wait_ran_out_with_nothing_new_is_not_read_twice(settings, agent, alice):
    settings.LIVE_WAIT_SECONDS = 0.3
    settings.LIVE_POLL_INTERVAL = 0.05
    incident = make_incident(actor=agent, caller=alice)
    client = _client(agent)
    cursor = client.get("/live/feed/", {"after": "0", "wait": "0"}).json()["cursor"]
    params = {"after": cursor, "notified": "0", "scope": "queue", "shown": incident.number}
    client.get("/live/feed/", params)  # the standing is kept from here on, and the watcher runs
    with CaptureQueriesContext(connection) as at_once:
        client.get("/live/feed/", {**params, "wait": "0"})
    started = time.monotonic()
    with CaptureQueriesContext(connection) as waited:
        answer = client.get("/live/feed/", params).json()
    assert time.monotonic() - started >= 0.3
    assert answer["changes"] == [] and answer["cursor"] == cursor
    # asked at once: the session, its user, the events after the cursor, the bell. A page that will wait
    # and is caught up with the watcher's signature reads only its session and user: anything newer
    # would wake it. No second look when the time is up; the person's roles and groups are kept.
    assert len(at_once.captured_queries) == 4 and len(waited.captured_queries) == 2, [
        q["sql"][:60] for q in waited.captured_queries + at_once.captured_queries
    ]
    watcher.stop()


def test_a_kept_standing_is_read_again_when_the_persons_groups_change(
    agent2, alice, django_capture_on_commit_callbacks
):
    restricted = _restricted(alice)
    client = _client(agent2)
    params = {"after": "0", "wait": "0", "incident": restricted.number}
    assert client.get("/live/feed/", params).status_code == 404
    read = standings.read
    assert client.get("/live/feed/", params).status_code == 404
    assert standings.read == read  # kept

    version = standing_version()
    with django_capture_on_commit_callbacks(execute=True):
        Membership.objects.create(user=agent2, group=group("security"))
    assert standing_version() > version
    assert client.get("/live/feed/", params).status_code == 200  # the security group's member may follow it

    with django_capture_on_commit_callbacks(execute=True):
        Membership.objects.filter(user=agent2, group=group("security")).delete()
    assert client.get("/live/feed/", params).status_code == 404


def test_a_role_given_or_taken_moves_the_standing_version(agent2, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Group

    from escalation.choices import Role

    manager = Group.objects.get(name=Role.INCIDENT_MANAGER)
    version = standing_version()
    with django_capture_on_commit_callbacks(execute=True):
        agent2.groups.add(manager)
    assert standing_version() == version + 1
    with django_capture_on_commit_callbacks(execute=True):
        agent2.groups.add(manager)  # already had it: nothing changed
    assert standing_version() == version + 1
    with django_capture_on_commit_callbacks(execute=True):
        agent2.groups.remove(manager)
    assert standing_version() == version + 2


@pytest.mark.django_db(transaction=True)
def test_a_waiting_page_is_not_answered_from_a_standing_its_person_has_lost(settings, alice):
    settings.LIVE_WAIT_SECONDS = 10
    settings.LIVE_POLL_INTERVAL = 0.05
    secops = make_user("secops-live2", groups=["service-desk", "security"])
    restricted = _restricted(alice)
    cursor = _client(secops).get("/live/feed/", {"after": "0", "wait": "0"}).json()["cursor"]
    result = {}

    def wait():
        params = {"after": cursor, "scope": "queue", "shown": restricted.number}
        result["answer"] = _client(secops).get("/live/feed/", params).json()
        connection.close()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    Membership.objects.filter(user=secops, group=group("security")).delete()  # committed: bumps the version
    time.sleep(0.3)  # the watcher has read the new version
    services.incident_comment(actor=alice, incident=restricted, body="Credentials reset", public=True)
    waiter.join(5)
    assert not waiter.is_alive()
    answer = result["answer"]
    assert answer["changes"] == [] and "Credentials" not in str(answer)
    # asked again, with the standing read afresh: the queue re-reads its rows, learns nothing of the incident
    again = _client(secops).get("/live/feed/", {"after": answer["cursor"], "wait": "0", "scope": "queue"})
    assert again.json()["changes"] == []


@pytest.mark.django_db(transaction=True)
def test_a_caught_up_page_that_read_nothing_still_hears_its_bell(settings, agent, alice):
    from incidents.models import Notification
    from incidents.records.outbox import event_publish

    settings.LIVE_WAIT_SECONDS = 10
    settings.LIVE_POLL_INTERVAL = 0.05
    client = _client(alice)
    first = client.get("/live/feed/", {"after": "0", "wait": "0"}).json()
    result = {}

    def wait():
        params = {"after": first["cursor"], "notified": first["notified"]}
        result["answer"] = _client(alice).get("/live/feed/", params).json()
        connection.close()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive()
    incident = make_incident(actor=agent, caller=alice)
    for pk in incident.events.values_list("pk", flat=True):
        event_publish(pk)  # the caller is told their incident is logged
    assert Notification.objects.filter(recipient=alice).exists()
    waiter.join(5)
    assert not waiter.is_alive()
    assert result["answer"]["bell"] is True and result["answer"]["notified"] > first["notified"]


@pytest.mark.django_db(transaction=True)
def test_a_page_asking_just_after_its_persons_groups_changed_is_answered_from_the_new_ones(
    settings, agent, agent2, alice
):
    settings.LIVE_WAIT_SECONDS = 10
    settings.LIVE_POLL_INTERVAL = 1.0  # the watcher's signature lags the cache by up to a second
    watcher.stop()
    incident = make_incident(actor=agent, caller=alice)
    cursor = _client(agent2).get("/live/feed/", {"after": "0", "wait": "0"}).json()["cursor"]
    results = {}

    def wait(name, user):
        results[name] = _client(user).get("/live/feed/", {"after": cursor, "scope": "queue"}).json()
        connection.close()

    # a colleague's open page keeps the watcher running; it reads its first signature now
    colleague = threading.Thread(target=wait, args=("agent", agent))
    colleague.start()
    time.sleep(0.3)
    # agent2 joins a group (committed: the version moves) and their page asks before the watcher's next poll
    Membership.objects.create(user=agent2, group=group("network"))
    page = threading.Thread(target=wait, args=("agent2", agent2))
    page.start()
    time.sleep(0.2)
    services.incident_comment(actor=agent, incident=incident, body="Now", public=False)
    page.join(5)
    colleague.join(5)
    assert not page.is_alive() and not colleague.is_alive()
    # the watcher's next poll brings the new version and the comment together: not a change of roles
    # since the page asked, so the page is told of the comment rather than sent back to ask again
    assert "comment" in {c["kind"] for c in results["agent2"]["changes"]}
