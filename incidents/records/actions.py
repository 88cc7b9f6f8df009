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
    label: str  # the page's name for it
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
        return f"Nothing changed: tick “Major incident” to declare or propose {n}."
    if access.is_incident_manager:
        services.major_declare(actor=actor, access=access, incident=incident, reason=why)
        return f"{n} is now a major incident: its communications log is open."
    services.major_propose(
        actor=actor, access=access, incident=incident, reason=why or "Proposed by the owning group."
    )
    return f"{n} is proposed as a major incident; the incident manager decides."


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
        "Take it (assign to me)",
        lambda n, d: f"{n} is now assigned to you.",
        permission="assign",
        member_only=True,
        takes_access=True,
    ),
    "start": Move(
        services.incident_start,
        (),
        forms.StartForm,
        "Start work",
        lambda n, d: f"Work on {n} has started.",
        serializer=VersionInputSerializer,
        summary="Start work (an unassigned incident is taken by the requester)",
    ),
    "assign": Move(
        services.incident_assign,
        (Input("assigned_to", USER, required=False), Input("assignment_group", GROUP, required=False)),
        forms.AssignForm,
        "Assign",
        lambda n, d: (
            f"{n} is assigned to {_username(d['assigned_to'])}."
            if d.get("assigned_to")
            else f"{n} is handed to {d['assignment_group'].name}."
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
        "Escalate",
        lambda n, d: f"{n} escalated to {d['assignment_group'].name}.",
        serializer=EscalateInputSerializer,
        summary="Functional escalation to another support group, with a reason",
        needs=("groups",),
    ),
    "consult": Move(
        services.incident_consult,
        (Input("group", GROUP), Input("question")),
        forms.ConsultForm,
        "Consult a group",
        lambda n, d: f"{d['group'].name} has been consulted on {n}.",
        serializer=ConsultInputSerializer,
        summary="Ask a consulted group; the incident stays with its owner",
        needs=("groups",),
    ),
    "hold": Move(
        services.incident_hold,
        (Input("reason"), Input("note")),
        forms.HoldForm,
        "Put on hold",
        lambda n, d: f"{n} is on hold.",
        serializer=HoldInputSerializer,
        summary="Put on hold (awaiting_caller pauses the SLA clock)",
    ),
    "resume": Move(
        services.incident_resume,
        (),
        forms.ResumeForm,
        "Resume",
        lambda n, d: f"{n} is back in progress.",
        serializer=VersionInputSerializer,
        summary="Take off hold",
    ),
    "resolve": Move(
        services.incident_resolve,
        (Input("resolution_code"), Input("resolution_notes")),
        forms.ResolveForm,
        "Resolve",
        lambda n, d: f"{n} is resolved.",
        serializer=ResolveInputSerializer,
        summary="Resolve with a resolution code and notes",
    ),
    "reopen": Move(
        services.incident_reopen,
        (Input("reason"),),
        forms.ReopenForm,
        "Reopen",
        lambda n, d: f"{n} has been reopened.",
        serializer=ReasonInputSerializer,
        summary="Reopen a resolved incident",
    ),
    "close": Move(
        services.incident_close,
        (Input("close_notes"),),
        forms.CloseForm,
        "Close",
        lambda n, d: f"{n} is closed.",
        serializer=CloseInputSerializer,
        summary="Close a resolved incident",
    ),
    "cancel": Move(
        services.incident_cancel,
        (Input("reason"), Input("duplicate_of", INCIDENT, required=False)),
        forms.CancelForm,
        "Cancel",
        lambda n, d: f"{n} is cancelled.",
        serializer=CancelInputSerializer,
        summary="Cancel (a duplicate or a mistake)",
    ),
    "link": Move(
        services.incident_update,
        (Input("parent", INCIDENT), Input("duplicate_of", INCIDENT)),
        forms.LinkForm,
        "Link parent or duplicate",
        lambda n, d: f"The links of {n} are saved.",
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
        "Declare or propose a major incident",
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
        "Comment",
        lambda n, d: f"Your {'public comment' if d['public'] else 'work note'} is on {n}.",
    ),
    "attach": Move(
        _attach,
        (Input("uploads"), Input("public")),
        forms.AttachForm,
        "Attach files",
        lambda n, d: f"{len(d['uploads'])} file(s) attached to {n}.",
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
        raise ValidationError({field: f"There is no incident {number}."}) from None


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
