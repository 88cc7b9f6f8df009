"""Every staff URL answers 403 or 404 to an end user: the routed patterns are walked, none listed by hand."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import make_incident

pytestmark = pytest.mark.django_db

# What an end user may open: their portal, their account, their notifications, and the API's
# caller-scoped endpoints (which filter to their own incidents, tested in tests/api).
END_USER_PREFIXES = (
    "",  # the landing page itself (exact match below)
    "healthz",
    "readyz",  # readiness for load balancers: states only, nothing about incidents
    "portal/",
    "accounts/",
    "notifications/",
    "api/v1/auth/",
    "api/v1/incidents/",
    "api/v1/notifications/",
    "api/v1/groups/",  # group names, open to every signed-in user by design (tests/api permission matrix)
    "api/schema/",
    "api/docs/",
    "incidents/attachments/",  # permission-checked per file, for callers too
    # Published public articles only, for callers too (the visibility rule: tests/knowledge).
    "knowledge/suggest/",
    "api/v1/knowledge/articles/",
    # Satisfaction surveys: the published results (every signed-in user), the answering pages
    # (one-time link, or the caller's own invitation by id: tests/surveys) and the thank-you page.
    "surveys/published/",
    "surveys/answer/",
    "surveys/mine/",
    "surveys/thanks/",
    "profile/",  # each person's own language and time zone (profiles), callers too
    # The change feed follows the caller's own portal page too: public events of their incidents
    # only (tests/live/test_feed.py). Presence is staff only and stays in the staff list.
    "live/feed/",
)
# A public article's page and its "This solved it" (not the editing pages under the same prefix).
END_USER_PATTERNS = (re.compile(r"^/knowledge/articles/[^/]+/(solved/)?$"),)


def _walk(patterns, prefix: str = ""):
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route


def _concrete(route: str, number: str) -> str:
    """A path for a route pattern: parameters filled with an existing incident of someone else."""
    path = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/")
    path = re.sub(r"<(?:str:|slug:)?(number)>", number, path)
    path = re.sub(r"<int:\w+>", "1", path)
    path = re.sub(r"<(?:str:|slug:|path:)?\w+>", "x", path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)  # regex groups (the admin's)
    path = re.sub(r"[\^$?*+()|\[\]]", "", path)
    return "/" + path


def _is_end_user_url(path: str) -> bool:
    if path == "/" or any(p.match(path) for p in END_USER_PATTERNS):
        return True
    return any(prefix and path.startswith("/" + prefix) for prefix in END_USER_PREFIXES)


def test_every_routed_staff_url_refuses_an_end_user(client, agent, alice, bob):
    incident = make_incident(actor=agent, caller=bob)
    paths = sorted({_concrete(r, incident.number) for r in _walk(get_resolver().url_patterns)})
    staff_paths = [p for p in paths if not _is_end_user_url(p)]
    assert any(p.startswith("/admin/") for p in staff_paths)
    assert any(p.startswith("/incidents/") for p in staff_paths)
    assert len(staff_paths) > 30
    client.force_login(alice)
    answered: dict[str, int] = {}
    for path in staff_paths:
        status = client.get(path).status_code
        if status == 405:  # POST-only views: refused before the body is read
            status = client.post(path).status_code
        answered[path] = status
    allowed = {p: s for p, s in answered.items() if s not in (403, 404)}
    assert allowed == {}


def test_the_admin_answers_403_to_an_end_user_and_still_signs_staff_in(client, alice):
    client.force_login(alice)
    assert client.get("/admin/").status_code == 403
    client.logout()
    assert client.get("/admin/login/").status_code == 200
