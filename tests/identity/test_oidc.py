"""OpenID Connect sign-in against a real provider process (django-oauth-toolkit on loopback)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from escalation.choices import Role
from escalation.models import Membership, SupportGroup
from identity.models import DirectoryAccount, DirectoryGroupMapping
from tests.factories import make_user

from .provider import sign_in_through

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(oidc_provider_for, settings):
    provider = oidc_provider_for("http://testserver")
    provider.settings_for(settings)
    return provider


@pytest.fixture
def mappings(db):
    desk = SupportGroup.objects.get(slug="service-desk")
    DirectoryGroupMapping.objects.create(directory_group="sd-agents", role=Role.AGENT, support_group=desk)
    DirectoryGroupMapping.objects.create(directory_group="sd-managers", role=Role.INCIDENT_MANAGER)
    return desk


def roles(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_first_sign_in_creates_the_user_with_the_mapped_role_and_group(client, provider, mappings):
    provider.person(
        "sam", groups=["sd-agents", "unmapped"], given="Sam", family="Okoye", email="sam@example.org"
    )
    answer = sign_in_through(client, provider, "sam")
    assert answer.status_code == 302
    sam = User.objects.get(username="sam")
    assert (sam.first_name, sam.last_name, sam.email) == ("Sam", "Okoye", "sam@example.org")
    assert not sam.has_usable_password()
    assert roles(sam) == {Role.AGENT}
    assert Membership.objects.filter(user=sam, group=mappings).exists()
    assert DirectoryAccount.objects.get(user=sam).source == DirectoryAccount.Source.OIDC
    # staff land in the workspace
    assert client.get(answer["Location"])["Location"] == "/incidents/"


def test_a_caller_lands_in_the_portal(client, provider, mappings):
    provider.person("carla", groups=["staff-canteen"])
    answer = sign_in_through(client, provider, "carla")
    assert roles(User.objects.get(username="carla")) == set()
    assert client.get(answer["Location"])["Location"] == "/portal/"


def test_roles_follow_the_provider_at_each_sign_in(client, provider, mappings):
    provider.person("sam", groups=["sd-agents", "sd-managers"])
    sign_in_through(client, provider, "sam")
    sam = User.objects.get(username="sam")
    assert roles(sam) == {Role.AGENT, Role.INCIDENT_MANAGER}
    assert sam.is_staff
    client.logout()

    provider.set_groups("sam", ["sd-managers"])
    sign_in_through(client, provider, "sam")
    sam.refresh_from_db()
    assert roles(sam) == {Role.INCIDENT_MANAGER}
    assert not Membership.objects.filter(user=sam).exists()
    assert User.objects.filter(username="sam").count() == 1


def test_a_local_account_of_the_same_name_is_never_taken_over(client, provider, mappings):
    make_user("admin")
    provider.person("admin", groups=["sd-managers"])
    answer = sign_in_through(client, provider, "admin")
    assert answer["Location"] == "/accounts/sign-in-failed/"
    assert "_auth_user_id" not in client.session
    assert not DirectoryAccount.objects.exists()


def test_an_api_token_works_for_a_user_who_signs_in_through_the_provider(client, provider, mappings):
    provider.person("sam", groups=["sd-agents"])
    sign_in_through(client, provider, "sam")
    _, token = AuthToken.objects.create(user=User.objects.get(username="sam"))
    client.logout()
    answer = client.get("/api/v1/incidents/", headers={"Authorization": f"Token {token}"})
    assert answer.status_code == 200


def test_without_a_provider_its_door_is_not_found(client):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/").status_code == 404


def test_a_provider_sign_in_is_not_asked_for_a_second_factor(client, provider, mappings, settings):
    settings.TWO_FACTOR_REQUIRED = True
    provider.person("ingrid", groups=["sd-managers"])
    sign_in_through(client, provider, "ingrid")
    ingrid = User.objects.get(username="ingrid")
    TOTPDevice.objects.create(user=ingrid, name="phone", confirmed=True)
    client.logout()
    sign_in_through(client, provider, "ingrid")
    assert client.get("/incidents/").status_code == 200  # no code page: the provider's MFA counts
