"""LDAP / Active Directory sign-in (django-auth-ldap) against a real slapd with a throw-away directory.

slapd comes from Debian (scripts/install.sh installs it); python-ldap's ``slapdtest`` starts it on a
free loopback port with a configuration of its own and stops it at the end.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import ldap
import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.test import RequestFactory
from slapdtest import SlapdObject

from escalation.choices import Role
from escalation.models import Membership, SupportGroup
from identity.ldap_settings import ldap_group_type, ldap_search
from identity.models import DirectoryAccount, DirectoryGroupMapping
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "ldap-password"


class Directory(SlapdObject):
    openldap_schema_files = ("core.ldif", "cosine.ldif", "inetorgperson.ldif")
    suffix = "dc=example,dc=org"
    # Its configuration and database in the system's temporary folder, never in the work tree.
    TMPDIR = tempfile.gettempdir()


def people_ldif(base: str) -> str:
    return f"""dn: {base}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,{base}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{base}
objectClass: organizationalUnit
ou: groups

dn: uid=lena,ou=people,{base}
objectClass: inetOrgPerson
uid: lena
cn: Lena Directory
givenName: Lena
sn: Directory
mail: lena@example.org
userPassword: {PASSWORD}

dn: uid=paul,ou=people,{base}
objectClass: inetOrgPerson
uid: paul
cn: Paul Caller
givenName: Paul
sn: Caller
mail: paul@example.org
userPassword: {PASSWORD}

dn: uid=admin,ou=people,{base}
objectClass: inetOrgPerson
uid: admin
cn: Not the admin
sn: Impostor
userPassword: {PASSWORD}

dn: cn=sd-agents,ou=groups,{base}
objectClass: groupOfNames
cn: sd-agents
member: uid=lena,ou=people,{base}
"""


@pytest.fixture(scope="module")
def directory() -> Iterator[Directory]:
    server = Directory()
    server.start()
    server.ldapadd(people_ldif(server.suffix))
    yield server
    server.stop()


@pytest.fixture
def ldap_settings(directory, settings):
    settings.AUTH_LDAP_SERVER_URI = directory.ldap_uri
    settings.AUTH_LDAP_BIND_DN = directory.root_dn
    settings.AUTH_LDAP_BIND_PASSWORD = directory.root_pw
    settings.AUTH_LDAP_USER_SEARCH = ldap_search(f"ou=people,{directory.suffix}", "(uid=%(user)s)")
    settings.AUTH_LDAP_GROUP_SEARCH = ldap_search(
        f"ou=groups,{directory.suffix}", "(objectClass=groupOfNames)"
    )
    settings.AUTH_LDAP_GROUP_TYPE = ldap_group_type("groupOfNames")
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "identity.backends.DirectoryLDAPBackend",
    ]
    desk = SupportGroup.objects.get(slug="service-desk")
    DirectoryGroupMapping.objects.create(directory_group="sd-agents", role=Role.AGENT, support_group=desk)
    return directory


def sign_in(username: str, password: str = PASSWORD):
    return authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password)


def test_a_directory_member_signs_in_with_the_mapped_role(ldap_settings):
    user = sign_in("lena")
    assert user is not None
    assert (user.first_name, user.last_name, user.email) == ("Lena", "Directory", "lena@example.org")
    assert set(user.groups.values_list("name", flat=True)) == {Role.AGENT}
    assert Membership.objects.filter(user=user, group__slug="service-desk").exists()
    link = DirectoryAccount.objects.get(user=user)
    assert (link.source, link.subject) == ("ldap", f"uid=lena,ou=people,{ldap_settings.suffix}")
    assert not user.has_usable_password()


def test_a_wrong_password_is_refused(ldap_settings):
    assert sign_in("lena", "wrong") is None
    assert not User.objects.filter(username="lena").exists()


def test_a_member_removed_from_the_group_loses_the_role(ldap_settings):
    assert sign_in("lena") is not None
    group_dn = f"cn=sd-agents,ou=groups,{ldap_settings.suffix}"
    conn = ldap.initialize(ldap_settings.ldap_uri)
    conn.simple_bind_s(ldap_settings.root_dn, ldap_settings.root_pw)
    # groupOfNames needs a member: the group keeps paul only
    conn.modify_s(
        group_dn, [(ldap.MOD_REPLACE, "member", [f"uid=paul,ou=people,{ldap_settings.suffix}".encode()])]
    )
    try:
        lena = sign_in("lena")
        assert set(lena.groups.values_list("name", flat=True)) == set()
        assert not Membership.objects.filter(user=lena).exists()
        paul = sign_in("paul")
        assert set(paul.groups.values_list("name", flat=True)) == {Role.AGENT}
    finally:
        conn.modify_s(
            group_dn, [(ldap.MOD_REPLACE, "member", [f"uid=lena,ou=people,{ldap_settings.suffix}".encode()])]
        )
        conn.unbind_s()


def test_a_local_account_of_the_same_name_is_never_taken_over(ldap_settings):
    make_user("admin", is_superuser=True)
    assert sign_in("admin") is None
    assert not DirectoryAccount.objects.exists()
