"""A real OpenID Connect provider for the tests: django-oauth-toolkit in a tiny Django project of its own.

Run as its own process on loopback (``tests/identity/conftest.py`` starts it). Its people come from a
JSON file the test writes, read again at each request, so that a test can take a person out of a
group between two sign-ins:

    {"users": {"sam": {"password": "...", "email": "...", "given_name": "...", "family_name": "...",
                       "groups": ["sd-agents"]}}}

    python tests/identity/oidc_provider.py PORT USERS_JSON CLIENT_ID CLIENT_SECRET REDIRECT_URI DATA_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PORT, USERS, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, DATA_DIR = sys.argv[1:7]


def users() -> dict:
    return json.loads(Path(USERS).read_text())["users"]


def private_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


LOGIN_PAGE = """<!doctype html><html lang="en"><head><title>Test provider sign-in</title></head><body>
<main><h1>Test provider</h1><form method="post">{% csrf_token %}{{ form.as_p }}
<button type="submit">Sign in to the provider</button></form></main></body></html>"""


def configure() -> None:
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="test-provider-not-secret-" + "p" * 30,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "oauth2_provider",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(Path(DATA_DIR) / "op.sqlite3")}
        },
        # Cookies do not tell ports apart: the provider's must not overwrite the service desk's.
        SESSION_COOKIE_NAME="op_sessionid",
        CSRF_COOKIE_NAME="op_csrftoken",
        LOGIN_URL="/login/",
        AUTHENTICATION_BACKENDS=[f"{__name__}.PeopleFileBackend"],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "OPTIONS": {
                    "loaders": [("django.template.loaders.locmem.Loader", {"login.html": LOGIN_PAGE})],
                    "context_processors": ["django.template.context_processors.request"],
                },
            }
        ],
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        OAUTH2_PROVIDER={
            "OIDC_ENABLED": True,
            "OIDC_RSA_PRIVATE_KEY": private_key(),
            "SCOPES": {"openid": "OpenID", "email": "E-mail", "profile": "Profile", "groups": "Groups"},
            "OAUTH2_VALIDATOR_CLASS": f"{__name__}.Validator",
        },
    )


configure()

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.backends import ModelBackend  # noqa: E402
from django.contrib.auth.views import LoginView  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.urls import include, path  # noqa: E402
from oauth2_provider.oauth2_validators import OAuth2Validator  # noqa: E402


class PeopleFileBackend(ModelBackend):
    """Signs in the people of the JSON file as it is now (a test adds them after the start)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        person = users().get(username or "")
        if person is None or person["password"] != password:
            return None
        user, _ = get_user_model().objects.get_or_create(username=username)
        return user


class Validator(OAuth2Validator):
    # Every claim whatever the scopes: the groups claim has no standard scope.
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        person = users()[request.user.username]
        return {
            "preferred_username": request.user.username,
            "email": person.get("email", ""),
            "given_name": person.get("given_name", ""),
            "family_name": person.get("family_name", ""),
            "groups": person.get("groups", []),
        }


urlpatterns = [
    path("login/", LoginView.as_view(template_name="login.html"), name="login"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]


def main() -> None:
    from oauth2_provider.models import get_application_model

    call_command("migrate", verbosity=0, interactive=False)
    get_application_model().objects.create(
        name="service desk",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris=REDIRECT_URI,
        algorithm="RS256",
        skip_authorization=True,
    )
    call_command("runserver", f"127.0.0.1:{PORT}", use_reloader=False, use_threading=True, skip_checks=True)


if __name__ == "__main__":
    main()
