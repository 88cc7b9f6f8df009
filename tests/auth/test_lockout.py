"""Browser sign-in and the token endpoint lock out repeated failures per username AND address."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import time_machine
from django.conf import settings
from django.test import RequestFactory

from servicedesk.signin import client_ip_address
from tests.auth.conftest import api_token, browser_sign_in
from tests.factories import PASSWORD

OFFICE = "203.0.113.7"
HOME = "198.51.100.20"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def fail(username: str, ip: str, times: int) -> list:
    return [browser_sign_in(username, "wrong-guess", ip) for _ in range(times)]


def test_the_limit_locks_the_account_at_that_address_with_a_page_saying_when(people):
    limit = settings.AXES_FAILURE_LIMIT
    with time_machine.travel(START, tick=False):
        answers = fail("alice", OFFICE, limit)
        assert [a.status_code for a in answers[:-1]] == [200] * (limit - 1)  # the form again
        assert answers[-1].status_code == 429

        # even the right password is refused now, with the page saying when to come back
        response = browser_sign_in("alice", PASSWORD, OFFICE)
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    text = response.content.decode()
    # 09:00 UTC is 09:00 in London in March; the cool-off is 15 minutes after the last failure
    assert re.search(r"Try again after 09:15 \(GMT\), in about 15 minutes", text), text
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_a_colleague_at_the_same_address_is_not_locked_out(people):
    fail("alice", OFFICE, settings.AXES_FAILURE_LIMIT)
    response = browser_sign_in("bob", PASSWORD, OFFICE)
    assert response.status_code == 302 and response.wsgi_request.user.username == "bob"


def test_the_same_person_from_another_address_is_not_locked_out(people):
    fail("alice", OFFICE, settings.AXES_FAILURE_LIMIT)
    assert browser_sign_in("alice", PASSWORD, OFFICE).status_code == 429
    response = browser_sign_in("alice", PASSWORD, HOME)
    assert response.status_code == 302 and response.wsgi_request.user.username == "alice"


def test_a_successful_sign_in_starts_the_count_again(people):
    limit = settings.AXES_FAILURE_LIMIT
    fail("alice", OFFICE, limit - 1)
    assert browser_sign_in("alice", PASSWORD, OFFICE).status_code == 302
    assert [a.status_code for a in fail("alice", OFFICE, limit - 1)] == [200] * (limit - 1)
    assert browser_sign_in("alice", PASSWORD, OFFICE).status_code == 302


def test_the_lockout_ends_when_the_cool_off_has_passed(people):
    with time_machine.travel(START, tick=False) as traveller:
        fail("alice", OFFICE, settings.AXES_FAILURE_LIMIT)
        traveller.shift(settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=5))
        assert browser_sign_in("alice", PASSWORD, OFFICE).status_code == 429
        # that attempt during the lockout started the wait again
        traveller.shift(settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=5))
        assert browser_sign_in("alice", PASSWORD, OFFICE).status_code == 429
        traveller.shift(settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1))
        assert browser_sign_in("alice", PASSWORD, OFFICE).status_code == 302


def test_token_endpoint_failures_count_towards_the_same_lockout(people):
    limit = settings.AXES_FAILURE_LIMIT
    fail("alice", OFFICE, limit - 1)
    refused = api_token("alice", "wrong-guess", OFFICE)
    assert refused.status_code == 429  # the limit is reached by this API attempt
    # the browser is locked out too, and the API refuses even the right password, in JSON
    assert browser_sign_in("alice", PASSWORD, OFFICE).status_code == 429
    response = api_token("alice", PASSWORD, OFFICE)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "Try again after" in response.json()["detail"] and "token" not in response.json()
    assert int(response["Retry-After"]) > 0
    # another address, or a colleague, still gets a token
    assert api_token("alice", PASSWORD, HOME).status_code == 200
    assert api_token("bob", PASSWORD, OFFICE).status_code == 200


def test_browser_failures_lock_the_token_endpoint_and_a_token_resets_the_count(people):
    limit = settings.AXES_FAILURE_LIMIT
    fail("alice", OFFICE, limit - 1)
    assert api_token("alice", PASSWORD, OFFICE).status_code == 200
    fail("alice", OFFICE, limit - 1)
    assert browser_sign_in("alice", PASSWORD, OFFICE).status_code == 302


def test_bad_credentials_below_the_limit_stay_a_400_in_the_error_contract(people):
    response = api_token("alice", "wrong-guess", OFFICE)
    assert response.status_code == 400
    assert response.json()["detail"] == "Unable to log in with these credentials."


def test_failures_and_lockouts_are_logged_with_account_and_address(people, caplog):
    with caplog.at_level(logging.INFO, logger="axes"):
        fail("alice", OFFICE, settings.AXES_FAILURE_LIMIT)
        browser_sign_in("bob", PASSWORD, OFFICE)
    axes = [r for r in caplog.records if r.name.startswith("axes")]
    warnings = [r.getMessage() for r in axes if r.levelno == logging.WARNING]
    failures = [m for m in warnings if "login failure by" in m]
    lockouts = [m for m in warnings if "Locking out" in m]
    assert len(failures) == settings.AXES_FAILURE_LIMIT
    assert len(lockouts) == 1
    assert all('"alice"' in m and OFFICE in m for m in failures + lockouts)
    assert any("Successful login" in r.getMessage() and '"bob"' in r.getMessage() for r in caplog.records)
    assert not any("wrong-guess" in r.getMessage() for r in caplog.records)
    # the configured logger really lets them through, whatever the root level
    assert logging.getLogger("axes").getEffectiveLevel() <= logging.INFO


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.5", "10.0.0.5"),  # the header is ignored without trusted proxies
        (1, "192.0.2.1, 198.51.100.9", "10.0.0.5", "198.51.100.9"),  # what the proxy appended
        (2, "192.0.2.1, 198.51.100.9, 10.0.0.4", "10.0.0.5", "198.51.100.9"),
        (1, "", "10.0.0.5", "10.0.0.5"),  # no header: the connection
        (1, "not-an-address", "10.0.0.5", "10.0.0.5"),  # garbage is never stored as an address
    ],
)
def test_the_client_address_comes_from_x_forwarded_for_only_behind_trusted_proxies(
    settings, proxies, forwarded, remote, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip_address(request) == expected
