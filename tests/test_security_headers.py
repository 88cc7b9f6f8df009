"""The headers a scanner expects (issue 20 §2), on pages, API answers and errors alike.

nosniff, the referrer policy, frame denial and the Content-Security-Policy hold in every
environment (settings/base.py); HSTS only in production, whose settings are started for real here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from django.test import Client

from tests import workers

pytestmark = pytest.mark.django_db

# (method, path, expected status): a page, the API, and the errors of both.
RESPONSES = [
    ("get", "/accounts/login/", 200),
    ("get", "/api/v1/incidents/", 401),
    ("get", "/no-such-page/", 404),
    ("get", "/api/v1/no-such-endpoint/", 404),
    ("post", "/accounts/login/", 403),  # no CSRF token
    ("get", "/api/docs/", 200),
    ("get", "/admin/login/", 200),
]


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def _assert_browser_headers(headers: dict[str, str]) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    policy = _policy(headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "unsafe" not in headers["Content-Security-Policy"]


@pytest.mark.parametrize(("method", "path", "status"), RESPONSES)
def test_every_kind_of_response_carries_the_browser_security_headers(method, path, status):
    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)(path)

    assert response.status_code == status
    _assert_browser_headers(dict(response.headers))
    # HSTS outlives a rollback to plain HTTP: production only.
    assert "Strict-Transport-Security" not in response.headers


def test_a_refused_form_is_explained_in_a_page_the_policy_allows():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "This form could not be sent" in page
    assert "<style" not in page and " style=" not in page


def test_the_api_docs_load_their_start_up_script_as_a_file(client):
    page = client.get("/api/docs/").content.decode()
    script_url = re.search(r'<script src="(/api/docs/\?[^"]*script=[^"]*)"', page)
    assert script_url, "the split view names its start-up script"
    assert "<style" not in page and "<script>" not in page

    script = client.get(script_url[1].replace("&amp;", "&"))

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


_PRODUCTION_HEADERS = """
import json, django
django.setup()
from django.test import Client
client = Client()
out = {}
for path in ("/accounts/login/", "/api/v1/incidents/", "/no-such-page/"):
    response = client.get(path, secure=True, HTTP_HOST="servicedesk.example.org")
    out[path] = {"status": response.status_code, "headers": dict(response.headers)}
plain = client.get("/accounts/login/", HTTP_HOST="servicedesk.example.org")
out["plain http"] = {"status": plain.status_code, "headers": dict(plain.headers)}
print(json.dumps(out))
"""


def test_production_adds_hsts_and_sends_plain_http_to_https():
    # given the production settings, started as compose starts them
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings.production",
        "SECRET_KEY": "production-headers-" + "k" * 50,
        "ALLOWED_HOSTS": "servicedesk.example.org",
        "DATABASE_URL": workers.test_database_url(),
        "CACHE_URL": "locmemcache://",
        "ALLOW_PROCESS_LOCAL_CACHE": "true",
    }

    # when a page, an API answer and an error are served over HTTPS, and a page over plain HTTP
    result = subprocess.run(
        [sys.executable, "-c", _PRODUCTION_HEADERS],
        cwd=workers.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.splitlines()[-1])

    # then each carries HSTS for a year, with subdomains, besides the headers of every environment
    for path in ("/accounts/login/", "/api/v1/incidents/", "/no-such-page/"):
        assert answers[path]["status"] == {"/accounts/login/": 200, "/api/v1/incidents/": 401}.get(path, 404)
        headers = answers[path]["headers"]
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        _assert_browser_headers(headers)
    assert answers["plain http"]["status"] == 301
    assert answers["plain http"]["headers"]["Location"] == "https://servicedesk.example.org/accounts/login/"


# What the policy refuses, as written in a template. Mail is not served under the policy (and mail
# clients need inline styles), so email templates are left out.
_INLINE = {
    # a script element without src=, unless it holds JSON data (json_script)
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "htmx inline handler": re.compile(r"\shx-on", re.I),
}


def test_no_served_template_holds_what_the_policy_refuses():
    templates = [
        path
        for path in sorted(workers.REPO_ROOT.glob("templates/**/*.html"))
        if "email" not in path.relative_to(workers.REPO_ROOT).parts
    ]
    assert len(templates) > 50  # the scan found the templates

    found = [
        f"{path.relative_to(workers.REPO_ROOT)}: {kind}"
        for path in templates
        for kind, pattern in _INLINE.items()
        if pattern.search(path.read_text())
    ]

    assert not found, "move these to static/js or static/css:\n" + "\n".join(found)
