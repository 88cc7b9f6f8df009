import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_signs_in_sees_the_home_page_and_signs_out(live_server, page: Page):
    # given staff with no queue and no dashboard: the role-neutral home page is where they land
    get_user_model().objects.create_user(
        username="ghopper",
        password="a-long-test-password",
        first_name="Grace",
        last_name="Hopper",
        is_staff=True,
    )

    # when they sign in through the login page
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username").fill("ghopper")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()

    # then the home page greets them by name, styled by the locally served Bootstrap
    expect(page.get_by_test_id("home-user")).to_have_text("Grace Hopper")
    expect(page.get_by_test_id("signed-in-user")).to_contain_text("Grace Hopper")
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.bootstrap") == "object"

    # and signing out (a POST) ends the session and returns to the login page
    page.get_by_test_id("signed-in-user").click()  # the user menu
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
