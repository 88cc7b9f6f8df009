"""Sign-in lockout and the API tokens page in real Chromium."""

import re

import pytest
from django.conf import settings
from knox.models import AuthToken
from playwright.sync_api import Browser, expect

from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def attempt(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_repeated_failures_show_the_lockout_page_but_a_colleague_signs_in(live_server, browser: Browser):
    make_user("alice")
    make_user("bob", first_name="Bob", last_name="Colleague")
    page = browser.new_context().new_page()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(page, live_server, "alice", "wrong-guess")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    attempt(page, live_server, "alice", "wrong-guess")
    expect(page.get_by_role("heading", name="Sign-in locked for now")).to_be_visible()
    expect(page.get_by_test_id("lockout-message")).to_contain_text(re.compile(r"Try again after \d\d:\d\d"))

    # the right password does not get through either, but a colleague at the same address does
    attempt(page, live_server, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Sign-in locked for now")).to_be_visible()
    colleague = browser.new_context().new_page()
    attempt(colleague, live_server, "bob", PASSWORD)
    expect(colleague.get_by_test_id("signed-in-user")).to_contain_text("Bob Colleague")


def test_a_user_revokes_an_api_token_from_the_user_menu(live_server, browser: Browser):
    alice = make_user("alice")
    _, token = AuthToken.objects.create(user=alice)
    page = browser.new_context().new_page()
    attempt(page, live_server, "alice", PASSWORD)
    page.get_by_test_id("signed-in-user").click()  # the user menu
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    row = page.get_by_test_id("api-token")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(token[:8])
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("alert")).to_contain_text("Token revoked")
    expect(page.get_by_test_id("no-api-tokens")).to_be_visible()
    assert not AuthToken.objects.filter(user=alice).exists()
