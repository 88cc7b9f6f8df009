"""Demo people who read other languages and live in other time zones (SPEC §14).

``jonas`` is a caller who reads German in Berlin; ``greta`` (service desk, German, Berlin) and ``jordan``
(service desk, English, New York) read the same SLA due times each in their own zone. Loaded after the
history, so no demo incident is theirs: they are there to sign in as (password as every demo login).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from escalation.choices import Role
from escalation.models import Membership, SupportGroup
from profiles.models import Profile

# username, first, last, support group (or "" for a caller), role, language, time zone
PEOPLE = [
    ("jonas", "Jonas", "Becker", "", None, "de", "Europe/Berlin"),
    ("greta", "Greta", "Hoffmann", "service-desk", Role.AGENT, "de", "Europe/Berlin"),
    ("jordan", "Jordan", "Miller", "service-desk", Role.AGENT, "en-gb", "America/New_York"),
]


def load_languages_demo(*, password: str) -> None:
    hashed = make_password(password)
    for username, first, last, group_slug, role, language, zone in PEOPLE:
        user, _created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.org",
                "password": hashed,
            },
        )
        if group_slug and role:
            Membership.objects.get_or_create(user=user, group=SupportGroup.objects.get(slug=group_slug))
            user.groups.add(Group.objects.get(name=role))
        Profile.objects.update_or_create(user=user, defaults={"language": language, "time_zone": zone})
