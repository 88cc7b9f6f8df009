"""TOTP two-factor with recovery codes (django-otp): enrolment, the code after the password, the rule
for the roles that must use it, the administrator's audited reset, and no second ask after SSO."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pyotp
import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from escalation.choices import Role
from identity import two_factor
from identity.models import AccountAudit
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

ACCOUNT = "/accounts/two-factor/"
VERIFY = "/accounts/two-factor/verify/"


def next_step() -> datetime:
    """Thirty seconds on: the authenticator's next code (a code is accepted once)."""
    return timezone.now() + timedelta(seconds=30)


def password_sign_in(client, username: str) -> None:
    answer = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert answer.status_code == 302, answer.content


def totp_of(user: User) -> pyotp.TOTP:
    device = TOTPDevice.objects.get(user=user)
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode())


def enrol(client, user: User) -> list[str]:
    client.post(ACCOUNT, {"action": "start"})
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    answer = client.post(ACCOUNT, {"action": "confirm", "code": totp_of(user).now()})
    assert answer.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    return answer.context["codes"]


def test_anyone_enrols_and_then_their_password_alone_is_not_enough(client):
    alice = make_user("alice")
    password_sign_in(client, "alice")
    codes = enrol(client, alice)
    assert len(codes) == two_factor.RECOVERY_CODES
    client.logout()

    password_sign_in(client, "alice")
    answer = client.get("/portal/")
    assert answer.status_code == 302 and answer["Location"].startswith(VERIFY)
    assert client.get("/api/v1/incidents/").status_code == 403  # the session is not through yet

    # the code page shows no navigation: its bell and live feed would only be sent back to the code page
    # (the bell's htmx swap put a second copy of this form into the navigation)
    code_page = client.get(VERIFY, {"next": "/portal/"}).content.decode()
    assert 'data-testid="notification-bell"' not in code_page and 'name="live-feed"' not in code_page
    assert code_page.count('type="submit" class="btn btn-primary w-100"') == 1

    bad = client.post(VERIFY, {"code": "000000", "next": "/portal/"})
    assert bad.status_code == 200 and bad.context["form"].errors
    with time_machine.travel(next_step()):  # the next code: the one used to enrol is spent
        good = client.post(VERIFY, {"code": totp_of(alice).now(), "next": "/portal/"})
    assert good["Location"] == "/portal/"
    assert 'data-testid="notification-bell"' in client.get("/portal/").content.decode()


def test_a_recovery_code_works_once(client):
    alice = make_user("alice")
    password_sign_in(client, "alice")
    codes = enrol(client, alice)
    client.logout()
    for expected in (302, 200):
        password_sign_in(client, "alice")
        answer = client.post(VERIFY, {"code": codes[0], "next": "/portal/"})
        assert answer.status_code == expected
        client.logout()
    assert two_factor.recovery_codes_left(alice) == two_factor.RECOVERY_CODES - 1


def test_a_wrong_code_does_not_confirm_enrolment(client):
    alice = make_user("alice")
    password_sign_in(client, "alice")
    client.post(ACCOUNT, {"action": "start"})
    answer = client.post(ACCOUNT, {"action": "confirm", "code": "123456x"})
    assert answer.status_code == 200 and answer.context["form"].errors
    assert not two_factor.is_enrolled(alice)


def test_the_setting_makes_managers_enrol_before_anything_else(client, settings):
    settings.TWO_FACTOR_REQUIRED = True
    make_user("marcus", roles=[Role.MANAGER])
    make_user("alice")
    password_sign_in(client, "marcus")
    answer = client.get("/reporting/", follow=True)
    assert answer.redirect_chain[-1][0].startswith(ACCOUNT)
    assert answer.context["required"] and not answer.context["enrolled"]
    client.logout()
    password_sign_in(client, "alice")  # callers are not asked
    assert client.get("/portal/").status_code == 200


def test_a_required_role_cannot_turn_it_off(client, settings):
    settings.TWO_FACTOR_REQUIRED = True
    ingrid = make_user("ingrid", roles=[Role.INCIDENT_MANAGER])
    password_sign_in(client, "ingrid")
    enrol(client, ingrid)
    with time_machine.travel(next_step()):  # the next code: one code is accepted once
        answer = client.post(ACCOUNT, {"action": "disable", "code": totp_of(ingrid).now()})
    assert answer.status_code == 200 and answer.context["form"].errors
    assert two_factor.is_enrolled(ingrid)


def test_an_administrator_resets_a_lost_device_and_it_is_audited(admin_client):
    alice = make_user("alice")
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    admin = User.objects.get(username="admin")
    changelist = reverse("admin:identity_account_changelist")
    answer = admin_client.post(changelist, {"action": "reset_second_factor", "_selected_action": [alice.pk]})
    assert answer.status_code == 302
    assert not two_factor.is_enrolled(alice)
    entry = AccountAudit.objects.get(action=AccountAudit.Action.SECOND_FACTOR_RESET)
    assert (entry.actor, entry.subject, entry.subject_label) == (admin, alice, "alice")


def test_an_api_token_is_not_asked_for_a_code(client):
    alice = make_user("alice")
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    _, token = AuthToken.objects.create(user=alice)
    assert client.get("/api/v1/incidents/", headers={"Authorization": f"Token {token}"}).status_code == 200


def test_local_passwords_switched_off_leave_only_the_break_glass_accounts(client, settings):
    settings.LOCAL_PASSWORD_SIGN_IN = False
    settings.LOCAL_PASSWORD_BREAK_GLASS = ["root"]
    make_user("alice")
    make_user("root", is_superuser=True, is_staff=True)
    assert client.post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code == 200
    password_sign_in(client, "root")


def test_the_token_endpoint_asks_an_enrolled_account_for_its_code(client):
    alice = make_user("alice")
    password_sign_in(client, "alice")
    enrol(client, alice)
    client.logout()
    url = "/api/v1/auth/token/"
    refused = client.post(url, {"username": "alice", "password": PASSWORD}, content_type="application/json")
    assert refused.status_code == 400 and "otp" in refused.json()
    with time_machine.travel(next_step()):
        body = {"username": "alice", "password": PASSWORD, "otp": totp_of(alice).now()}
        issued = client.post(url, body, content_type="application/json")
    assert issued.status_code == 200 and issued.json()["token"]


def test_after_an_administrator_s_reset_a_session_is_let_through_without_a_code(client):
    alice = make_user("alice")
    password_sign_in(client, "alice")
    enrol(client, alice)
    client.logout()
    password_sign_in(client, "alice")
    assert client.get("/portal/")["Location"].startswith(VERIFY)
    two_factor.devices_remove(user=alice)
    assert client.get("/portal/", follow=True).redirect_chain[-1][0] == "/portal/"
    assert client.get("/portal/").status_code == 200
