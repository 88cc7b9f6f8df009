"""A person's access: read once, in one query, frozen, and never cached on the ``User``."""

from __future__ import annotations

import dataclasses

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from escalation.access import ANONYMOUS, AccessMiddleware, access_for, access_of
from escalation.models import Membership, SupportGroup
from incidents import services
from tests.factories import PASSWORD, group, make_incident, make_user

pytestmark = pytest.mark.django_db


def test_roles_groups_tiers_and_lead_are_read_in_one_query():
    tech = make_user("tech-a", groups=["technical-support", "network"], roles=["Manager"])
    Membership.objects.filter(user=tech, group__slug="network").update(is_lead=True)

    with CaptureQueriesContext(connection) as queries:
        access = access_for(tech)

    assert len(queries) == 1
    assert access.user_id == tech.pk and access.username == "tech-a" and access.authenticated
    assert access.roles == {"Technical team member", "Hardware/software team member", "Manager"}
    assert access.group_ids == {group("technical-support").pk, group("network").pk}
    assert access.tiers == {2, 3} and access.tier == 2
    assert access.is_group_lead and access.is_manager and access.is_staff_member
    assert not access.is_incident_manager and not access.is_service_desk


def test_an_inactive_group_counts_for_nothing_not_even_its_lead():
    member = make_user("member-a", groups=["network"])
    Membership.objects.filter(user=member).update(is_lead=True)
    SupportGroup.objects.filter(slug="network").update(is_active=False)

    access = access_for(member)

    assert access.group_ids == frozenset() and access.tier is None and not access.is_group_lead


def test_an_end_user_and_an_anonymous_visitor_are_not_staff_and_the_visitor_costs_no_query():
    alice = make_user("alice-a")
    assert access_for(alice).roles == frozenset() and not access_for(alice).is_staff_member
    with CaptureQueriesContext(connection) as queries:
        anonymous = access_for(AnonymousUser())
    assert anonymous is ANONYMOUS and len(queries) == 0
    assert not anonymous.is_staff_member and anonymous.user_id is None


def test_a_superuser_is_incident_manager_and_the_access_cannot_be_changed():
    root = make_user("root-a", is_superuser=True)
    access = access_for(root)
    assert access.is_incident_manager and access.is_manager and access.is_staff_member
    with pytest.raises(dataclasses.FrozenInstanceError):
        access.roles = frozenset({"Incident manager"})  # type: ignore[misc]


def test_the_middleware_reads_nothing_until_asked_and_then_once():
    agent = make_user("agent-a", groups=["service-desk"])
    seen = {}

    def asking_view(request):
        with CaptureQueriesContext(connection) as first:
            seen["access"] = access_of(request)
        with CaptureQueriesContext(connection) as again:
            assert access_of(request).is_service_desk and request.access.is_service_desk
        seen["first"], seen["again"] = len(first), len(again)
        return HttpResponse()

    def request_of(user):
        request = RequestFactory().get("/")
        request.user = user
        return request

    with CaptureQueriesContext(connection) as not_asked:
        AccessMiddleware(lambda request: HttpResponse())(request_of(agent))
    AccessMiddleware(asking_view)(request_of(agent))

    assert len(not_asked) == 0
    assert seen["first"] == 1 and seen["again"] == 0
    assert seen["access"].user_id == agent.pk


def test_the_access_follows_a_user_set_after_the_middleware_ran():
    """DRF authenticates a token after the middleware and sets that user on the Django request."""
    agent = make_user("agent-b", groups=["service-desk"])
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    AccessMiddleware(lambda r: HttpResponse())(request)
    assert access_of(request) is ANONYMOUS

    request.user = agent

    assert access_of(request).user_id == agent.pk and access_of(request).is_service_desk


def test_a_token_authenticated_api_call_gets_the_access_of_the_tokens_user():
    agent = make_user("agent-c", groups=["service-desk"])
    alice = make_user("alice-c")
    bob = make_user("bob-c")
    incident = make_incident(actor=agent, caller=alice)

    def numbers_for(user):
        client = APIClient()
        _, token = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = client.get("/api/v1/incidents/")
        assert response.status_code == 200
        return {row["number"] for row in response.json()["results"]}

    # staff visibility for the agent, the caller's own for alice, nothing for bob: each from the token
    assert numbers_for(agent) == {incident.number}
    assert numbers_for(alice) == {incident.number}
    assert numbers_for(bob) == set()
    # and a staff-only endpoint lets the token's staff member in, not the end user
    _, token = AuthToken.objects.create(user=alice)
    refused = APIClient().get("/api/v1/sla-policies/", HTTP_AUTHORIZATION=f"Token {token}")
    _, token = AuthToken.objects.create(user=agent)
    allowed = APIClient().get("/api/v1/sla-policies/", HTTP_AUTHORIZATION=f"Token {token}")
    assert (refused.status_code, allowed.status_code) == (403, 200)


def test_no_attribute_is_set_on_the_user_by_a_page_or_a_service():
    agent = make_user("agent-d", groups=["service-desk"], roles=["Incident manager"])
    Membership.objects.filter(user=agent).update(is_lead=True)
    alice = make_user("alice-d")
    incident = make_incident(actor=agent, caller=alice)
    client = Client()
    assert client.login(username=agent.username, password=PASSWORD)

    response = client.get(f"/incidents/{incident.number}/")
    assert response.status_code == 200
    assert response.wsgi_request.access.is_incident_manager  # the page did read the access
    page_user = response.wsgi_request.user._wrapped
    fresh = get_user_model().objects.get(pk=agent.pk)
    assert set(vars(page_user)) == set(vars(fresh))  # nothing cached on the user by the page

    before = set(vars(agent))
    services.incident_comment(actor=agent, incident=incident, body="Checked the toner.", public=True)
    services.incident_update(actor=agent, incident=incident, expected_version=None, title="Toner")
    assert set(vars(agent)) == before  # nor by the services that checked the actor's access
