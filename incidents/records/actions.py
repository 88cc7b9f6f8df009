"""The lifecycle moves, once for both surfaces (SPEC §2).

Each entry names the service a move calls and the inputs it takes. The web form and the API
serializer of a move both hand their cleaned data to ``perform``, which resolves references
(a username, a group slug, an incident number) the same way for both, so that the browser
and the API cannot disagree on what a move does or on the message a bad reference gets.

A surface may already have resolved a reference (a DRF ``SlugRelatedField`` gives a user
object): ``perform`` resolves only strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from escalation.access import Access

from .. import selectors, services
from .models import Incident

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
    service: Callable[..., Any]
    inputs: tuple[Input, ...]
    summary: str  # the API operation's summary
    done: Callable[[str, dict[str, Any]], str]  # the web's confirmation, from number and inputs


def _username(user: Any) -> str:
    return str(user.get_username())


MOVES: dict[str, Move] = {
    "assign": Move(
        services.incident_assign,
        (Input("assigned_to", USER, required=False), Input("assignment_group", GROUP, required=False)),
        "Assign to a member of the group, or hand to another group",
        lambda n, d: (
            f"{n} is assigned to {_username(d['assigned_to'])}."
            if d.get("assigned_to")
            else f"{n} is handed to {d['assignment_group'].name}."
        ),
    ),
    "start": Move(
        services.incident_start,
        (),
        "Start work (an unassigned incident is taken by the requester)",
        lambda n, d: f"Work on {n} has started.",
    ),
    "escalate": Move(
        services.incident_escalate,
        (Input("assignment_group", GROUP), Input("reason")),
        "Functional escalation to another support group, with a reason",
        lambda n, d: f"{n} escalated to {d['assignment_group'].name}.",
    ),
    "consult": Move(
        services.incident_consult,
        (Input("group", GROUP), Input("question")),
        "Ask a consulted group; the incident stays with its owner",
        lambda n, d: f"{d['group'].name} has been consulted on {n}.",
    ),
    "hold": Move(
        services.incident_hold,
        (Input("reason"), Input("note")),
        "Put on hold (awaiting_caller pauses the SLA clock)",
        lambda n, d: f"{n} is on hold.",
    ),
    "resume": Move(
        services.incident_resume,
        (),
        "Take off hold",
        lambda n, d: f"{n} is back in progress.",
    ),
    "resolve": Move(
        services.incident_resolve,
        (Input("resolution_code"), Input("resolution_notes")),
        "Resolve with a resolution code and notes",
        lambda n, d: f"{n} is resolved.",
    ),
    "reopen": Move(
        services.incident_reopen,
        (Input("reason"),),
        "Reopen a resolved incident",
        lambda n, d: f"{n} has been reopened.",
    ),
    "close": Move(
        services.incident_close,
        (Input("close_notes"),),
        "Close a resolved incident",
        lambda n, d: f"{n} is closed.",
    ),
    "cancel": Move(
        services.incident_cancel,
        (Input("reason"), Input("duplicate_of", INCIDENT, required=False)),
        "Cancel (a duplicate or a mistake)",
        lambda n, d: f"{n} is cancelled.",
    ),
}


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
    for spec in MOVES[name].inputs:
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
    """Run move ``name`` and return the confirmation to show a person."""
    move = MOVES[name]
    inputs = resolved_inputs(name, access=access, data=data)
    move.service(actor=actor, incident=incident, expected_version=expected_version, **inputs)
    return move.done(incident.number, inputs)
