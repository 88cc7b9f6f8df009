"""The hot reads cost a bounded number of queries whatever the rows they show (SPEC §13, issue 14).

The incidents here differ in everything a page or the API shows of them (groups, assignees,
callers, reporters, categories and subcategories, services, parents, duplicates), so that a
related object read row by row (an N+1) blows the bound; and the values shown are checked
against the database, so that the batched reads of ``selectors.attach_related`` cannot show
one row's category or parent on another.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from escalation.access import access_for
from incidents import services
from incidents.models import Category, Incident, Service
from tests.factories import group, make_incident, make_user

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10  # SPEC §13


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def varied(agent, alice, bob):
    """Twelve incidents over four groups, two categories with subcategories, two services,
    three callers, two reporters; some with a parent, one a duplicate, some assigned."""
    hardware = Category.objects.create(name="Hardware", slug="hardware")
    laptop = Category.objects.create(name="Laptop", slug="laptop", parent=hardware)
    software = Category.objects.create(name="Software", slug="software")
    mail = Category.objects.create(name="Mail client", slug="mail", parent=software)
    services_ = [
        Service.objects.create(name="Email", slug="email"),
        Service.objects.create(name="VPN", slug="vpn"),
    ]
    carol = make_user("carol", first_name="Carol", last_name="Caller")
    agent2 = make_user("agent2x", groups=["service-desk"])
    groups = [group("service-desk"), group("network"), group("technical-support"), group("desktop")]
    parent = make_incident(actor=agent, caller=alice, title="Parent outage", category=hardware)
    made = [parent]
    for n in range(11):
        category, subcategory = [(hardware, laptop), (software, mail), (None, None)][n % 3]
        made.append(
            make_incident(
                actor=agent if n % 2 else agent2,
                caller=[alice, bob, carol][n % 3],
                title=f"Case {n}",
                category=category,
                subcategory=subcategory,
                service=services_[n % 2] if n % 4 else None,
                assignment_group=groups[n % 4],
                assigned_to=agent if n % 4 == 0 and n % 8 else None,
                parent=parent if n % 5 == 0 else None,
            )
        )
    cancelled = made[-1]
    services.incident_cancel(
        actor=agent,
        incident=cancelled,
        expected_version=cancelled.version,
        reason="Same",
        duplicate_of=made[3],
    )
    cancelled.refresh_from_db()
    return made


def _expected(incident: Incident) -> dict[str, object]:
    row = Incident.objects.get(pk=incident.pk)
    return {
        "caller": row.caller.username,
        "reported_by": row.reported_by.username,
        "assigned_to": row.assigned_to.username if row.assigned_to else None,
        "assignment_group": row.assignment_group.slug,
        "category": row.category.slug if row.category else None,
        "subcategory": row.subcategory.slug if row.subcategory else None,
        "service": row.service.slug if row.service else None,
        "parent": row.parent.number if row.parent else None,
        "duplicate_of": row.duplicate_of.number if row.duplicate_of else None,
    }


def _check_api_list(client: Client, varied: list[Incident], at_least: int, assert_max) -> None:
    # A process's first request also reads the configuration it keeps for every later one (the
    # restricted keys, categories and services of ``escalation.config_cache``): SPEC §13's budget is
    # a page's, measured warm as `make bench` does. The rows' own reads are the same in both.
    client.get("/api/v1/incidents/", {"page_size": 1})
    with assert_max(MAX_QUERIES):
        response = client.get("/api/v1/incidents/", {"page_size": 100})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) >= at_least
    by_number = {i.number: i for i in varied}
    for item in results:
        expected = _expected(by_number[item["number"]])
        assert {k: item[k] for k in expected} == expected


def _page_facts(incident: Incident) -> list[str]:
    """What the incident page must show of the incident's related rows, read the plain way."""
    row = Incident.objects.select_related(
        "assignment_group", "caller", "reported_by", "category", "subcategory", "service", "sla_policy"
    ).get(pk=incident.pk)
    facts = [
        f'data-testid="incident-group">{row.assignment_group.name}<',
        f"({row.caller.username})",
        f"by {row.reported_by.username}<",
        (row.category.name if row.category else "—")
        + (f" › {row.subcategory.name}" if row.subcategory else "")
        + "<",
        f"{row.service.name if row.service else '—'}<",
        f'data-testid="sla-policy">{row.sla_policy.name if row.sla_policy else row.sla_policy_slug}<',
    ]
    for link in (row.parent, row.duplicate_of):
        if link is not None:
            facts.append(f">{link.number}</a>")
    return facts


def test_the_staff_reads_of_varied_incidents_are_bounded(
    agent, incident_manager, varied, django_assert_max_num_queries
):
    """API list and detail, three queues and the incident page of a linked and of a duplicate incident."""
    for user in (agent, incident_manager):
        _check_api_list(_client(user), varied, len(varied), django_assert_max_num_queries)
    client = _client(agent)
    linked = next(i for i in varied if i.parent_id and i.service_id and i.subcategory_id)
    duplicate = next(i for i in varied if i.duplicate_of_id)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(f"/api/v1/incidents/{linked.number}/")
    assert response.status_code == 200
    body = response.json()
    expected = _expected(linked)
    assert {k: body[k] for k in expected} == expected
    assert body["sla_policy"] == Incident.objects.get(pk=linked.pk).sla_policy_slug

    for queue in ("groups", "open", "all"):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get("/incidents/", {"queue": queue, "sort": "priority"})
        assert response.status_code == 200
        rows = response.context["page"].rows
        assert len(rows) >= 4
        content = response.content.decode()
        for row in rows:
            assert f'<td data-label="Group">{row.assignment_group.name}</td>' in content
            assert (
                f'<td data-label="Caller">{row.caller.get_full_name() or row.caller.username}</td>' in content
            )

    for incident in (linked, duplicate):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(f"/incidents/{incident.number}/")
        assert response.status_code == 200
        content = response.content.decode()
        for fact in _page_facts(incident):
            assert fact in content


def test_the_callers_reads_are_bounded(alice, varied, django_assert_max_num_queries):
    """The API list and the portal's "my incidents" as the caller sees them."""
    client = _client(alice)
    mine = Incident.objects.filter(caller=alice).count()
    _check_api_list(client, varied, mine, django_assert_max_num_queries)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/portal/")
    assert response.status_code == 200
    shown = len(response.context["open_cards"]) + len(response.context["recent_cards"])
    assert shown == mine


def test_the_api_list_shows_what_drfs_own_fields_would(agent, varied, settings):
    """``IncidentSerializer.to_representation`` (built for speed) against DRF's field-by-field one,
    on every incident of the varied set read as the list reads them, in a time zone with an offset."""
    from rest_framework import serializers as drf

    from incidents import selectors
    from incidents.records.serializers import IncidentSerializer

    settings.TIME_ZONE = "Europe/Brussels"
    resolved = varied[1]
    services.incident_resolve(
        actor=agent,
        incident=resolved,
        expected_version=resolved.version,
        resolution_code="workaround",
        resolution_notes="Restarted <b>it</b>",
    )
    rows = list(
        selectors.incidents_visible_to(access_for(agent)).select_related("reported_by").order_by("id")
    )
    selectors.attach_related(rows, selectors.API_RELATED)
    assert len(rows) == len(varied)
    for row in rows:
        serializer = IncidentSerializer(row)
        fast = serializer.data
        generic = drf.ModelSerializer.to_representation(serializer, row)
        assert list(fast) == list(generic)
        assert dict(fast) == dict(generic)
    shown = IncidentSerializer(next(r for r in rows if r.pk == resolved.pk)).data
    assert shown["resolved_at"].endswith(("+01:00", "+02:00"))
    assert shown["resolution_notes"] == "Restarted <b>it</b>"


def test_a_declared_major_incidents_page_stays_within_the_bound(
    agent, incident_manager, alice, settings, django_assert_max_num_queries
):
    """The page of an open, declared major incident with status updates, its review and an incident
    split off it: its major panel is one query, not the log's (updates, review, the declarer)."""
    # production's sessions (a shared cache), so that the bound counts what production reads
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    outage = make_incident(actor=agent, caller=alice, title="Nobody can send mail")
    services.major_declare(actor=incident_manager, incident=outage, reason="Company-wide")
    for body in ("Investigating the relay", "The relay is restarting"):
        services.major_update_post(actor=incident_manager, incident=outage, body=body)
    comment = services.incident_comment(
        actor=incident_manager, incident=outage, body="Calendar invites fail too", public=False
    )
    services.incident_split(actor=incident_manager, incident=outage, event_id=comment.pk)
    services.review_record(
        actor=incident_manager,
        incident=outage,
        summary="Relay down",
        root_cause="A full disk",
        timeline="09:00 down",
        actions=[services.ActionItem("Add a second relay", agent, timezone.localdate() + timedelta(days=7))],
    )
    outage.refresh_from_db()
    assert outage.is_open

    client = _client(incident_manager)
    client.get(f"/incidents/{outage.number}/")  # the process's configuration, read once (see above)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(f"/incidents/{outage.number}/")
    assert response.status_code == 200
    panel = response.content.decode()
    assert f"by {incident_manager.username} · 2 status updates" in panel
    assert "· latest: The relay is restarting" in panel
    assert "Post-incident review ✓" in panel
    assert response.context["relations"]  # the split is shown, and read
