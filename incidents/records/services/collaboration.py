"""Working together on an incident: consultations of other groups and comments."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.access import access_for
from escalation.models import Membership, SupportGroup

from ... import permissions
from ...errors import PermissionDenied
from ...sla import clocks as sla
from ..events import event_record
from ..models import Consultation, HoldReason, Incident, IncidentEvent
from .common import authorise, check_text, lock_for_edit, save_versioned
from .lifecycle import incident_resume

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The API answers 403 with this message; the service refuses with it everywhere else.
CALLERS_COMMENT_PUBLICLY = "Callers write public comments only."


@transaction.atomic
def incident_consult(
    *,
    actor: User,
    incident: Incident,
    expected_version: int | None,
    group: SupportGroup,
    question: str,
    now: datetime | None = None,
) -> Consultation:
    now = now or timezone.now()
    inc = lock_for_edit(incident, expected_version)
    authorise(access_for(actor), inc, "consult")
    if not group.is_active or not group.is_consulted:
        raise ValidationError({"group": _("%(name)s is not a consulted group.") % {"name": group.name}})
    question = check_text("question", question, max_length=Consultation.QUESTION_MAX_LENGTH, required=True)
    consultation = Consultation.objects.create(
        incident=inc, group=group, question=question, requested_by=actor, requested_at=now
    )
    save_versioned(inc, actor=actor, now=now, fields=[], bump=False)
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.CONSULTED,
        actor=actor,
        now=now,
        body=question,
        changes={"consulted_group": {"old": None, "new": group.slug}},
        consultation=consultation,
    )
    return consultation


@transaction.atomic
def consultation_answer(
    *, actor: User, consultation: Consultation, answer: str, now: datetime | None = None
) -> Consultation:
    now = now or timezone.now()
    locked = (
        Consultation.objects.select_for_update().select_related("group", "incident").get(pk=consultation.pk)
    )
    if not Membership.objects.filter(user=actor, group=locked.group).exists():
        raise PermissionDenied(
            _("Only members of %(name)s answer this consultation.") % {"name": locked.group.name}
        )
    if locked.answered_at is not None:
        raise ValidationError({"answer": _("This consultation has already been answered.")})
    answer = check_text("answer", answer, max_length=Consultation.ANSWER_MAX_LENGTH, required=True)
    inc = lock_for_edit(locked.incident, None)
    locked.answer = answer
    locked.answered_by = actor
    locked.answered_at = now
    locked.save(update_fields=["answer", "answered_by", "answered_at"])
    save_versioned(inc, actor=actor, now=now, fields=[], bump=False)
    event_record(
        incident=inc,
        kind=IncidentEvent.Kind.CONSULTATION_ANSWERED,
        actor=actor,
        now=now,
        body=answer,
        changes={"consulted_group": {"old": None, "new": locked.group.slug}},
    )
    return locked


@transaction.atomic
def incident_comment(
    *,
    actor: User,
    incident: Incident,
    body: str,
    public: bool,
    said: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> IncidentEvent:
    """Add a comment. Comments do not conflict with other edits, so they take no version. ``said``: the
    body as a stored message when the system words it (``texts``), shown in the reader's language.

    Callers write public comments only (a private one is refused); a caller's reply resumes an
    incident that was waiting for them; a first public reply by the owning group acknowledges the incident.
    """
    now = now or timezone.now()
    access = access_for(actor)
    inc = lock_for_edit(incident, None)
    authorise(access, inc, "comment")
    body = check_text("body", body, max_length=Incident.COMMENT_MAX_LENGTH, required=True)
    if not public and not permissions.can_see_internal(access):
        raise PermissionDenied(CALLERS_COMMENT_PUBLICLY)
    staff = permissions.can_see_internal(access)
    fields: list[str] = []
    if public and staff and permissions.can_work(access, inc) and inc.responded_at is None:
        sla.acknowledge(inc, now=now)
    save_versioned(inc, actor=actor, now=now, fields=fields, bump=False)
    event = event_record(
        incident=inc,
        kind=IncidentEvent.Kind.COMMENT,
        actor=actor,
        now=now,
        body=body,
        public=public,
        said=said,
    )
    if permissions.is_caller(access, inc) and inc.hold_reason == HoldReason.AWAITING_CALLER:
        incident_resume(actor=None, incident=inc, expected_version=None, now=now)
    return event


@transaction.atomic
def incident_knowledge_linked(
    *, actor: User, incident: Incident, reference: str, title: str, now: datetime | None = None
) -> IncidentEvent:
    """Log in the timeline that a knowledge article was linked (the link row is the knowledge app's).

    Staff who may comment on the incident may link; the entry is internal, as the article may be.
    """
    now = now or timezone.now()
    access = access_for(actor)
    inc = lock_for_edit(incident, None)
    authorise(access, inc, "comment")
    if not permissions.can_see_internal(access):
        raise PermissionDenied(_("Only staff link knowledge articles."))
    save_versioned(inc, actor=actor, now=now, fields=[], bump=False)
    return event_record(
        incident=inc,
        kind=IncidentEvent.Kind.KNOWLEDGE_LINKED,
        actor=actor,
        now=now,
        body=check_text("title", title, max_length=500),
        changes={"knowledge_article": {"old": None, "new": reference}},
    )
