"""Every action on the incident page and the API, in one table (SPEC §2).

Each row names what the action runs, the inputs it takes, how each surface reads them (the web
form, and the API serializer for the lifecycle moves the API offers), who the page offers it to,
and the confirmation a person sees. The web page and the API both dispatch through ``perform``,
which resolves references (a username, a group slug, an incident number) the same way for both,
so that the browser and the API cannot disagree on what an action does or on the message a bad
reference gets.

A surface may already have resolved a reference (a DRF ``SlugRelatedField`` gives a user
object): ``perform`` resolves only strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import serializers as drf

from escalation.access import Access

from .. import selectors, services
from . import forms
from .models import Incident
from .serializers import (
    AssignInputSerializer,
    CancelInputSerializer,
    CloseInputSerializer,
    ConsultInputSerializer,
    EscalateInputSerializer,
    HoldInputSerializer,
    MergeInputSerializer,
    ReasonInputSerializer,
    ResolveInputSerializer,
    VersionInputSerializer,
)

USER = "user"
GROUP = "group"
INCIDENT = "incident"


@dataclass(frozen=True)
class Input:
    """One input of a move: its field name, and the kind of reference it holds, if any."""

    name: str
    ref: str | None = None
    required: bool = True


@dataclass(frozen=True)
class Move:
    """One action. ``run`` takes ``actor``, ``incident``, ``expected_version`` and the resolved
    inputs, and the actor's ``access`` too when ``takes_access`` (the request's, not read again)."""

    run: Callable[..., Any]
    inputs: tuple[Input, ...]
    form: Any  # the web form (a Form class taking ``context=``)
    label: Any  # the page's name for it, translated when shown
    # the confirmation, from the number and the inputs; None when ``run`` returns it itself
    done: Callable[[str, dict[str, Any]], str] | None
    permission: str = ""  # the lifecycle action ``permissions.can`` checks (``permission_of``)
    serializer: type[drf.Serializer] | None = None  # offered by the API (POST …/{number}/{name}/)
    summary: str = ""  # the API operation's summary
    needs: tuple[str, ...] = ()  # pick-lists the form is built from: "groups", "members"
    owner_only: bool = False  # beyond ``permissions.can``: only the owning group (or the incident manager)
    member_only: bool = False  # only a member of the owning group (taking it)
    initial: Callable[[Incident], dict[str, Any]] | None = None  # the form's values beyond the version
    takes_access: bool = False  # ``run`` is handed the actor's ``Access``


def _username(user: Any) -> str:
    return str(user.get_username())


def _take(*, actor: Any, access: Access, incident: Incident, expected_version: int | None) -> None:
    services.incident_assign(
        actor=actor, access=access, incident=incident, expected_version=expected_version, assigned_to=actor
    )


def _major(
    *,
    actor: Any,
    access: Access,
    incident: Incident,
    expected_version: int | None,
    major_incident: bool,
    why: str,
) -> str:
    n = incident.number
    if not major_incident:
        return _("Nothing changed: tick “Major incident” to declare or propose %(n)s.") % {"n": n}
    if access.is_incident_manager:
        services.major_declare(actor=actor, access=access, incident=incident, reason=why)
        return _("%(n)s is now a major incident: its communications log is open.") % {"n": n}
    services.major_propose(
        actor=actor, access=access, incident=incident, reason=why or "Proposed by the owning group."
    )
    return _("%(n)s is proposed as a major incident; the incident manager decides.") % {"n": n}


def _comment(
    *, actor: Any, incident: Incident, expected_version: int | None, body: str, public: bool
) -> None:
    services.incident_comment(actor=actor, incident=incident, body=body, public=public)


def _attach(
    *,
    actor: Any,
    access: Access,
    incident: Incident,
    expected_version: int | None,
    uploads: list[Any],
    public: bool,
) -> None:
    with transaction.atomic():  # all the files or none
        for upload in uploads:
            services.attachment_add(
                actor=actor, access=access, incident=incident, upload=upload, public=public
            )


ACTIONS: dict[str, Move] = {
    "take": Move(
        _take,
        (),
        forms.TakeForm,
        gettext_lazy("Take it (assign to me)"),
        lambda n, d: _("%(n)s is now assigned to you.") % {"n": n},
        permission="assign",
        member_only=True,
        takes_access=True,
    ),
    "start": Move(
        services.incident_start,
        (),
        forms.StartForm,
        gettext_lazy("Start work"),
        lambda n, d: _("Work on %(n)s has started.") % {"n": n},
        serializer=VersionInputSerializer,
        summary="Start work (an unassigned incident is taken by the requester)",
    ),
    "assign": Move(
        services.incident_assign,
        (Input("assigned_to", USER, required=False), Input("assignment_group", GROUP, required=False)),
        forms.AssignForm,
        gettext_lazy("Assign"),
        lambda n, d: (
            _("%(number)s is assigned to %(username)s.")
            % {"number": n, "username": _username(d["assigned_to"])}
            if d.get("assigned_to")
            else _("%(number)s is handed to %(name)s.") % {"number": n, "name": d["assignment_group"].name}
        ),
        serializer=AssignInputSerializer,
        summary="Assign to a member of the group, or hand to another group",
        needs=("members",),
        initial=lambda i: {"assigned_to": i.assigned_to.get_username()} if i.assigned_to else {},
        takes_access=True,
    ),
    "escalate": Move(
        services.incident_escalate,
        (Input("assignment_group", GROUP), Input("reason")),
        forms.EscalateForm,
        gettext_lazy("Escalate"),
        lambda n, d: (
            _("%(number)s escalated to %(name)s.") % {"number": n, "name": d["assignment_group"].name}
        ),
        serializer=EscalateInputSerializer,
        summary="Functional escalation to another support group, with a reason",
        needs=("groups",),
    ),
    "consult": Move(
        services.incident_consult,
        (Input("group", GROUP), Input("question")),
        forms.ConsultForm,
        gettext_lazy("Consult a group"),
        lambda n, d: _("%(name)s has been consulted on %(number)s.") % {"name": d["group"].name, "number": n},
        serializer=ConsultInputSerializer,
        summary="Ask a consulted group; the incident stays with its owner",
        needs=("groups",),
    ),
    "hold": Move(
        services.incident_hold,
        (Input("reason"), Input("note")),
        forms.HoldForm,
        gettext_lazy("Put on hold"),
        lambda n, d: _("%(n)s is on hold.") % {"n": n},
        serializer=HoldInputSerializer,
        summary="Put on hold (awaiting_caller pauses the SLA clock)",
    ),
    "resume": Move(
        services.incident_resume,
        (),
        forms.ResumeForm,
        gettext_lazy("Resume"),
        lambda n, d: _("%(n)s is back in progress.") % {"n": n},
        serializer=VersionInputSerializer,
        summary="Take off hold",
    ),
    "resolve": Move(
        services.incident_resolve,
        (Input("resolution_code"), Input("resolution_notes")),
        forms.ResolveForm,
        gettext_lazy("Resolve"),
        lambda n, d: _("%(n)s is resolved.") % {"n": n},
        serializer=ResolveInputSerializer,
        summary="Resolve with a resolution code and notes",
    ),
    "reopen": Move(
        services.incident_reopen,
        (Input("reason"),),
        forms.ReopenForm,
        gettext_lazy("Reopen"),
        lambda n, d: _("%(n)s has been reopened.") % {"n": n},
        serializer=ReasonInputSerializer,
        summary="Reopen a resolved incident",
    ),
    "close": Move(
        services.incident_close,
        (Input("close_notes"),),
        forms.CloseForm,
        gettext_lazy("Close"),
        lambda n, d: _("%(n)s is closed.") % {"n": n},
        serializer=CloseInputSerializer,
        summary="Close a resolved incident",
    ),
    "cancel": Move(
        services.incident_cancel,
        (Input("reason"), Input("duplicate_of", INCIDENT, required=False)),
        forms.CancelForm,
        gettext_lazy("Cancel"),
        lambda n, d: _("%(n)s is cancelled.") % {"n": n},
        serializer=CancelInputSerializer,
        summary="Cancel (a duplicate or a mistake)",
    ),
    "merge": Move(
        services.incident_merge,
        (Input("into", INCIDENT),),
        forms.MergeForm,
        "Merge into another incident",
        lambda n, d: f"{n} is merged into {d['into'].number}.",
        serializer=MergeInputSerializer,
        summary="Merge this duplicate into another incident (comments, files, watchers and links move)",
        owner_only=True,
        takes_access=True,
    ),
    "link": Move(
        services.incident_update,
        (Input("parent", INCIDENT), Input("duplicate_of", INCIDENT)),
        forms.LinkForm,
        gettext_lazy("Link parent or duplicate"),
        lambda n, d: _("The links of %(n)s are saved.") % {"n": n},
        permission="update",
        owner_only=True,
        initial=lambda i: {
            "parent": i.parent.number if i.parent else "",
            "duplicate_of": i.duplicate_of.number if i.duplicate_of else "",
        },
    ),
    "major": Move(
        _major,
        (Input("major_incident"), Input("why")),
        forms.MajorForm,
        gettext_lazy("Declare or propose a major incident"),
        None,
        permission="update",
        owner_only=True,
        initial=lambda i: {"major_incident": not i.major_incident},
        takes_access=True,
    ),
    "comment": Move(
        _comment,
        (Input("body"), Input("public")),
        forms.CommentForm,
        gettext_lazy("Comment"),
        lambda n, d: (
            (
                _("Your public comment is on %(number)s.")
                if d["public"]
                else _("Your work note is on %(number)s.")
            )
            % {"number": n}
        ),
    ),
    "attach": Move(
        _attach,
        (Input("uploads"), Input("public")),
        forms.AttachForm,
        gettext_lazy("Attach files"),
        lambda n, d: (
            ngettext(
                "%(count)d file attached to %(number)s.",
                "%(count)d files attached to %(number)s.",
                len(d["uploads"]),
            )
            % {"count": len(d["uploads"]), "number": n}
        ),
        takes_access=True,
    ),
}


def permission_of(name: str) -> str:
    """The lifecycle action (``incidents.models.TRANSITIONS``) that action ``name`` needs."""
    return ACTIONS[name].permission or name


def resolve_incident(*, access: Access, number: str | None, field: str) -> Incident | None:
    """The incident an input names, if the person may see it; None for an empty input. One the
    person cannot see does not exist."""
    number = (number or "").strip().upper()
    if not number:
        return None
    try:
        return selectors.incident_get_for_user(access=access, number=number)
    except Http404:
        raise ValidationError({field: _("There is no incident %(number)s.") % {"number": number}}) from None


def _resolve(access: Access, spec: Input, value: Any) -> Any:
    if not isinstance(value, str) or spec.ref is None:
        return value
    if spec.ref == INCIDENT:
        return resolve_incident(access=access, number=value, field=spec.name)
    if not value.strip():
        return None
    if spec.ref == USER:
        return selectors.user_lookup(username=value.strip(), field=spec.name)
    return selectors.group_lookup(slug=value.strip(), field=spec.name)


def resolved_inputs(name: str, *, access: Access, data: dict[str, Any]) -> dict[str, Any]:
    """The service's keyword arguments for move ``name`` from a surface's cleaned data; an incident
    it names must be one the person (``access``) may see."""
    out: dict[str, Any] = {}
    for spec in ACTIONS[name].inputs:
        if spec.name in data or spec.required:
            out[spec.name] = _resolve(access, spec, data[spec.name])
    return out


def perform(
    name: str,
    *,
    actor: Any,
    access: Access,
    incident: Incident,
    expected_version: int | None,
    data: dict[str, Any],
) -> str:
    """Run action ``name`` and return the confirmation to show a person."""
    move = ACTIONS[name]
    inputs = resolved_inputs(name, access=access, data=data)
    extra = {"access": access} if move.takes_access else {}
    said = move.run(actor=actor, incident=incident, expected_version=expected_version, **inputs, **extra)
    return said if move.done is None else move.done(incident.number, inputs)
