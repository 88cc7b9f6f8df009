"""What the system writes into the activity log reads in the reader's language and zone (issue 21 §3).

The sweep, the routers, an escalation rule, a split and a merge store a message key and its parameters
(``incidents.records.texts``); the incident page, the API and the mail render it when they are read.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import translation

from incidents.errors import TransitionNotAllowed, VersionConflict
from incidents.models import IncidentEvent
from incidents.records import routing, texts
from incidents.records.services.common import lock_for_edit
from incidents.services import incident_update
from incidents.sla.sweep import sla_sweep
from profiles.models import Profile
from tests.api.conftest import client_for
from tests.factories import group, make_incident, make_user

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 3, 23, 8, 0, tzinfo=LONDON)
AFTERNOON = datetime(2026, 3, 23, 15, 0, tzinfo=LONDON)  # 7 of a P2's 8 business hours: 75 % passed


@pytest.fixture
def berliner(db):
    user = make_user("berlin1", groups=["network"])
    Profile.objects.create(user=user, language="de", time_zone="Europe/Berlin")
    return user


@pytest.fixture
def londoner(db):
    user = make_user("london1", groups=["network"])
    Profile.objects.create(user=user, language="en-gb", time_zone="Europe/London")
    return user


@pytest.fixture
def warned(agent, alice, berliner):
    incident = make_incident(
        actor=agent,
        caller=alice,
        impact=1,
        urgency=2,
        assignment_group=group("network"),
        assigned_to=berliner,  # the response is met: only the resolution's thresholds fire
        now=MONDAY,
    )
    sla_sweep(now=AFTERNOON)
    return incident


def _page(user, number: str) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/incidents/{number}/").content.decode()


def test_an_sla_warning_reads_in_the_readers_language_and_zone_on_the_page(warned, berliner, londoner):
    event = warned.events.get(
        kind__in=["sla_threshold", "sla_escalation"], changes__sla_threshold__new="resolution 75%"
    )
    due = event.changes[texts.TEXT]["body"][0]["params"]["due"]["at"]
    at = datetime.fromisoformat(due)

    german = _page(berliner, warned.number)
    berlin = at.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"Das Lösungsziel hat 75 % erreicht (fällig {berlin:%Y-%m-%d %H:%M} Europe/Berlin)." in german
    assert "Lösung 75 %" in german  # the threshold's change, and its label
    assert "SLA-Schwelle" in german
    assert "The resolution target" not in german

    english = _page(londoner, warned.number)
    assert (
        f"The resolution target reached 75% (due {at.astimezone(LONDON):%Y-%m-%d %H:%M} Europe/London)."
        in english
    )
    # the stored body stays English: the fallback for rows written before, and for older readers
    assert event.body.startswith("The resolution target reached 75% (due ")


def test_an_sla_warning_reads_in_the_language_the_api_client_asks_for(warned, berliner):
    client = client_for(berliner)
    url = f"/api/v1/incidents/{warned.number}/comments/"

    german = client.get(url, HTTP_ACCEPT_LANGUAGE="de").json()["results"]
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["results"]

    warning_de = next(e for e in german if e["kind"] in ("sla_threshold", "sla_escalation"))
    warning_en = next(e for e in english if e["kind"] in ("sla_threshold", "sla_escalation"))
    assert warning_de["body"].startswith("Das Lösungsziel hat 75 % erreicht (fällig ")
    assert warning_en["body"].startswith("The resolution target reached 75% (due ")
    assert warning_de["changes"]["sla_threshold"]["new"] == "Lösung 75 %"
    assert texts.TEXT not in warning_de["changes"]


@pytest.fixture
def suggested():
    """A router that words its choice as the learned suggestion does (``learning.routing``)."""

    def router(draft: routing.Draft) -> routing.Route | None:
        said = texts.message("routing.suggestion", version=3, confidence="0.82")
        return routing.Route(
            group=group("network"), rule=texts.english(said), by="routing_suggestion", said=said
        )

    routing.register_router("test-suggestion", router, order=routing.SUGGESTIONS)
    yield
    routing.unregister("test-suggestion")


def test_a_routing_entry_reads_in_the_readers_language(suggested, agent, alice, berliner, londoner):
    incident = make_incident(actor=agent, caller=alice, channel="email")
    created = incident.events.get(kind=IncidentEvent.Kind.CREATED)
    assert created.changes["routing_suggestion"]["new"] == "model v3, confidence 0.82"

    german = _page(berliner, incident.number)
    assert "Zuweisungsvorschlag" in german and "Modell v3, Konfidenz 0.82" in german
    english = _page(londoner, incident.number)
    assert "Routing suggestion" in english and "model v3, confidence 0.82" in english

    api = client_for(berliner).get(
        f"/api/v1/incidents/{incident.number}/comments/", HTTP_ACCEPT_LANGUAGE="de"
    )
    first = api.json()["results"][0]
    assert first["changes"]["routing_suggestion"]["new"] == "Modell v3, Konfidenz 0.82"


def test_the_409_of_a_stale_save_names_the_change_in_german(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    incident_update(actor=agent, incident=incident, expected_version=1, title="Printer jams")

    with translation.override("de"), pytest.raises(VersionConflict) as refused:
        lock_for_edit(incident, 1)
    message = str(refused.value)
    assert message.startswith(f"{incident.number} wurde geändert, nachdem Sie ihn geöffnet haben")
    assert f"{agent.get_username()} hat Titel" in message


def test_the_409_in_the_api_follows_accept_language(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    client = client_for(agent)
    client.patch(f"/api/v1/incidents/{incident.number}/", {"version": 1, "title": "First"}, format="json")

    answer = client.patch(
        f"/api/v1/incidents/{incident.number}/",
        {"version": 1, "title": "Second"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert answer.status_code == 409
    assert "wurde geändert, nachdem Sie ihn geöffnet haben" in answer.json()["detail"]
    assert "changed after you opened it" not in answer.json()["detail"]


def test_an_old_row_and_an_unknown_key_show_the_stored_body():
    assert texts.body_of("Written in 2025.", {}) == "Written in 2025."
    stored = texts.with_text({}, body=[{"key": "from.a.newer.version", "params": {}}])
    assert texts.body_of("As written.", stored) == "As written."
    with pytest.raises(KeyError):
        texts.message("no.such.key")


def test_an_sla_mail_is_written_in_the_recipients_language(warned, berliner):
    from incidents.models import Notification
    from tests.sla.conftest import deliver

    deliver()
    to_berlin = Notification.objects.filter(recipient=berliner, event__kind__startswith="sla_").first()
    assert to_berlin is not None
    assert "Das Lösungsziel hat 75 % erreicht" in to_berlin.body
    assert "Europe/Berlin" in to_berlin.body


def test_a_refused_move_is_worded_in_the_readers_language():
    refused = {"number": "INC0000001", "action": "close", "status": "new", "allowed_from": ["resolved"]}
    with translation.override("de"):
        german = str(TransitionNotAllowed(**refused))
    with translation.override("en"):
        english = str(TransitionNotAllowed(**refused))
    assert german == (
        "INC0000001 ist neu: Der Vorfall kann jetzt nicht geschlossen werden. "
        "Das ist nur möglich, wenn er gelöst ist."
    )
    assert english == "INC0000001 is new: it cannot be closed now. That is possible only when it is resolved."
