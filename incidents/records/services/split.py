"""Splitting a comment off into a new incident (issue 23 §3).

A comment that raises a second problem becomes an incident of its own: the same caller, the comment's
text as its description, the same service and categories, impact and urgency, related to the original
(an ``IncidentRelation`` of kind ``split``, which each incident page shows among its links) and named by
one timeline entry on each side (``split_from`` on the new incident's creation, ``split_into`` on the
original). Not a child: a parent's children are resolved with it, and the split reports another problem.
A restricted incident's split stays with the restricted group, so it is restricted too.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.access import Access, actor_access

from ... import permissions
from .. import texts
from ..events import attributed_to, event_record
from ..models import Incident, IncidentEvent, IncidentRelation
from .common import authorise, lock_for_edit, save_versioned
from .records import incident_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TITLE_LENGTH = 80


def split_title(body: str) -> str:
    """The new incident's title: the comment's first line, shortened on a word."""
    first = next((line.strip(" #*>-") for line in body.splitlines() if line.strip(" #*>-")), "")
    if len(first) <= TITLE_LENGTH:
        return first
    return first[:TITLE_LENGTH].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


@transaction.atomic
def incident_split(
    *,
    actor: User,
    incident: Incident,
    event_id: int,
    access: Access | None = None,
    now: datetime | None = None,
) -> Incident:
    """Make a new incident of comment ``event_id`` of ``incident``; returns the new incident.

    Only someone who may edit the incident (``update``: its owning group, the incident manager, while it
    is open) splits it; a comment that is not one of the incident's is refused."""
    now = now or timezone.now()
    access = actor_access(actor, access)
    inc = lock_for_edit(incident, None)
    authorise(access, inc, "update")
    in_range = isinstance(event_id, int) and 0 < event_id < 2**63  # a bigint: never a database error
    event = (
        IncidentEvent.objects.filter(incident=inc, pk=event_id, kind=IncidentEvent.Kind.COMMENT).first()
        if in_range
        else None
    )
    if event is None or not event.body.strip():
        raise ValidationError(
            {"comment": _("Choose one of the comments of %(number)s.") % {"number": inc.number}}
        )
    title = split_title(event.body) or _("Split from %(number)s") % {"number": inc.number}
    with attributed_to(split_from=inc.number):
        new = incident_create(
            actor=actor,
            title=title,
            caller=inc.caller,
            description=event.body,
            channel=inc.channel,
            impact=inc.impact,
            urgency=inc.urgency,
            category=inc.category,
            subcategory=inc.subcategory,
            service=inc.service,
            # a restricted incident's split is held by the same restricted group, never routed elsewhere
            assignment_group=inc.assignment_group if permissions.is_restricted(inc) else None,
            now=now,
        )
    IncidentRelation.objects.create(
        source=inc, target=new, kind=IncidentRelation.Kind.SPLIT, created_by=actor, created_at=now
    )
    save_versioned(inc, actor=actor, now=now, fields=[], bump=False)
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.UPDATED,
        actor=actor,
        now=now,
        changes={"split_into": {"old": None, "new": new.number}},
        said=texts.message("split.into", number=new.number, title=new.title),
    )
    return new
