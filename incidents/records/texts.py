"""Texts the system writes into the activity log, rendered in the reader's language and zone (issue 21 §3).

An event the system words (an SLA or OLA threshold, an escalation rule's move, a routing decision, a split
or a merge) stores, besides its English ``body`` (the fallback, and what rows written before hold), the
message key and its parameters under the reserved key ``TEXT`` of its ``changes``::

    {"_text": {"body": [{"key": "sla.reached.resolution", "params": {"percent": 75, "due": {"at": "…"}}}],
               "routing_suggestion": {"key": "routing.suggestion", "params": {"version": 3, ...}}}}

``body`` renders the event's body; any other name renders the ``new`` value of that change. The message is
looked up with gettext when the event is shown -- on the incident page, in the API, in a mail -- so it is in
the reader's language, and a date parameter (``{"at": iso}``) is shown in the reader's zone, named. Keys
unknown to this version fall back to the stored English. No migration: ``changes`` is a JSON field already.

Imports nothing of the project: the models, the services and the sweep import it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

TEXT = "_text"

# The messages, by key. ``gettext_noop`` marks them for makemessages; ``render`` translates them.
MESSAGES: dict[str, str] = {
    "sla.reached.response": gettext_noop("The response target reached %(percent)s%% (due %(due)s)."),
    "sla.reached.resolution": gettext_noop("The resolution target reached %(percent)s%% (due %(due)s)."),
    "sla.breached.response": gettext_noop("The response target was breached (due %(due)s)."),
    "sla.breached.resolution": gettext_noop("The resolution target was breached (due %(due)s)."),
    "sla.escalated": gettext_noop("Escalated to level %(level)s of %(group)s."),
    "ola.reached.accept": gettext_noop(
        "%(group)s's time to accept is %(percent)s%% gone (OLA of tier %(tier)s, due %(due)s)."
    ),
    "ola.reached.handback": gettext_noop(
        "%(group)s's time to hand back or resolve is %(percent)s%% gone (OLA of tier %(tier)s, due %(due)s)."
    ),
    "ola.breached.accept": gettext_noop(
        "%(group)s's time to accept is up (OLA of tier %(tier)s, due %(due)s)."
    ),
    "ola.breached.handback": gettext_noop(
        "%(group)s's time to hand back or resolve is up (OLA of tier %(tier)s, due %(due)s)."
    ),
    "sla.threshold.response": gettext_noop("response %(percent)s%%"),
    "sla.threshold.resolution": gettext_noop("resolution %(percent)s%%"),
    "ola.threshold.accept": gettext_noop("tier %(tier)s, time to accept, %(percent)s%%"),
    "ola.threshold.handback": gettext_noop("tier %(tier)s, time to hand back or resolve, %(percent)s%%"),
    "escalation.rule": gettext_noop(
        "Escalation rule “%(rule)s”: with %(group)s for %(minutes)s business minutes."
    ),
    "routing.suggestion": gettext_noop("model v%(version)s, confidence %(confidence)s"),
    "assign.round_robin": gettext_noop("Round robin"),
    "assign.least_open": gettext_noop("Least open work"),
    "major.spike": gettext_noop("A spike of similar incidents."),
    "split.into": gettext_noop("A comment was split into %(number)s: “%(title)s”."),
    "merge.moved": gettext_noop("%(comments)d comment(s) and %(files)d attachment(s) moved from %(number)s."),
    "merge.comment": gettext_noop(
        "%(dup)s (“%(title)s”) reported the same problem and has been merged into %(number)s: "
        "we continue here."
    ),
    "merge.cancelled": gettext_noop("Merged into %(number)s: the work continues there."),
}

# The names of the fields the log records, for the timeline's labels: the incident's own (most have no
# translated verbose name, and adding one would be a migration) and the pseudo-fields besides them (what
# made a change, what it links to).
LABELS: dict[str, str] = {
    "title": gettext_noop("Title"),
    "description": gettext_noop("Description"),
    "caller": gettext_noop("Caller"),
    "channel": gettext_noop("Channel"),
    "category": gettext_noop("Category"),
    "subcategory": gettext_noop("Subcategory"),
    "service": gettext_noop("Service"),
    "impact": gettext_noop("Impact"),
    "urgency": gettext_noop("Urgency"),
    "priority": gettext_noop("Priority"),
    "status": gettext_noop("Status"),
    "hold_reason": gettext_noop("Hold reason"),
    "resolution_code": gettext_noop("Resolution code"),
    "assignment_group": gettext_noop("Assignment group"),
    "assigned_to": gettext_noop("Assigned to"),
    "max_tier_reached": gettext_noop("Highest tier reached"),
    "escalation_level": gettext_noop("Escalation level"),
    "sla_state": gettext_noop("SLA state"),
    "ola_state": gettext_noop("OLA state"),
    "sla_policy": gettext_noop("SLA policy"),
    "duplicate_of": gettext_noop("Duplicate of"),
    "parent": gettext_noop("Parent"),
    "major_incident": gettext_noop("Major incident"),
    "routing_rule": gettext_noop("Routing rule"),
    "routing_suggestion": gettext_noop("Routing suggestion"),
    "assigned_by": gettext_noop("Assigned by"),
    "macro": gettext_noop("Macro"),
    "rule": gettext_noop("Rule"),
    "escalation_rule": gettext_noop("Escalation rule"),
    "sla_threshold": gettext_noop("SLA threshold"),
    "ola_threshold": gettext_noop("OLA threshold"),
    "split_into": gettext_noop("Split into"),
    "merged_from": gettext_noop("Merged from"),
    "merged_into": gettext_noop("Merged into"),
    "watchers": gettext_noop("Watchers"),
    "consulted_group": gettext_noop("Consulted group"),
    "knowledge_article": gettext_noop("Knowledge article"),
    "tags": gettext_noop("Tags"),
    "imported_from": gettext_noop("Imported from"),
    "written_by": gettext_noop("Written by"),
}


def message(key: str, **params: Any) -> dict[str, Any]:
    """A stored message: ``key`` must be in ``MESSAGES``; datetimes are kept as ISO and shown in the reader's
    zone; other parameters must be JSON values."""
    if key not in MESSAGES:
        raise KeyError(key)
    stored = {
        name: {"at": value.isoformat()} if isinstance(value, datetime) else value
        for name, value in params.items()
    }
    return {"key": key, "params": stored}


def english(*messages: dict[str, Any]) -> str:
    """The messages in English, as stored in ``body`` (the fallback for readers of an older row)."""
    return " ".join(_format(m, MESSAGES[m["key"]], translate=False) for m in messages)


def with_text(changes: dict[str, Any] | None, **texts: Any) -> dict[str, Any]:
    """``changes`` with ``texts`` (``body=[message, ...]`` or ``field=message``) under the reserved key."""
    return {**(changes or {}), TEXT: {**(changes or {}).get(TEXT, {}), **texts}}


def render(stored: Any, fallback: str = "") -> str:
    """One stored message or a list of them in the active language; ``fallback`` if any is unknown."""
    items = stored if isinstance(stored, list) else [stored]
    try:
        return " ".join(_format(m, gettext(MESSAGES[m["key"]]), translate=True) for m in items)
    except (KeyError, TypeError, ValueError):
        return fallback


def body_of(body: str, changes: dict[str, Any] | None) -> str:
    """An event's body in the reader's language: its stored message, else the body as written."""
    stored = (changes or {}).get(TEXT, {})
    return render(stored["body"], body) if isinstance(stored, dict) and stored.get("body") else body


def changes_of(changes: dict[str, Any] | None) -> dict[str, Any]:
    """An event's changes as people read them: without the reserved key, a ``new`` value that has a stored
    message rendered in the reader's language."""
    if not changes or TEXT not in changes:
        return changes or {}
    texts = changes[TEXT] if isinstance(changes[TEXT], dict) else {}
    shown = {}
    for field, change in changes.items():
        if field == TEXT:
            continue
        if field in texts and isinstance(change, dict):
            change = {**change, "new": render(texts[field], str(change.get("new") or ""))}
        shown[field] = change
    return shown


ACRONYMS = {"sla": "SLA", "ola": "OLA", "id": "ID"}


def field_name(name: str) -> str:
    """A changed field's name as people read it, in their language (``LABELS``); any other name is spelled
    out ("response_due_at" → "Response due at")."""
    if name in LABELS:
        return gettext(LABELS[name])
    words = [ACRONYMS.get(w.lower(), w) for w in name.replace("_", " ").split(" ")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]]) if words and words[0] else ""


def _format(stored: dict[str, Any], text: str, *, translate: bool) -> str:
    params = {name: _value(value, translate=translate) for name, value in stored.get("params", {}).items()}
    return text % params


def _value(value: Any, *, translate: bool) -> Any:
    if isinstance(value, dict) and "at" in value:
        at = datetime.fromisoformat(value["at"])
        if not translate:  # the English fallback keeps the writer's zone, as bodies always did
            return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"
        return f"{timezone.localtime(at):%Y-%m-%d %H:%M} {timezone.get_current_timezone_name()}"
    return value
