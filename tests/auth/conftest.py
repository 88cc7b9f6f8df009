"""Sign-in helpers shared by the lockout and token tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import PASSWORD, make_user


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # The token endpoint's throttle counts in the cache: start every test from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def people(db):
    return {"alice": make_user("alice"), "bob": make_user("bob"), "agent": make_user("agent")}


def browser_sign_in(username: str, password: str, ip: str, client: Client | None = None):
    return (client or Client()).post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def api_token(username: str, password: str = PASSWORD, ip: str = "127.0.0.1"):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )
