"""Merging a duplicate into the incident it duplicates (issue 23 §3).

The duplicate's comments are copied onto the survivor (as entries that name where they come from,
born published so that nobody is mailed twice for an old comment), its attachments, watchers,
children and duplicates move, its caller watches the survivor, and it is cancelled as a duplicate
of the survivor with a public entry: both callers hear of it through the usual lifecycle mails.
The duplicate keeps its number, so that it is still found and its page leads to the survivor.
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
from ...errors import PermissionDenied
from .. import texts
from ..events import attributed_to, event_record
from ..models import Attachment, Incident, IncidentEvent, Watcher
from .collaboration import incident_comment
from .common import authorise, lock_for_edit
from .lifecycle import incident_cancel

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def incident_merge(
    *,
    actor: User,
    incident: Incident,
    expected_version: int | None,
    into: Incident,
    access: Access | None = None,
    now: datetime | None = None,
) -> Incident:
    """Merge ``incident`` (the duplicate) into ``into``; returns the survivor."""
    now = now or timezone.now()
    access = actor_access(actor, access)
    if into.pk == incident.pk:
        raise ValidationError({"into": _("An incident cannot be merged into itself.")})
    # Lock both rows in one order (by id), so that two opposite merges cannot deadlock.
    first, second = sorted([incident, into], key=lambda i: i.pk)
    locked = {
        first.pk: lock_for_edit(first, expected_version if first.pk == incident.pk else None),
        second.pk: lock_for_edit(second, expected_version if second.pk == incident.pk else None),
    }
    dup, survivor = locked[incident.pk], locked[into.pk]
    authorise(access, dup, "merge")
    if permissions.is_restricted(dup) != permissions.is_restricted(survivor):
        raise PermissionDenied(
            _(
                "%(a)s and %(b)s are not visible to the same people: "
                "a restricted incident is never merged with an unrestricted one."
            )
            % {"a": dup.number, "b": survivor.number}
        )
    for inc in (dup, survivor):
        if not permissions.can_view(access, inc) or not permissions.can_work(access, inc):
            raise PermissionDenied(
                _("Only %(group)s can merge %(number)s.")
                % {"group": inc.assignment_group.name, "number": inc.number}
            )
    if not survivor.is_open:
        raise ValidationError(
            {
                "into": _("%(number)s is no longer open: merge into an open incident.")
                % {"number": survivor.number}
            }
        )
    if dup.parent_id == survivor.pk or survivor.parent_id == dup.pk:
        raise ValidationError({"into": _("A parent and its child are linked already, not duplicates.")})

    comments = list(
        dup.events.filter(kind=IncidentEvent.Kind.COMMENT)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    IncidentEvent.objects.bulk_create(
        IncidentEvent(
            incident=survivor,
            kind=IncidentEvent.Kind.COMMENT,
            actor=c.actor,
            created_at=c.created_at,
            public=c.public,
            body=c.body,
            # a comment the system worded keeps its stored message (``texts``)
            changes={"merged_from": {"old": None, "new": dup.number}}
            | ({texts.TEXT: c.changes[texts.TEXT]} if texts.TEXT in (c.changes or {}) else {}),
            version=survivor.version,
            notified_at=now,
        )
        for c in comments
    )
    moved_files = Attachment.objects.filter(incident=dup).update(incident=survivor)
    IncidentEvent.objects.filter(incident=dup, kind=IncidentEvent.Kind.ATTACHMENT).update(attachment=None)
    followers = {dup.caller_id, *Watcher.objects.filter(incident=dup).values_list("user_id", flat=True)}
    followers -= {survivor.caller_id, survivor.reported_by_id}
    followers -= set(Watcher.objects.filter(incident=survivor).values_list("user_id", flat=True))
    Watcher.objects.bulk_create(
        Watcher(incident=survivor, user_id=user_id, added_by=actor, created_at=now) for user_id in followers
    )
    Incident.objects.filter(parent=dup).update(parent=survivor)
    Incident.objects.filter(duplicate_of=dup).update(duplicate_of=survivor)

    event_record(
        incident=survivor,
        kind=IncidentEvent.Kind.UPDATED,
        actor=actor,
        now=now,
        changes={"merged_from": {"old": None, "new": dup.number}},
        said=texts.message("merge.moved", comments=len(comments), files=moved_files, number=dup.number),
    )
    told = texts.message("merge.comment", dup=dup.number, title=dup.title, number=survivor.number)
    incident_comment(
        actor=actor,
        incident=survivor,
        body=texts.english(told),
        said=told,
        public=True,
        now=now,
    )
    # The cancellation names the survivor (``merged_into``): that mark, not a cancelled duplicate's
    # link alone, is what makes the old number's links lead to the survivor (selectors.merged_into).
    cancelled = texts.message("merge.cancelled", number=survivor.number)
    with attributed_to(merged_into=survivor.number):
        incident_cancel(
            actor=actor,
            incident=dup,
            expected_version=None,
            reason=texts.english(cancelled),
            said=cancelled,
            duplicate_of=survivor,
            now=now,
        )
    survivor.refresh_from_db()
    return survivor
