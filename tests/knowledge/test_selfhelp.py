"""Callers' self-help (issue 24 §3): search and browse public articles, forgiving typos, and deflection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from knowledge import selfhelp
from knowledge.models import SelfSolvedReport
from knowledge.services.articles import self_solved_report
from tests.factories import PASSWORD, make_incident

pytestmark = pytest.mark.django_db


def titles(articles):
    return [a.title for a in articles]


def test_search_finds_public_articles_and_never_internal_ones(corpus):
    found, forgiving = selfhelp.help_search("VPN disconnects")
    assert titles(found)[0] == "VPN disconnects every few minutes"
    assert not forgiving

    internal, _ = selfhelp.help_search("ERP login session")
    assert "ERP login fails with an invalid session" not in titles(internal)


def test_search_forgives_typos(corpus):
    found, forgiving = selfhelp.help_search("mailbox ful wraning")
    assert forgiving
    assert titles(found)[0] == "Mailbox full warning"

    found, forgiving = selfhelp.help_search("pritner papr jam")
    assert "Printer shows a paper jam" in titles(found)

    nothing, _ = selfhelp.help_search("zzzqqq")
    assert nothing == []


def test_the_sqlite_fallback_corrects_typed_words_against_the_public_vocabulary(corpus):
    found = selfhelp._fuzzy_python(selfhelp.public_articles(), ["pritner", "papr"])
    assert titles(found) == ["Printer shows a paper jam"]
    # an internal article's words are not in the vocabulary
    assert selfhelp._fuzzy_python(selfhelp.public_articles(), ["sesion", "tokn"]) == []


def test_browse_lists_public_articles_the_most_helpful_first(corpus, alice, bob):
    monitor = corpus["Second monitor not detected"]
    self_solved_report(user=alice, article=monitor)
    self_solved_report(user=bob, article=monitor)

    shown = titles(selfhelp.help_browse())

    assert shown[0] == "Second monitor not detected"
    assert len(shown) == 4
    assert "Database connection pool exhausted" not in shown


def test_deflection_per_month_and_per_article(corpus, alice, bob):
    vpn, mailbox = corpus["VPN disconnects every few minutes"], corpus["Mailbox full warning"]
    march = datetime(2026, 3, 10, 12, tzinfo=UTC)
    self_solved_report(user=alice, article=vpn, now=march)
    self_solved_report(user=bob, article=vpn, now=march + timedelta(days=40))
    self_solved_report(user=alice, article=mailbox, now=march + timedelta(days=41))
    self_solved_report(user=alice, article=mailbox, now=march - timedelta(days=200))  # before the window

    figures = selfhelp.deflection(since=march - timedelta(days=5))

    assert figures["total"] == 3
    assert [(r["month"].month, r["n"]) for r in figures["per_month"]] == [(3, 1), (4, 2)]
    assert [(r["article__number"], r["n"]) for r in figures["per_article"]] == [
        (vpn.number, 2),
        (mailbox.number, 1),
    ]


def test_the_portal_page_answers_callers(client, corpus, alice):
    assert client.login(username=alice.username, password=PASSWORD)

    browse = client.get(reverse("portal:help"))
    found = client.get(reverse("portal:help"), {"q": "secnd monitr"})
    bad_page = client.get(reverse("portal:help"), {"page": "-3x"})

    assert browse.status_code == 200 and "Second monitor not detected" in browse.content.decode()
    assert "Second monitor not detected" in found.content.decode()
    assert bad_page.status_code == 200


def test_this_solved_it_ends_the_report_without_an_incident_and_the_dashboard_counts_it(
    client, corpus, alice, agent, incident_manager
):
    make_incident(actor=agent, caller=alice)  # the dashboard has a month to show
    before = Incident.objects.count()
    vpn = corpus["VPN disconnects every few minutes"]
    assert client.login(username=alice.username, password=PASSWORD)

    response = client.post(reverse("knowledge:self-solved", args=[vpn.number]), HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and "No incident was logged" in response.content.decode()
    assert Incident.objects.count() == before
    assert SelfSolvedReport.objects.filter(article=vpn, created_at__lte=timezone.now()).count() == 1
    client.logout()
    assert client.login(username=incident_manager.username, password=PASSWORD)
    dashboard = client.get("/reporting/").content.decode()
    assert 'data-testid="dashboard-deflection"' in dashboard
    assert f'data-testid="deflection-{vpn.number}"' in dashboard
