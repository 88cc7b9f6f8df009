"""Each person's language and time zone (SPEC §14): the preferences page, pages that follow them, and mail
written in the recipient's language and zone rather than the sender's."""

from __future__ import annotations

import zoneinfo

import pytest
from django.utils import timezone, translation

from incidents.models import Notification
from incidents.records.outbox import event_publish
from profiles.locale import in_locale_of, locale_of, locale_of_address
from profiles.models import Profile
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db


def _publish(incident) -> None:
    for pk in incident.events.filter(notified_at__isnull=True).values_list("pk", flat=True):
        event_publish(pk)


def test_a_caller_chooses_german_and_berlin_and_every_page_follows(client, alice):
    client.force_login(alice)
    page = client.get("/profile/preferences/")
    assert page.status_code == 200
    assert "Language and time zone" in page.content.decode()

    answer = client.post("/profile/preferences/", {"language": "de", "time_zone": "Europe/Berlin"})
    assert answer.status_code == 302
    profile = Profile.objects.get(user=alice)
    assert (profile.language, profile.time_zone) == ("de", "Europe/Berlin")

    # The next pages are German (whatever the browser asks) and in Berlin time.
    page = client.get("/profile/preferences/", HTTP_ACCEPT_LANGUAGE="fr")
    assert page["Content-Language"] == "de"
    html = page.content.decode()
    assert "Sprache und Zeitzone" in html
    assert "Ihre Einstellungen sind gespeichert." in html  # the message, written after the choice
    assert '<html lang="de">' in html
    assert "(Europe/Berlin)" in html
    portal = client.get("/portal/")
    assert "Meine Vorfälle" in portal.content.decode()


def test_the_portal_follows_the_browser_until_the_caller_chooses(client, alice):
    client.force_login(alice)
    page = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5")
    assert page["Content-Language"] == "fr"
    assert "Mes incidents" in page.content.decode()
    # Remembered for the mail written to her while she has not chosen.
    assert Profile.objects.get(user=alice).browser_language == "fr"
    assert locale_of(alice).language == "fr"

    client.post("/profile/preferences/", {"language": "es", "time_zone": ""})
    page = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="fr")
    assert page["Content-Language"] == "es"
    assert "Mis incidencias" in page.content.decode()


def test_a_browser_asking_for_nothing_in_particular_gets_english_and_writes_nothing(client, alice):
    client.force_login(alice)
    page = client.get("/portal/")
    assert page["Content-Language"] == "en-gb"
    assert "My incidents" in page.content.decode()
    assert not Profile.objects.filter(user=alice).exists()


def test_a_time_zone_or_language_the_server_does_not_know_is_refused_with_a_message(client, alice):
    client.force_login(alice)
    page = client.post("/profile/preferences/", {"language": "de", "time_zone": "Mars/Olympus_Mons"})
    assert page.status_code == 200
    assert "Mars/Olympus_Mons" in page.content.decode()  # "Select a valid choice. … is not one of …"
    page = client.post("/profile/preferences/", {"language": "xx", "time_zone": ""})
    assert page.status_code == 200
    assert not Profile.objects.filter(user=alice).exists()


def test_the_preferences_page_is_for_signed_in_people_only(client):
    assert client.get("/profile/preferences/").status_code == 302


def test_two_agents_see_the_same_due_time_each_in_their_own_zone_with_the_zone_named(client, agent):
    berlin = make_user("berlin", groups=["service-desk"])
    new_york = make_user("newyork", groups=["service-desk"])
    Profile.objects.create(user=berlin, time_zone="Europe/Berlin")
    Profile.objects.create(user=new_york, time_zone="America/New_York")
    incident = make_incident(actor=agent, impact=1, urgency=1)
    assert incident.resolution_due_at is not None
    shown = {}
    for person, zone in ((berlin, "Europe/Berlin"), (new_york, "America/New_York")):
        client.force_login(person)
        html = client.get(f"/incidents/{incident.number}/").content.decode()
        local = timezone.localtime(incident.resolution_due_at, zoneinfo.ZoneInfo(zone))
        shown[zone] = f"{local:%Y-%m-%d %H:%M} {zone}"
        assert shown[zone] in html, zone
    assert shown["Europe/Berlin"][:16] != shown["America/New_York"][:16]


def test_mail_is_written_in_each_recipients_language_not_the_senders(agent, alice):
    Profile.objects.create(user=alice, language="de", time_zone="Europe/Berlin")
    # The agent works in English; the caller reads German.
    with translation.override("en-gb"):
        incident = make_incident(actor=agent, caller=alice, title="Drucker druckt nicht")
        _publish(incident)
    to_alice = Notification.objects.get(recipient=alice, incident=incident, kind="incident_logged")
    assert to_alice.subject == f"[{incident.number}] Wir haben Ihren Vorfall erfasst: Drucker druckt nicht"
    assert "Wir haben Ihren Vorfall als" in to_alice.body
    assert "Hallo Alice Liddell," in to_alice.body
    assert 'lang="de"' in to_alice.body_html
    # The request that sent it is still in English.
    assert translation.get_language() != "de"


def test_in_locale_of_finds_a_person_by_address_and_falls_back_to_the_organisation(alice):
    Profile.objects.create(user=alice, language="fr", time_zone="America/New_York")
    assert locale_of_address("ALICE@example.org").language == "fr"
    stranger = locale_of_address("nobody@example.org")
    assert (stranger.language, stranger.time_zone) == ("en-gb", "Europe/London")
    with in_locale_of(address="alice@example.org"):
        assert translation.get_language() == "fr"
        assert timezone.get_current_timezone_name() == "America/New_York"
    assert translation.get_language() != "fr"


def test_an_sla_mail_names_the_recipients_zone_beside_each_due_time(agent, alice):
    from django.template.loader import render_to_string

    from profiles.locale import Locale, in_locale

    incident = make_incident(actor=agent, caller=alice, impact=1, urgency=1)
    context = {"incident": incident, "recipient": agent, "event": {"body": ""}, "url": ""}
    with in_locale(Locale(language="de", time_zone="America/New_York")):
        text = render_to_string("incidents/email/_sla.txt", context)
    due = timezone.localtime(incident.resolution_due_at, zoneinfo.ZoneInfo("America/New_York"))
    line = next(line for line in text.splitlines() if line.startswith("Lösung fällig:"))
    assert f"{due:%H:%M}" in line
    assert line.endswith("(America/New_York)")


def test_a_caller_answers_the_shipped_survey_questions_in_their_language(
    client, agent, alice, incident_manager
):
    from surveys.models import Programme
    from surveys.services import QuestionSpec, _invite, template_save, token_issue

    Profile.objects.create(user=alice, language="de")
    questions = [
        QuestionSpec(
            kind="rating", text="How satisfied are you with how your incident was handled?", required=True
        ),
        QuestionSpec(kind="choice", text="How did you contact us?", choices=("Portal", "Email", "Phone")),
        QuestionSpec(kind="text", text="Anything about the printer?"),  # written by hand: shown as written
    ]
    template = template_save(
        actor=incident_manager, template=None, name="After an incident", intro="", questions=questions
    )
    programme = Programme.objects.create(name="After", template=template, sample_percent=100, published=True)
    invitation = _invite(
        programme, alice, now=timezone.now(), incident=make_incident(actor=agent, caller=alice)
    )
    assert invitation is not None
    # Opened from the mail, without signing in, in a browser that asks for English.
    page = client.get(f"/surveys/answer/{token_issue(invitation)}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Wie zufrieden sind Sie mit der Bearbeitung Ihres Vorfalls?" in html
    assert "Wie haben Sie uns kontaktiert?" in html
    assert ">Telefon</label>" in html and 'value="Phone"' in html  # shown in German, answered as stored
    assert "Anything about the printer?" in html
    assert "Meine Antworten senden" in html
