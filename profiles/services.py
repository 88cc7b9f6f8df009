from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import Profile


@transaction.atomic
def preferences_save(*, user: Any, language: str, time_zone: str) -> Profile:
    profile, _created = Profile.objects.update_or_create(
        user=user, defaults={"language": language, "time_zone": time_zone}
    )
    return profile
