"""People of every role, each with an API client that sends their token."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import make_incident, make_user


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        _, token = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache: every test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def people(db):
    """One user per role of SPEC §1, keyed by a short name used in the tables of the tests."""
    return {
        "alice": make_user("alice"),  # end user, the caller of the incidents below
        "bob": make_user("bob"),  # another end user
        "agent": make_user("agent", groups=["service-desk"]),
        "tech": make_user("tech", groups=["technical-support"]),
        "netops": make_user("netops", groups=["network"]),
        "access": make_user("access", groups=["access"]),
        "manager": make_user("manager", roles=["Manager"]),
        "incidentmgr": make_user("incidentmgr", roles=["Incident manager"]),
    }


@pytest.fixture
def clients(people):
    return {name: client_for(user) for name, user in people.items()} | {"anonymous": APIClient()}


@pytest.fixture
def incident(people):
    """Alice's incident, logged by the service desk and owned by it."""
    return make_incident(actor=people["agent"], caller=people["alice"])
