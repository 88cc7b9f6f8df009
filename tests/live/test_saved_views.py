"""Saved views (live/): who sees which view, what its count counts, and the pages and API around them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation import config_cache
from escalation.access import access_for
from incidents.models import Category
from live import selectors, services
from live.models import SavedView
from tests.factories import group, make_incident, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "views"}
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _names(user) -> set[str]:
    return {v.name for v in selectors.views_visible_to(access_for(user))}


def test_a_personal_view_is_its_owners_alone(agent, agent2, incident_manager):
    services.view_create(access=access_for(agent), name="My P1s", query="queue=open&priority=1")
    assert _names(agent) == {"My P1s"}
    assert _names(agent2) == set()
    assert _names(incident_manager) == set()


def test_a_group_view_is_seen_by_the_groups_members_only(agent, agent2, tech):
    services.view_create(
        access=access_for(agent),
        name="Desk unassigned",
        query="queue=unassigned",
        group=group("service-desk"),
    )
    assert _names(agent2) == {"Desk unassigned"}
    assert _names(tech) == set()
    # a member who leaves the group no longer sees it
    agent2.memberships.all().delete()
    assert _names(agent2) == set()


def test_an_agent_shares_only_with_their_own_groups_and_a_manager_publishes_to_any(
    agent, tech, incident_manager
):
    with pytest.raises(ValidationError) as error:
        services.view_create(access=access_for(agent), name="Theirs", query="", group=group("network"))
    assert "group" in error.value.message_dict
    services.view_create(
        access=access_for(incident_manager), name="Net P1", query="priority=1", group=group("network")
    )
    netops = make_user("netops-v", groups=["network"])
    assert _names(netops) == {"Net P1"}
    assert _names(incident_manager) == {"Net P1"}  # its owner
    # a queue of "my groups" for someone in none counts nothing, without an error
    theirs = services.view_create(access=access_for(incident_manager), name="Groups", query="queue=groups")
    assert selectors.view_counts(access_for(incident_manager), [theirs]) == {theirs.pk: 0}


def test_callers_save_no_views(alice):
    with pytest.raises(PermissionDenied):
        services.view_create(access=access_for(alice), name="x", query="")


@pytest.mark.parametrize(
    ("name", "query", "field"),
    [
        ("", "queue=open", "name"),
        ("x" * 81, "", "name"),
        ("Bad queue", "queue=nowhere", "query"),
        ("Bad sort", "sort=sideways", "query"),
        ("Bad priority", "priority=9", "query"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(agent, name, query, field):
    with pytest.raises(ValidationError) as error:
        services.view_create(access=access_for(agent), name=name, query=query)
    assert field in error.value.message_dict


def test_the_query_keeps_queue_sort_and_filters_only(agent):
    view = services.view_create(
        access=access_for(agent),
        name="Clean",
        query="queue=open&priority=2&cursor=abc&format=csv&evil=1&sort=oldest",
    )
    assert view.query == "queue=open&priority=2&sort=oldest"
    with pytest.raises(ValidationError):
        services.view_create(access=access_for(agent), name="Clean", query="")  # the same name twice


def test_counts_respect_restricted_incidents_and_come_from_one_query(agent, alice):
    secops = make_user("secops-v", groups=["security"])
    security = Category.objects.get(slug="security", parent__isnull=True)
    make_incident(actor=alice, caller=alice, title="Phishing", category=security)
    make_incident(actor=agent, caller=alice, title="Printer", channel="email")
    make_incident(actor=agent, caller=alice, title="Scanner", channel="email")
    everything = services.view_create(access=access_for(agent), name="All", query="queue=all")
    p3 = services.view_create(access=access_for(agent), name="Mail", query="queue=all&channel=email")
    searched = services.view_create(access=access_for(agent), name="Printers", query="queue=all&q=printer")
    mine = services.view_create(access=access_for(secops), name="All (security)", query="queue=all")

    access = access_for(agent)
    views = [everything, p3, searched]
    # as in a request: the configuration's version is read once (escalation.config_cache.unit)
    with CaptureQueriesContext(connection) as queries, config_cache.unit():
        counts = selectors.view_counts(access, views)
    assert counts == {everything.pk: 2, p3.pk: 2, searched.pk: 1}
    # the configuration's version, the keys of the restricted incidents, the search's probe of the
    # text-search index (two statements: incidents.selectors._few_matches) and one count query
    assert len(queries) <= 6
    count_queries = [q for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert len(count_queries) == 1
    # kept briefly: asked again, no query
    with CaptureQueriesContext(connection) as again:
        assert selectors.view_counts(access, views) == counts
    assert len(again) == 0
    # the security analyst counts the restricted incident
    assert selectors.view_counts(access_for(secops), [mine]) == {mine.pk: 3}


def test_a_count_follows_a_change_once_the_cache_expires(agent, alice, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    view = services.view_create(access=access_for(agent), name="Open", query="queue=open")
    access = access_for(agent)
    assert selectors.view_counts(access, [view]) == {view.pk: 0}
    make_incident(actor=agent, caller=alice)
    assert selectors.view_counts(access, [view]) == {view.pk: 0}  # still the kept count
    time_machine.shift(selectors.COUNTS_SECONDS + 1)
    assert selectors.view_counts(access, [view]) == {view.pk: 1}


def test_the_queue_page_lists_views_with_counts_and_the_save_form_works(agent, agent2, alice):
    make_incident(actor=agent, caller=alice, channel="email")
    client = _client(agent)
    page = client.get("/live/views/", {"query": "queue=all&channel=email"})
    assert page.status_code == 200
    response = client.post(
        "/live/views/", {"name": "Mail anywhere", "query": "queue=all&channel=email", "group": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == "/incidents/?queue=all&channel=email"
    queue = client.get(response["Location"])
    assert b"Mail anywhere" in queue.content
    assert b'data-testid="saved-view-count">1<' in queue.content
    # another agent does not see it
    assert b"Mail anywhere" not in _client(agent2).get("/incidents/").content


def test_bad_form_input_is_a_400_with_the_reason(agent):
    client = _client(agent)
    response = client.post("/live/views/", {"name": "", "query": "queue=all"})
    assert response.status_code == 400
    response = client.post("/live/views/", {"name": "x", "query": "queue=nowhere"})
    assert response.status_code == 400
    assert "There is no queue" in response.content.decode()
    response = client.post("/live/views/", {"name": "x", "query": "", "group": "999999"})
    assert response.status_code == 400
    assert client.post("/live/views/delete/", {"view": "abc"}).status_code == 400


def test_only_the_owner_deletes_a_personal_view(agent, agent2):
    view = services.view_create(access=access_for(agent), name="Mine", query="")
    assert _client(agent2).post("/live/views/delete/", {"view": view.pk}).status_code == 404
    shared = services.view_create(
        access=access_for(agent), name="Shared", query="", group=group("service-desk")
    )
    assert _client(agent2).post("/live/views/delete/", {"view": shared.pk}).status_code == 403
    assert _client(agent).post("/live/views/delete/", {"view": view.pk}).status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_callers_get_no_views_pages(alice):
    assert _client(alice).get("/live/views/").status_code == 403
    assert _client(alice).get("/api/v1/views/").status_code == 403


def test_the_api_lists_creates_and_deletes_views(agent, agent2, alice):
    make_incident(actor=agent, caller=alice, channel="email")
    client = _client(agent)
    created = client.post(
        "/api/v1/views/",
        {"name": "P1", "query": "queue=all&channel=email", "group": "service-desk"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["count"] == 1 and body["group"] == "service-desk" and body["owner"] == "agent1"
    listed = _client(agent2).get("/api/v1/views/").json()
    assert [(v["name"], v["count"]) for v in listed] == [("P1", 1)]
    bad = client.post("/api/v1/views/", {"name": "", "query": "sort=x"}, content_type="application/json")
    assert bad.status_code == 400
    assert _client(agent2).delete(f"/api/v1/views/{body['id']}/").status_code == 403
    assert client.get("/api/v1/views/nonsense/").status_code == 404
    assert client.delete(f"/api/v1/views/{body['id']}/").status_code == 204
    assert client.get("/api/v1/views/").json() == []


def test_the_queue_pages_bar_keeps_its_views_and_sees_a_new_one_at_once(
    agent, alice, django_capture_on_commit_callbacks
):
    make_incident(actor=agent, caller=alice, title="Printer", channel="email")
    access = access_for(agent)
    first = services.view_create(access=access, name="Mail", query="queue=all&channel=email")
    assert [(v.name, v.count, v.shared) for v in selectors.nav_views(access)] == [("Mail", 1, False)]
    with CaptureQueriesContext(connection) as kept:
        assert [v.pk for v in selectors.nav_views(access)] == [first.pk]
    assert len(kept) == 0  # neither the views nor their counts are read again while kept
    # a creation (or deletion) moves the views' version: the next page shows it, not after the counts'
    # seconds; here with the services' on-commit hook run as the request's commit would
    with django_capture_on_commit_callbacks(execute=True):
        shared = services.view_create(
            access=access, name="Desk", query="queue=open", group=group("service-desk")
        )
    assert [(v.name, v.shared) for v in selectors.nav_views(access)] == [("Desk", True), ("Mail", False)]
    with django_capture_on_commit_callbacks(execute=True):
        services.view_delete(access=access, view=shared)
    assert [v.name for v in selectors.nav_views(access)] == ["Mail"]
