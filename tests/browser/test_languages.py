"""Languages and time zones in real Chromium (SPEC §14).

A caller whose browser asks for German reports an incident in German, gets German mail and answers a German
survey; agents in Berlin and New York read the same due time, each in their own zone.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from incidents.models import Incident
from profiles.models import Profile
from surveys.models import Answer, Programme
from surveys.services import QuestionSpec, QuestionTranslation, _invite, template_save, version_translate
from tests.browser.test_portal import deliver_mail
from tests.factories import PASSWORD, make_incident, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sign_in_by_field(browser: Browser, live_server, username: str, **context) -> Page:
    """Sign in whatever the page's language: by the fields' names, not their (translated) labels."""
    page = browser.new_context(**context).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    return page


def _german_template():
    manager = make_user("im", roles=["Incident manager"])
    template = template_save(
        actor=manager,
        template=None,
        name="After an incident",
        intro="One question, one minute.",
        questions=[QuestionSpec(kind="rating", text="How satisfied are you with the fix?", required=True)],
    )
    version = template.current_version()
    assert version is not None
    version_translate(
        actor=manager,
        version=version,
        language="de",
        intro="Eine Frage, eine Minute.",
        questions={
            version.questions.get().pk: QuestionTranslation(text="Wie zufrieden sind Sie mit der Lösung?")
        },
    )
    return template


def test_a_caller_whose_browser_asks_for_german_reports_in_german_and_gets_german_mail(live_server, browser):
    make_user("agent", groups=["service-desk"])
    make_user("jonas", first_name="Jonas", last_name="Becker", email="jonas@example.org")

    login = browser.new_context(locale="de-DE").new_page()
    login.goto(f"{live_server.url}/accounts/login/")
    expect(login.locator("html")).to_have_attribute("lang", "de")
    expect(login.get_by_role("button", name="Anmelden")).to_be_visible()
    login.context.close()

    jonas = sign_in_by_field(browser, live_server, "jonas", locale="de-DE")
    expect(jonas).to_have_url(re.compile(r"/portal/$"))
    expect(jonas.get_by_role("heading", name="Meine Vorfälle")).to_be_visible()
    jonas.get_by_role("link", name="Einen Vorfall melden").click()
    jonas.get_by_label("Was ist das Problem?").fill("Der Drucker im zweiten Stock druckt nicht")
    jonas.get_by_label("Erzählen Sie uns mehr").fill("Seit heute Morgen bleiben alle Aufträge hängen.")
    jonas.get_by_label("Ich kann arbeiten, aber langsamer oder mit einem Behelf").check()
    jonas.get_by_label("Nur ich").check()
    jonas.get_by_role("button", name="Senden").click()
    expect(jonas.locator(".alert-success")).to_contain_text("ist erfasst")
    incident = Incident.objects.get(title="Der Drucker im zweiten Stock druckt nicht")
    jonas.get_by_role("link", name="Meine Vorfälle").click()
    expect(jonas.get_by_test_id("open-incidents")).to_contain_text("Der Drucker im zweiten Stock")
    # He never chose a language: the one his browser asked for is remembered for the mail.
    assert Profile.objects.get(user__username="jonas").browser_language == "de"

    mail.outbox.clear()
    deliver_mail()
    [logged] = [m for m in mail.outbox if m.to == ["jonas@example.org"]]
    assert logged.subject == f"[{incident.number}] Wir haben Ihren Vorfall erfasst: {incident.title}"
    assert "Wir haben Ihren Vorfall als" in logged.body
    html = logged.alternatives[0][0]
    assert 'lang="de"' in html
    assert "Diese Nachricht wurde vom Service Desk gesendet." in html

    # He answers the survey about it in German: the incident manager's German wording of the questions,
    # and his answer counts with everyone's, against the one question.
    programme = Programme.objects.create(name="Nach der Lösung", template=_german_template())
    invitation = _invite(programme, incident.caller, now=timezone.now(), incident=incident)
    assert invitation is not None
    rating = invitation.template_version.questions.get(kind="rating")
    jonas.goto(f"{live_server.url}/surveys/mine/{invitation.pk}/")
    expect(jonas.locator("legend").first).to_contain_text("Wie zufrieden sind Sie mit der Lösung?")
    expect(jonas.get_by_test_id("survey-intro")).to_have_text("Eine Frage, eine Minute.")
    jonas.locator(f"label[for=q{rating.pk}-5]").click()
    jonas.get_by_role("button", name="Meine Antworten senden").click()
    expect(jonas).to_have_url(re.compile(r"/surveys/thanks/$"))
    answer = Answer.objects.get(question=rating)
    assert answer.rating == 5 and answer.response.language == "de"

    # He chooses French on the preferences page (user menu): the pages follow, whatever the browser asks.
    jonas.get_by_test_id("signed-in-user").click()
    jonas.get_by_test_id("language-preferences").click()
    jonas.get_by_label("Sprache").select_option("fr")
    jonas.get_by_label("Zeitzone").select_option("Europe/Paris")
    jonas.get_by_role("button", name="Einstellungen speichern").click()
    expect(jonas.locator(".alert-success")).to_have_text(re.compile("Vos préférences sont enregistrées."))
    expect(jonas.locator("html")).to_have_attribute("lang", "fr")


def test_agents_in_berlin_and_new_york_see_the_same_due_time_each_in_their_zone(live_server, browser):
    author = make_user("agent", groups=["service-desk"])
    for username, zone in (("berlin", "Europe/Berlin"), ("newyork", "America/New_York")):
        Profile.objects.create(user=make_user(username, groups=["service-desk"]), time_zone=zone)
    incident = make_incident(actor=author, impact=1, urgency=1)
    due = incident.resolution_due_at
    assert due is not None

    shown = {}
    for username, zone in (("berlin", "Europe/Berlin"), ("newyork", "America/New_York")):
        page = sign_in_by_field(browser, live_server, username)
        page.goto(f"{live_server.url}/incidents/{incident.number}/")
        local = timezone.localtime(due, zoneinfo.ZoneInfo(zone))
        shown[zone] = page.get_by_test_id("resolution-due-at").inner_text().strip()
        assert shown[zone] == f"{local:%Y-%m-%d %H:%M} {zone}"
        # The machine-readable moment is the same instant for both.
        stamp = page.get_by_test_id("resolution-due").get_attribute("datetime")
        assert stamp is not None and datetime.fromisoformat(stamp) == due
    assert shown["Europe/Berlin"][:16] != shown["America/New_York"][:16]
