"""The queue page's rows (``incident_tags.queue_row``), built in Python with their words made once per
language: every value people typed is escaped, braces and ``%`` included, and the words and times are
the reader's."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from profiles.models import Profile
from tests.factories import make_incident, make_user
from toolkit import services as toolkit

pytestmark = pytest.mark.django_db

NASTY = "<img src=x onerror=alert(1)> {number} {0} %(number)s & \"q\" 'a'"


def _row(page: str, number: str) -> str:
    found = re.search(rf'<tr data-number="{number}">.*?</tr>', page, re.S)
    assert found, f"no row for {number}"
    return found.group(0)


def test_a_row_escapes_what_people_typed_braces_and_percent_signs_included(agent):
    caller = make_user("nasty", first_name="<b>{x}</b>", last_name="O'Neil %s")
    incident = make_incident(actor=agent, caller=caller, title=NASTY)
    toolkit.tag_add(actor=agent, incident=incident, name="vip")
    client = Client()
    client.force_login(agent)

    row = _row(client.get("/incidents/", {"queue": "all"}).content.decode(), incident.number)

    assert "<img" not in row and "<b>" not in row
    escaped = "&lt;img src=x onerror=alert(1)&gt; {number} {0} %(number)s &amp; &quot;q&quot; &#x27;a&#x27;"
    assert escaped in row
    assert "&lt;b&gt;{x}&lt;/b&gt; O&#x27;Neil %s" in row
    assert f'href="/incidents/{incident.number}/"' in row
    assert f'value="{incident.number}:{incident.version}"' in row
    assert f'aria-label="Select {incident.number}"' in row
    assert '<span class="badge text-bg-light border">vip</span>' in row


@time_machine.travel(datetime(2026, 7, 1, 10, 0, tzinfo=UTC), tick=False)
def test_a_row_speaks_the_readers_language_and_shows_times_in_their_zone(agent):
    incident = make_incident(actor=agent, title="Drucker druckt nicht")
    Profile.objects.create(user=agent, language="de", time_zone="Europe/Berlin")
    client = Client()
    client.force_login(agent)

    row = _row(client.get("/incidents/", {"queue": "all"}).content.decode(), incident.number)

    assert 'data-label="Nummer"' in row and 'data-label="Erfasst"' in row
    assert f'aria-label="{incident.number} auswählen"' in row
    # logged at 10:00 UTC, 12:00 in Berlin in summer
    assert '<time datetime="2026-07-01T12:00:00+02:00">2026-07-01 12:00</time>' in row

    english = Client()
    english.force_login(make_user("reader-en", groups=["service-desk"]))
    row = _row(english.get("/incidents/", {"queue": "all"}).content.decode(), incident.number)
    assert 'data-label="Number"' in row and 'data-label="Logged"' in row
