"""History in the database for the learning tests: the generated kinds (tests/learning/history.py)
logged through the services, then closed at their generated times."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from escalation.models import SupportGroup
from incidents.models import Category, Incident, Service, Status
from learning import selectors
from tests.factories import make_incident
from tests.learning.history import KINDS, generate

GROUP_SLUGS = {
    201: "network",
    202: "desktop",
    203: "server",
    204: "database",
    205: "voice",
    206: "environment",
    207: "technical-support",
}


@pytest.fixture(autouse=True)
def _no_model_cached_between_tests():
    selectors.forget_loaded_model()
    yield
    selectors.forget_loaded_model()


class History:
    """The generated ids mapped onto rows of the test database."""

    def __init__(self) -> None:
        parent = Category.objects.create(name="Generated", slug="generated")
        self.categories = {
            k.category: Category.objects.create(
                name=f"Kind {k.category}", slug=f"kind-{k.category}", parent=parent
            )
            for k in KINDS
        }
        self.parent = parent
        self.services = {
            k.service: Service.objects.create(name=f"Service {k.service}", slug=f"service-{k.service}")
            for k in KINDS
        }
        self.groups = {k: SupportGroup.objects.get(slug=slug) for k, slug in GROUP_SLUGS.items()}

    def log(self, n: int, *, actor: Any, caller: Any, seed: int = 7, noise: float = 0.05) -> list[Incident]:
        made = []
        for example in generate(n, seed=seed, noise=noise):
            labels = example.labels
            priority = labels["priority"]
            impact, urgency = {1: (1, 1), 2: (1, 2), 3: (2, 2), 4: (2, 3), 5: (3, 3)}[priority]
            incident = make_incident(
                actor=actor,
                caller=caller,
                title=example.title,
                description=example.description,
                channel=example.channel,
                category=self.parent,
                subcategory=self.categories[labels["category"]],
                service=self.services[labels["service"]],
                assignment_group=self.groups[labels["assignment_group"]],
                impact=impact,
                urgency=urgency,
            )
            made.append(incident)
            # Test set-up, not a move of the lifecycle: the story of each incident is not the point.
            Incident.objects.filter(pk=incident.pk).update(
                status=Status.CLOSED, created_at=timezone.make_aware(example.created_at)
            )
        return made


@pytest.fixture
def history(db) -> History:
    return History()
