"""Domain factories shared by every test module."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from escalation.choices import Role
from escalation.models import Membership, SupportGroup
from incidents import services

User = get_user_model()
PASSWORD = "correct-horse-battery"

# Which role goes with which default group, for make_user(groups=[...]) convenience.
_ROLE_FOR_TIER = {1: Role.AGENT, 2: Role.TECHNICAL, 3: Role.HARDWARE_SOFTWARE, None: Role.CONSULTED}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


def make_user(username: str, *, groups: Iterable[str] = (), roles: Iterable[str] = (), **extra: Any) -> Any:
    """A user in the given support groups (by slug), with the matching role plus ``roles``."""
    user = UserFactory(username=username, **extra)
    role_names = set(roles)
    for slug in groups:
        group = SupportGroup.objects.get(slug=slug)
        Membership.objects.get_or_create(user=user, group=group)
        role_names.add(_ROLE_FOR_TIER[group.tier])
    for name in role_names:
        user.groups.add(Group.objects.get(name=name))
    return user


def group(slug: str) -> SupportGroup:
    return SupportGroup.objects.get(slug=slug)


def make_incident(*, actor: Any, caller: Any | None = None, **kwargs: Any):
    kwargs.setdefault("title", "Printer on floor 3 does not print")
    kwargs.setdefault("description", "Jobs stay in the queue.")
    return services.incident_create(actor=actor, caller=caller or actor, **kwargs)
