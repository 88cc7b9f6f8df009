"""Writes of the toolkit: response templates, macros and applying a macro (issue 23).

A macro changes an incident only through the lifecycle's own services, so that each change is
checked, clocked and notified as if a person had made it by hand; the macro adds one audit row
(``MacroRun``) and names itself on every event it caused (``events.attributed_to``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from escalation.access import Access, access_for
from escalation.models import Membership
from incidents import permissions
from incidents import services as incident_services
from incidents.errors import PermissionDenied
from incidents.models import Channel, Incident, IncidentEvent
from incidents.records.events import api_value, attributed_to, event_record
from incidents.records.services.common import check_support_group, lock_for_edit

from .models import (
    Absence,
    AssignmentMode,
    GroupAssignment,
    IncidentTag,
    Macro,
    MacroRun,
    MacroStatus,
    ResponseTemplate,
    RoutingRule,
    Tag,
    TimeEntry,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# --- response templates ----------------------------------------------------------------------

VARIABLE = re.compile(r"\{(caller_name|incident_number|due_time|agent_name|article:[A-Za-z0-9-]{1,20})\}")
VARIABLES = ("{caller_name}", "{incident_number}", "{due_time}", "{agent_name}", "{article:KB0000001}")


def response_render(*, text: str, incident: Incident, agent: Any) -> str:
    """Fill a template's variables for one incident. Unknown braces are left as written: a template
    is plain text, never a program."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "caller_name":
            caller = incident.caller
            return str(caller.get_full_name() or caller.get_username())
        if name == "incident_number":
            return incident.number
        if name == "agent_name":
            return str(agent.get_full_name() or agent.get_username())
        if name == "due_time":
            due = incident.resolution_due_at
            return formats.date_format(timezone.localtime(due), "DATETIME_FORMAT") if due else "—"
        number = name.split(":", 1)[1].upper()
        try:
            return settings.SITE_URL + reverse("knowledge:article", args=[number])
        except NoReverseMatch:
            return number

    return VARIABLE.sub(value, text)


def _check_response_scope(access: Access, *, owner: Any, group: Any) -> None:
    if group is not None and not (access.is_incident_manager or group.pk in access.group_ids):
        raise PermissionDenied(_("You can share templates only with your own groups."))
    if owner is None and group is None and not access.is_incident_manager:
        raise PermissionDenied(_("Only an incident manager shares templates with every agent."))


@transaction.atomic
def response_template_save(
    *,
    actor: User,
    template: ResponseTemplate | None = None,
    title: str,
    body: str,
    personal: bool,
    group: Any = None,
    language: str = "",
) -> ResponseTemplate:
    """Create or change a template: personal to the actor, shared with a group the actor is in,
    or shared with everyone (incident managers)."""
    access = access_for(actor)
    if not access.is_staff_member:
        raise PermissionDenied(_("Only service desk staff keep response templates."))
    if template is not None:
        _check_may_edit_response(access, template)
    owner = actor if personal else None
    group = None if personal else group
    _check_response_scope(access, owner=owner, group=group)
    template = template or ResponseTemplate(created_by=actor)
    template.title = title.strip()
    template.body = body.strip()
    template.owner = owner
    template.group = group
    template.language = language.strip()
    template.full_clean(exclude=["created_by"])
    template.save()
    return template


def _check_may_edit_response(access: Access, template: ResponseTemplate) -> None:
    if template.owner_id is not None:
        allowed = template.owner_id == access.user_id
    elif template.group_id is not None:
        allowed = access.is_incident_manager or template.group_id in access.group_ids
    else:
        allowed = access.is_incident_manager
    if not allowed:
        raise PermissionDenied(_("You may not change this template."))


@transaction.atomic
def response_template_delete(*, actor: User, template: ResponseTemplate) -> None:
    _check_may_edit_response(access_for(actor), template)
    template.delete()


# --- macros ----------------------------------------------------------------------------------


def _check_incident_manager(actor: Any) -> None:
    if not access_for(actor).is_incident_manager:
        raise PermissionDenied(_("Only an incident manager manages macros."))


MACRO_FIELDS = (
    "name",
    "description",
    "group",
    "set_status",
    "hold_reason",
    "resolution_code",
    "assignment_group",
    "impact",
    "urgency",
    "category",
    "public_reply",
    "internal_note",
    "is_active",
)


def macro_check(macro: Macro) -> None:
    """The rules a macro must follow to be applicable at all."""
    errors: dict[str, str] = {}
    if macro.set_status == MacroStatus.ON_HOLD and not macro.hold_reason:
        errors["hold_reason"] = _("Say why the incident goes on hold.")
    if macro.set_status == MacroStatus.RESOLVED and not macro.resolution_code:
        errors["resolution_code"] = _("Choose the resolution code.")
    if macro.set_status == MacroStatus.RESOLVED and not (macro.public_reply or macro.internal_note):
        errors["public_reply"] = _(
            "A macro that resolves writes the resolution notes: give a reply or a note."
        )
    if macro.set_status and macro.assignment_group_id:
        # Handing over ends the group's say on the status: the next group decides.
        errors["assignment_group"] = _(
            "A macro either hands the incident over or changes its status, not both."
        )
    if (macro.impact is None) != (macro.urgency is None):
        errors["urgency"] = _("Set both impact and urgency (they make the priority), or neither.")
    if not any(
        [
            macro.set_status,
            macro.assignment_group_id,
            macro.impact,
            macro.category_id,
            macro.public_reply,
            macro.internal_note,
        ]
    ):
        errors["name"] = _("A macro must change something.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def macro_save(*, actor: User, macro: Macro | None = None, **fields: Any) -> Macro:
    _check_incident_manager(actor)
    unknown = set(fields) - set(MACRO_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), _("This field cannot be set here.")))
    macro = macro or Macro()
    for name, value in fields.items():
        setattr(macro, name, value.strip() if isinstance(value, str) else value)
    macro.updated_by = actor
    macro.full_clean(exclude=["updated_by"])
    macro_check(macro)
    macro.save()
    return macro


@transaction.atomic
def macro_delete(*, actor: User, macro: Macro) -> None:
    """Delete a macro; its past runs keep its name."""
    _check_incident_manager(actor)
    macro.delete()


@dataclass(frozen=True)
class Step:
    """One change a macro makes: what, from and to (as the activity log shows values)."""

    what: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "old": self.old, "new": self.new}


def macro_plan(*, macro: Macro, incident: Incident, agent: Any) -> list[Step]:
    """What ``macro_apply`` would do to ``incident`` now: shown before a person applies it."""
    steps: list[Step] = []
    if macro.category_id and macro.category_id != incident.category_id:
        steps.append(Step(str(_("Category")), api_value(incident.category), api_value(macro.category)))
    if macro.impact is not None and (macro.impact, macro.urgency) != (incident.impact, incident.urgency):
        priority = incident_services.priority_for(impact=macro.impact, urgency=macro.urgency or macro.impact)
        steps.append(Step(str(_("Priority")), incident.priority, priority))
    if macro.public_reply:
        steps.append(
            Step(
                str(_("Public reply")),
                None,
                response_render(text=macro.public_reply, incident=incident, agent=agent),
            )
        )
    if macro.internal_note:
        steps.append(
            Step(
                str(_("Internal note")),
                None,
                response_render(text=macro.internal_note, incident=incident, agent=agent),
            )
        )
    if macro.assignment_group_id and macro.assignment_group_id != incident.assignment_group_id:
        steps.append(
            Step(str(_("Group")), api_value(incident.assignment_group), api_value(macro.assignment_group))
        )
    if macro.set_status and macro.set_status != incident.status:
        steps.append(Step(str(_("Status")), incident.status, macro.set_status))
    return steps


@transaction.atomic
def macro_apply(
    *,
    actor: User,
    macro: Macro,
    incident: Incident,
    expected_version: int | None,
    access: Access | None = None,
    now: datetime | None = None,
) -> MacroRun:
    """Apply every change of ``macro`` or none: each through its lifecycle service, which checks
    the person's right and the move. ``expected_version`` is the version the person saw."""
    now = now or timezone.now()
    access = access or access_for(actor)
    if not access.is_staff_member:
        raise PermissionDenied(_("Only service desk staff apply macros."))
    if not macro.is_active or not (
        macro.group_id is None or access.is_incident_manager or macro.group_id in access.group_ids
    ):
        raise PermissionDenied(_("This macro is not yours to use."))
    macro_check(macro)
    inc = lock_for_edit(incident, expected_version)
    steps = macro_plan(macro=macro, incident=inc, agent=actor)
    if not steps:
        raise ValidationError(
            _("%(macro)s would change nothing on %(number)s.") % {"macro": macro.name, "number": inc.number}
        )
    with attributed_to(macro=macro.name):
        changes: dict[str, Any] = {}
        if macro.category_id and macro.category_id != inc.category_id:
            changes["category"] = macro.category
            changes["subcategory"] = None
        if macro.impact is not None and (macro.impact, macro.urgency) != (inc.impact, inc.urgency):
            changes["impact"] = macro.impact
            changes["urgency"] = macro.urgency
        if changes:
            inc = incident_services.incident_update(
                actor=actor, incident=inc, expected_version=None, now=now, **changes
            )
        reply = response_render(text=macro.public_reply, incident=inc, agent=actor)
        note = response_render(text=macro.internal_note, incident=inc, agent=actor)
        if reply:
            incident_services.incident_comment(actor=actor, incident=inc, body=reply, public=True, now=now)
        if note and macro.set_status != MacroStatus.ON_HOLD:
            incident_services.incident_comment(actor=actor, incident=inc, body=note, public=False, now=now)
        if macro.assignment_group_id and macro.assignment_group_id != inc.assignment_group_id:
            inc = incident_services.incident_assign(
                actor=actor,
                access=access,
                incident=_fresh(inc),
                expected_version=None,
                assignment_group=macro.assignment_group,
                now=now,
            )
        _apply_status(macro, actor=actor, incident=_fresh(inc), note=note, reply=reply, now=now)
    return MacroRun.objects.create(
        macro=macro,
        macro_name=macro.name,
        incident=inc,
        actor=actor,
        created_at=now,
        steps=[step.as_dict() for step in steps],
    )


def _fresh(incident: Incident) -> Incident:
    return Incident.objects.select_related("assignment_group").get(pk=incident.pk)


def _apply_status(
    macro: Macro, *, actor: Any, incident: Incident, note: str, reply: str, now: datetime
) -> None:
    if not macro.set_status or macro.set_status == incident.status:
        return
    if macro.set_status == MacroStatus.IN_PROGRESS:
        incident_services.incident_start(actor=actor, incident=incident, expected_version=None, now=now)
    elif macro.set_status == MacroStatus.ON_HOLD:
        incident_services.incident_hold(
            actor=actor,
            incident=incident,
            expected_version=None,
            reason=macro.hold_reason,
            note=note,
            now=now,
        )
    else:
        incident_services.incident_resolve(
            actor=actor,
            incident=incident,
            expected_version=None,
            resolution_code=macro.resolution_code,
            resolution_notes=reply or note,
            now=now,
        )


# --- routing rules and assignment modes ------------------------------------------------------

RULE_FIELDS = (
    "name",
    "position",
    "is_active",
    "category",
    "service",
    "caller_department",
    "keywords",
    "channel",
    "group",
)


def routing_rule_check(rule: RoutingRule) -> None:
    if not any(
        [rule.category_id, rule.service_id, rule.caller_department, rule.keyword_list(), rule.channel]
    ):
        raise ValidationError(
            {"name": _("A rule needs at least one condition, or it would route everything.")}
        )
    check_support_group("group", rule.group)
    if rule.channel and rule.channel not in Channel.values:
        raise ValidationError({"channel": _("Choose a channel of the list.")})


@transaction.atomic
def routing_rule_save(*, actor: User, rule: RoutingRule | None = None, **fields: Any) -> RoutingRule:
    """Create or change a routing rule (incident manager)."""
    if not access_for(actor).is_incident_manager:
        raise PermissionDenied(_("Only an incident manager manages routing rules."))
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), _("This field cannot be set here.")))
    rule = rule or RoutingRule()
    for name, value in fields.items():
        setattr(rule, name, value.strip() if isinstance(value, str) else value)
    rule.updated_by = actor
    rule.full_clean(exclude=["updated_by"])
    routing_rule_check(rule)
    rule.save()
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    if not access_for(actor).is_incident_manager:
        raise PermissionDenied(_("Only an incident manager manages routing rules."))
    rule.delete()


@transaction.atomic
def group_assignment_set(*, actor: User, group: Any, mode: str) -> GroupAssignment:
    """Choose how ``group`` assigns new incidents: the incident manager, or a lead of the group."""
    access = access_for(actor)
    lead = Membership.objects.filter(user=actor, group=group, is_lead=True).exists()
    if not (access.is_incident_manager or lead):
        raise PermissionDenied(_("Only the incident manager or a lead of the group chooses how it assigns."))
    if mode not in AssignmentMode.values:
        raise ValidationError({"mode": _("Choose an assignment mode of the list.")})
    setting, _created = GroupAssignment.objects.get_or_create(group=group)
    setting.mode = mode
    setting.save(update_fields=["mode"])
    return setting


@transaction.atomic
def absence_add(*, actor: User, user: Any, starts_at: datetime, ends_at: datetime, note: str = "") -> Absence:
    """Record an absence: one's own, or any member's for the incident manager or a lead of their group."""
    access = access_for(actor)
    if actor.pk != user.pk and not access.is_incident_manager:
        leads = Membership.objects.filter(user=actor, is_lead=True).values("group")
        if not Membership.objects.filter(user=user, group__in=leads).exists():
            raise PermissionDenied(_("You may record absences only for yourself or your team."))
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("An absence ends after it starts.")})
    return Absence.objects.create(user=user, starts_at=starts_at, ends_at=ends_at, note=note.strip()[:200])


# --- time worked -----------------------------------------------------------------------------

MAX_MINUTES = 24 * 60


@transaction.atomic
def time_record(
    *,
    actor: User,
    incident: Incident,
    minutes: int,
    note: str = "",
    access: Access | None = None,
    now: datetime | None = None,
) -> TimeEntry:
    """Record time the actor spent on an incident they may work on, for the group that holds it now."""
    now = now or timezone.now()
    access = access or access_for(actor)
    if not access.is_staff_member or not permissions.can(access, incident, "comment"):
        raise PermissionDenied(
            _("Only staff who work on %(number)s record time on it.") % {"number": incident.number}
        )
    if not isinstance(minutes, int) or not 0 < minutes <= MAX_MINUTES:
        raise ValidationError({"minutes": _("Give between 1 and %(max)d minutes.") % {"max": MAX_MINUTES}})
    return TimeEntry.objects.create(
        incident=incident,
        user=actor,
        group_id=incident.assignment_group_id,
        minutes=minutes,
        note=note.strip()[:200],
        worked_at=now,
    )


# --- tags ------------------------------------------------------------------------------------

_TAG_RE = re.compile(r"^[\w.+-]+$")
MAX_TAGS = 20


def tag_name(raw: str) -> str:
    """A tag as stored: trimmed, lower-case, inner spaces as hyphens; a clear error otherwise."""
    name = re.sub(r"\s+", "-", (raw or "").strip().lower())
    if not name:
        raise ValidationError({"tag": _("Type a tag.")})
    if len(name) > Tag.MAX_LENGTH:
        raise ValidationError({"tag": _("A tag has at most %(max)d characters.") % {"max": Tag.MAX_LENGTH}})
    if not _TAG_RE.match(name):
        raise ValidationError({"tag": _("A tag holds letters, digits and . _ + - only.")})
    return name


def _check_may_tag(access: Access, incident: Incident) -> None:
    if not access.is_staff_member or not permissions.can(access, incident, "comment"):
        raise PermissionDenied(_("Only staff who work on %(number)s tag it.") % {"number": incident.number})


def _record_tags(*, actor: User, incident: Incident, before: list[str], now: datetime) -> None:
    after = sorted(IncidentTag.objects.filter(incident=incident).values_list("tag__name", flat=True))
    event_record(
        incident=incident,
        kind=IncidentEvent.Kind.UPDATED,
        actor=actor,
        now=now,
        changes={"tags": {"old": ", ".join(before), "new": ", ".join(after)}},
    )


@transaction.atomic
def tag_add(
    *, actor: User, incident: Incident, name: str, access: Access | None = None, now: datetime | None = None
) -> Tag:
    """Put a tag on an incident (made on first use); a timeline entry records it. Adding a tag the
    incident has already changes nothing."""
    now = now or timezone.now()
    access = access or access_for(actor)
    _check_may_tag(access, incident)
    name = tag_name(name)
    before = sorted(IncidentTag.objects.filter(incident=incident).values_list("tag__name", flat=True))
    tag, _created = Tag.objects.get_or_create(name=name)
    if name in before:
        return tag
    if len(before) >= MAX_TAGS:
        raise ValidationError({"tag": _("An incident has at most %(max)d tags.") % {"max": MAX_TAGS}})
    IncidentTag.objects.create(incident=incident, tag=tag, added_by=actor, added_at=now)
    _record_tags(actor=actor, incident=incident, before=before, now=now)
    return tag


@transaction.atomic
def tag_remove(
    *, actor: User, incident: Incident, name: str, access: Access | None = None, now: datetime | None = None
) -> None:
    """Take a tag off an incident, with a timeline entry; a tag it does not have changes nothing."""
    now = now or timezone.now()
    access = access or access_for(actor)
    _check_may_tag(access, incident)
    name = tag_name(name)
    before = sorted(IncidentTag.objects.filter(incident=incident).values_list("tag__name", flat=True))
    if name not in before:
        return
    IncidentTag.objects.filter(incident=incident, tag__name=name).delete()
    _record_tags(actor=actor, incident=incident, before=before, now=now)
