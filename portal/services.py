"""The portal's one composite write: a caller reports an incident with its files, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from incidents import services as incident_services
from incidents.models import Channel, Incident

from .wording import IMPACT_FOR, URGENCY_FOR

if TYPE_CHECKING:
    from django.contrib.auth.models import User

LOCATION_MAX_LENGTH = 200


@transaction.atomic
def portal_report(
    *,
    actor: User,
    title: str,
    description: str,
    stops_work: str,
    affected: str,
    location: str = "",
    files: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> Incident:
    """Log the caller's own incident (channel portal); impact and urgency come from the answers.

    A refused file rolls the whole report back, so the caller can fix it and send it again.
    """
    text = description.strip()
    if location.strip():
        text = f"{text}\n\nWhere: {location.strip()[:LOCATION_MAX_LENGTH]}".strip()
    incident = incident_services.incident_create(
        actor=actor,
        caller=actor,
        title=title,
        description=text,
        channel=Channel.PORTAL,
        impact=IMPACT_FOR[affected],
        urgency=URGENCY_FOR[stops_work],
        now=now,
    )
    for upload in files:
        incident_services.attachment_add(actor=actor, incident=incident, upload=upload, public=True, now=now)
    return incident
