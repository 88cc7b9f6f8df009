"""The canary: no page, export, API answer, notification or mail names an incident to someone who
may not open it (SPEC §1, issue 20 §1).

The world (``tests/world.py``) holds a restricted security incident, a caller's private incident
and an internal work note, each carrying a unique marker, written through the services so that
notifications and mail went out as in real use. For each role, every routed URL
(``tests/routes.py``, with each canary incident and attachment as its argument), the searches for
each marker, the knowledge suggestions, the API lists and details, and the mail that person
received are read; no marker may appear where that role may not read its text, and each marker
the role may read must appear somewhere (or the walk proves nothing).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from pypdf import PdfReader

from core.beat import record_beat_run
from incidents.models import Incident
from servicedesk import urls as servicedesk_urls
from tests.routes import routes
from tests.world import MARKERS, ROLES, SEARCH_WORDS, World

pytestmark = pytest.mark.django_db

# Which markers each role may read (SPEC §1): the restricted incident is its group's, the incident
# managers' and its caller's; a caller's incident is for staff and that caller; internal notes are
# for staff. Everyone reads their own public text (alice's incident is the end user's own).
STAFF = {"private", "internal", "public"}
MAY_READ: dict[str, set[str]] = {
    "end_user": {"public"},
    "agent": STAFF,
    "technical": STAFF,
    "network": STAFF,
    "manager": STAFF,
    "incident_manager": STAFF | {"restricted"},
}


def _text(response: Any) -> str:
    """The body as text; a PDF's text extracted (the markers are ASCII: JSON and HTML keep them as is)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    return body.decode("utf-8", errors="replace")


def _searches(world: World) -> Iterable[str]:
    """The queue's export, the free-text searches of every surface and the knowledge suggestions
    (by a word of each canary's title, not its marker: a search page repeats what was searched)."""
    yield "/incidents/?queue=all&format=csv"  # the whole queue's export
    for word in sorted(set(SEARCH_WORDS.values())):
        yield f"/incidents/?queue=all&q={word}"
        yield f"/incidents/?queue=all&q={word}&format=csv"
        yield f"/api/v1/incidents/?q={word}"
        yield f"/knowledge/?q={word}"
        yield f"/knowledge/suggest/?q={word}"
        yield f"/knowledge/suggest/?title={word}&description={word}"
        for incident in world.incidents.values():
            yield f"/knowledge/incidents/{incident.number}/panel/?q={word}"


def _read_everything(client: Client, world: World) -> dict[str, str]:
    """What the person reads at each address (the body, text extracted from PDFs)."""
    seen: dict[str, str] = {}
    record_beat_run()  # a healthy stack: /readyz answers 200 (beat's mark is what a sweep would write)
    urls = [r.url for r in routes(world, every_value=True)] + list(_searches(world))
    for url in urls:
        response = client.get(url, HTTP_ACCEPT="text/html,application/json")
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        seen[url] = _text(response)
    return seen


def _names(world: World) -> dict[str, list[str]]:
    """What names each canary: its marker, and the numbers of its incidents (a number in a list or
    a link names an incident as much as its title does)."""
    incidents = world.incidents
    return {
        "restricted": [MARKERS["restricted"]]
        + [i.number for key, i in incidents.items() if key.startswith("restricted")],
        "private": [MARKERS["private"], incidents["private"].number],
        "internal": [MARKERS["internal"]],
        "public": [MARKERS["public"]],
    }


def _leaks(seen: dict[str, str], names: list[str]) -> list[str]:
    """Where the names appear; a number only where the address did not ask for it (a 404 page
    repeats the number it was asked for)."""
    return [
        f"{name!r} in {where}"
        for name in names
        for where, text in seen.items()
        if name in text and (name == names[0] or name not in where)
    ]


def _mail_of(world: World, user: Any) -> dict[str, str]:
    out = {}
    for n, message in enumerate(world.mails):
        if user.email and user.email in message.to:
            parts = [message.subject, message.body]
            parts += [content for content, _ in getattr(message, "alternatives", [])]
            out[f"mail #{n} to {user.email}: {message.subject}"] = "\n".join(parts)
    return out


@pytest.mark.parametrize("role", list(ROLES))
def test_no_marker_reaches_a_role_that_may_not_read_it(world, role):
    cache.clear()  # throttles
    user = world.user(role)
    client = Client()
    client.force_login(user)
    seen = _read_everything(client, world) | _mail_of(world, user)

    allowed = MAY_READ[role]
    names = _names(world)
    leaks = [leak for kind in MARKERS if kind not in allowed for leak in _leaks(seen, names[kind])]
    assert not leaks, f"{role} ({user.username}) reads what they may not:\n" + "\n".join(leaks)
    unseen = [kind for kind in allowed if not any(MARKERS[kind] in text for text in seen.values())]
    assert not unseen, f"{role} never saw {unseen}: the walk did not reach them"


def test_the_people_the_restricted_incident_is_for_read_it(world):
    """Its group and its caller read it, on their pages and in their mail: the markers the walks
    look for are really where those people would find them."""
    number = world.incidents["restricted"].number
    for user, page in (
        (world.people["secops"], f"/incidents/{number}/"),
        (world.people["carol"], f"/portal/incidents/{number}/"),
    ):
        client = Client()
        client.force_login(user)
        assert MARKERS["restricted"] in _text(client.get(page)), user.username
        assert any(MARKERS["restricted"] in text for text in _mail_of(world, user).values()), user.username


def _leaky_page(request: Any) -> HttpResponse:
    """A page someone adds without the entry point: every incident's title."""
    return HttpResponse(", ".join(Incident.objects.values_list("title", flat=True)))


urlpatterns = [*servicedesk_urls.urlpatterns, path("leaky/", _leaky_page, name="leaky")]


def test_a_new_route_that_leaks_is_caught_the_day_it_is_added(world, settings):
    settings.ROOT_URLCONF = __name__
    client = Client()
    client.force_login(world.user("agent"))
    seen = _read_everything(client, world)
    assert _leaks(seen, _names(world)["restricted"]) == [f"{MARKERS['restricted']!r} in /leaky/"]
