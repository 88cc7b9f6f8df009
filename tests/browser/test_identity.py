"""Directory sign-in and two-factor in real Chromium: a real OpenID provider process on loopback
(tests/identity/oidc_provider.py), and TOTP codes computed by the test."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from escalation.choices import Role
from escalation.models import SupportGroup
from identity.models import DirectoryGroupMapping
from tests.factories import PASSWORD, make_user
from tests.identity.provider import PASSWORD as PROVIDER_PASSWORD
from tests.identity.provider import oidc_provider_for  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def through_provider(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Test provider").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in to the provider").click()


def roles(username: str) -> set[str]:
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


def test_staff_and_callers_sign_in_through_the_provider_and_roles_follow_its_groups(
    live_server,
    browser: Browser,
    oidc_provider_for,  # noqa: F811 - the imported fixture
    settings,
):
    provider = oidc_provider_for(live_server.url)
    provider.settings_for(settings)
    desk = SupportGroup.objects.get(slug="service-desk")
    DirectoryGroupMapping.objects.create(directory_group="sd-agents", role=Role.AGENT, support_group=desk)
    provider.person("sam", groups=["sd-agents"], given="Sam", family="Okoye")
    provider.person("carla", groups=["canteen"], given="Carla", family="Caller")

    staff = browser.new_context().new_page()
    through_provider(staff, live_server, "sam")
    expect(staff).to_have_url(re.compile(r"/incidents/$"))
    expect(staff.get_by_test_id("signed-in-user")).to_contain_text("Sam Okoye")
    assert roles("sam") == {Role.AGENT}

    caller = browser.new_context().new_page()
    through_provider(caller, live_server, "carla")
    expect(caller).to_have_url(re.compile(r"/portal/$"))
    expect(caller.get_by_test_id("signed-in-user")).to_contain_text("Carla Caller")

    # taken out of the group at the provider: at the next sign-in the role is gone, and so is the queue
    provider.set_groups("sam", [])
    again = browser.new_context().new_page()
    through_provider(again, live_server, "sam")
    expect(again).to_have_url(re.compile(r"/portal/$"))
    assert roles("sam") == set()


def test_a_person_enrols_in_two_factor_and_signs_in_with_a_code(live_server, browser: Browser):
    make_user("agent-x", groups=["service-desk"], first_name="Amira", last_name="Haddad")
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("agent-x")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("signed-in-user").click()
    page.get_by_role("link", name="Two-factor sign-in").click()
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.get_by_test_id("two-factor-qr")).to_be_visible()
    secret = page.get_by_test_id("two-factor-secret").inner_text()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Authentication code").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    device = TOTPDevice.objects.get(user__username="agent-x")
    assert device.confirmed and base64.b32encode(device.bin_key).decode() == secret

    # sign out, sign in again: the password is followed by the code
    page.get_by_role("link", name="Continue").click()
    page.get_by_test_id("signed-in-user").click()
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("agent-x")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Authentication code")).to_be_visible()
    expect(page.get_by_test_id("notification-bell")).to_have_count(0)  # nothing else until the code
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):  # the next code: each is used once
        code = totp.now()
    page.get_by_label("Authentication code").fill(code)
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        page.get_by_role("button", name="Verify").click()
        expect(page).to_have_url(re.compile(r"/incidents/$"))
    expect(page.get_by_test_id("signed-in-user")).to_contain_text("Amira Haddad")
