from __future__ import annotations

from typing import Any

import pytest

from escalation.models import Membership
from knowledge.models import Article, Visibility
from knowledge.services.articles import article_create, article_transition
from tests.factories import make_user


@pytest.fixture
def lead(db):
    user = make_user("techlead", groups=["technical-support"])
    Membership.objects.filter(user=user).update(is_lead=True)
    return user


def publish(*, author: Any, publisher: Any, **fields: Any) -> Article:
    article = article_create(actor=author, **fields)
    article_transition(actor=author, article=article, action="submit")
    return article_transition(actor=publisher, article=article, action="publish")


@pytest.fixture
def corpus(agent, incident_manager):
    """A small corpus: each article's symptoms are distinctive, some words are shared."""
    specs = [
        (
            "Printer shows a paper jam",
            "Printer says paper jam but no paper is stuck; jobs wait in the queue",
            Visibility.PUBLIC,
        ),
        (
            "VPN disconnects every few minutes",
            "The VPN connection drops and reconnects; calls are cut",
            Visibility.PUBLIC,
        ),
        ("Mailbox full warning", "Cannot receive email, quota warning, mailbox full", Visibility.PUBLIC),
        (
            "ERP login fails with an invalid session",
            "ERP rejects the login: invalid session token",
            Visibility.INTERNAL,
        ),
        ("Second monitor not detected", "The second screen stays black after docking", Visibility.PUBLIC),
        (
            "Database connection pool exhausted",
            "Application cannot reach the database: connection refused",
            Visibility.INTERNAL,
        ),
    ]
    return {
        title: publish(
            author=agent,
            publisher=incident_manager,
            title=title,
            symptoms=symptoms,
            resolution="Follow the runbook.",
            visibility=visibility,
        )
        for title, symptoms, visibility in specs
    }
