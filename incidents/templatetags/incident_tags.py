"""Template helpers for incident pages: sanitised Markdown and readable activity changes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import markdown as markdown_lib  # type: ignore[import-untyped,unused-ignore]
import nh3
from django import template
from django.core.exceptions import FieldDoesNotExist
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.escaping import esc
from escalation.choices import Priority
from incidents.models import Incident
from incidents.records import texts
from incidents.records.models import HoldReason, SlaState, Status

register = template.Library()

# What a description or comment may contain once rendered: text formatting, lists, code,
# quotes, tables and links. No images (they would fetch from anywhere), no raw HTML.
ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


_converters = threading.local()


def _converter() -> Any:
    """This thread's Markdown converter: building one (its parsers and extensions) cost twice what
    converting a comment does, and an incident page converts its description and every comment.
    A converter is not thread-safe, hence one a thread, reset before each use."""
    converter = getattr(_converters, "md", None)
    if converter is None:
        converter = _converters.md = markdown_lib.Markdown(extensions=["fenced_code", "sane_lists", "tables"])
    return converter.reset()


@register.filter(is_safe=True)
def markdown(text: str | None) -> SafeString:
    """Markdown to HTML, then cleaned by nh3: scripts, handlers and javascript: links are dropped."""
    html = _converter().convert(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has sanitised it


@register.filter
def field_label(name: str) -> str:
    """An incident field's label ("sla_state" → "SLA state"), in the reader's language (``texts``)."""
    return texts.field_name(str(name))


@lru_cache(maxsize=32)
def _choices_of(name: str) -> dict[Any, Any]:
    """The choices of an incident field by value (their labels are lazy: translated when shown)."""
    try:
        field = Incident._meta.get_field(name)
    except FieldDoesNotExist:
        return {}
    return dict(getattr(field, "flatchoices", None) or [])


@register.filter
def change_value(value: Any, field: str = "") -> str:
    """A value of the log as people read it: a choice (status, priority, SLA state) by its label in the
    reader's language when ``field`` names the incident's field, else as stored."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field and isinstance(value, str | int):
        label = _choices_of(str(field)).get(value)
        if label is not None:
            return str(label)
    return str(value).replace("_", " ") if isinstance(value, str) and " " not in value else str(value)


@register.filter
def priority_class(priority: int | None) -> str:
    return {1: "danger", 2: "warning", 3: "info", 4: "secondary", 5: "light"}.get(priority or 0, "secondary")


@register.filter
def sla_class(state: str | None) -> str:
    return {"breached": "danger", "warning": "warning", "met": "success", "paused": "secondary"}.get(
        state or "", "primary"
    )


def _time(value: datetime, tz: Any, countdown: bool = False) -> str:
    """``timestamp``'s markup in ``tz``: a row looks its reader's zone up once for its three times."""
    local = value.astimezone(tz)
    return '<time datetime="{}"{}>{}</time>'.format(
        local.isoformat(), " data-countdown" if countdown else "", local.strftime("%Y-%m-%d %H:%M")
    )


@register.simple_tag
def timestamp(value: datetime | None, countdown: bool = False) -> str:
    """``<time datetime="…">YYYY-MM-DD HH:MM</time>`` in the current time zone, or ``""``.

    The markup of ``|date:'c'`` and ``|date:"Y-m-d H:i"`` in one call: a queue page shows three per
    row, and the ``date`` filter parses its format at every use.
    """
    if value is None:
        return ""
    return mark_safe(_time(value, timezone.get_current_timezone(), countdown))  # noqa: S308 - ours only


# --- the incident page's action forms ------------------------------------------------------------

_WIDGET_CSS = {"select": "form-select", "selectmultiple": "form-select", "checkbox": "form-check-input"}


@register.simple_tag
def form_fields(form: Any) -> SafeString:
    """A form's fields in Bootstrap 5 markup, the layout of crispy's bootstrap5 pack, built in Python.

    The incident page offers up to a dozen action forms; through crispy's templates they took a
    third of its server time (SPEC §13: 25 ms). Labels with the required mark, help text, errors
    with ``is-invalid`` and ``aria-describedby``, check boxes with their label after them.
    """
    parts: list[str] = [str(field) for field in form.hidden_fields()]
    problems = list(form.non_field_errors())
    for field in form.hidden_fields():
        problems.extend(field.errors)
    if problems:
        parts.append(
            format_html(
                '<div class="alert alert-danger" role="alert">{}</div>',
                format_html_join("", "<div>{}</div>", ((p,) for p in problems)),
            )
        )
    for field in form.visible_fields():
        parts.append(_form_field(field))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is built with format_html or escaped


def _form_field(field: Any) -> str:
    kind = field.widget_type
    css = (field.field.widget.attrs.get("class") or "").split()
    wanted = _WIDGET_CSS.get(kind, "form-control")
    if wanted not in css:
        css.append(wanted)
    attrs: dict[str, Any] = {}
    described = []
    if field.errors:
        css.append("is-invalid")
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}_error")
    if field.help_text:
        described.append(f"{field.auto_id}_helptext")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    attrs["class"] = " ".join(css)
    widget = field.as_widget(attrs=attrs)
    extras = ""
    if field.errors:
        extras += format_html(
            '<div id="{}_error" class="invalid-feedback d-block">{}</div>',
            field.auto_id,
            format_html_join("", "<p><strong>{}</strong></p>", ((e,) for e in field.errors)),
        )
    if field.help_text:
        extras += format_html(
            '<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text
        )
    if kind == "checkbox":
        return format_html(
            '<div class="mb-3"><div id="div_{}" class="form-check">{} '
            '<label for="{}" class="form-check-label">{}</label>{}</div></div>',
            field.auto_id,
            widget,
            field.id_for_label,
            field.label,
            mark_safe(extras),  # noqa: S308 - built with format_html above
        )
    required = mark_safe('<span class="asteriskField">*</span>') if field.field.required else ""
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label{}">{}{}</label>{}{}</div>',
        field.auto_id,
        field.id_for_label,
        " requiredField" if field.field.required else "",
        field.label,
        required,
        widget,
        mark_safe(extras),  # noqa: S308 - built with format_html above
    )


# --- the queue page's rows -----------------------------------------------------------------------


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


@dataclass(frozen=True)
class _RowWords:
    """A queue row's fixed markup and words in one language, escaped once (``_row_words``)."""

    row: str  # the row's markup, its labels filled in, the per-row values left as ``{fields}``
    select: str  # "Select %(number)s", escaped, for the check box's label
    major: str
    ola_label: str
    priority: dict[int, str]
    status: dict[str, str]
    hold: dict[str, str]
    sla: dict[str, str]
    ola_state: dict[str, str]


class _KeepOthers(dict[str, str]):
    """``format_map`` filling in some names and leaving the others as they were."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@lru_cache(maxsize=16)
def _row_words(language: str | None) -> _RowWords:
    """The queue row's words in ``language``, looked up and escaped once (a page shows 25 rows of ten
    cells). Called with the active language, so the lazy labels below translate to it."""
    labels = {
        "l_select_column": _("Select"),
        "l_number": _("Number"),
        "l_title": _("Title"),
        "l_priority": _("Priority"),
        "l_status": _("Status"),
        "l_group": _("Group"),
        "l_assignee": _("Assignee"),
        "l_caller": _("Caller"),
        "l_resolve_by": _("Resolve by"),
        "l_logged": _("Logged"),
    }
    row = (
        '<tr data-number="{number}">'
        '<td data-label="{l_select_column}"><input class="form-check-input" type="checkbox" name="selected" '
        'value="{number}:{version}" aria-label="{select}"></td>'
        '<td data-label="{l_number}"><a href="{url}" class="fw-semibold">{number}</a>{major}</td>'
        '<td data-label="{l_title}" class="text-break">{title}{tags}</td>'
        '<td data-label="{l_priority}"><span class="badge text-bg-{priority_class}">{priority}</span></td>'
        '<td data-label="{l_status}">{status}{hold}</td>'
        '<td data-label="{l_group}">{group}</td>'
        '<td data-label="{l_assignee}">{assignee}</td>'
        '<td data-label="{l_caller}">{caller}</td>'
        '<td data-label="{l_resolve_by}"><div>{due}{ola}</div></td>'
        '<td data-label="{l_logged}">{logged}</td>'
        "</tr>"
    )
    # the labels go in now (escaped, their braces doubled); the row's own values at each row
    row = row.format_map(_KeepOthers({key: _braces(esc(value)) for key, value in labels.items()}))
    return _RowWords(
        row=row,
        select=esc(_("Select %(number)s")),
        major=esc(_("Major")),
        ola_label=esc(_("OLA")),
        priority={value: esc(label) for value, label in Priority.choices},
        status={value: esc(label) for value, label in Status.choices},
        hold={value: esc(label) for value, label in HoldReason.choices},
        sla={value: esc(label) for value, label in SlaState.choices},
        ola_state={value: esc(str(label).lower()) for value, label in SlaState.choices},
    )


@lru_cache(maxsize=8)
def _detail_url(script_prefix: str) -> tuple[str, str]:
    """The incident page's address around its number (``reverse`` once, not 25 times a page)."""
    marker = "INC0000000"
    url = reverse("incidents:detail", args=[marker])
    before, _sep, after = url.partition(marker)
    return before, after


@register.simple_tag
def queue_row(i: Any) -> SafeString:
    """One row of a queue (templates/incidents/incident_list.html), built in Python.

    A queue page shows 25 rows of ten cells; through the template engine they were half of its
    server time (SPEC §13: 25 ms). The row's markup and words are made once per language
    (``_row_words``); each value of the row is escaped here. The columns a row may read are
    ``incidents.queues.ROW_FIELDS``.
    """
    words = _row_words(translation.get_language())
    tz = timezone.get_current_timezone()
    number = esc(i.number)
    tag_names = (getattr(i, "tag_names", None) or "").split()
    tags = (
        '<div class="d-flex flex-wrap gap-1 mt-1" data-testid="row-tags">'
        + "".join(f'<span class="badge text-bg-light border">{esc(t)}</span>' for t in tag_names)
        + "</div>"
        if tag_names
        else ""
    )
    if i.resolution_due_at:
        sla_state = i.sla_state
        due = (
            f'{_time(i.resolution_due_at, tz, countdown=True)} <span class="badge text-bg-'
            f'{sla_class(sla_state)}">{words.sla.get(sla_state) or esc(sla_state)}</span>'
        )
    else:
        due = "—"
    if i.ola_due_at:
        ola_state = i.ola_state
        ola = (
            f'<br><small class="text-body-secondary">{words.ola_label} {_time(i.ola_due_at, tz)}</small> '
            f'<span class="badge text-bg-{sla_class(ola_state)}" data-testid="ola-state">{words.ola_label} '
            f"{words.ola_state.get(ola_state) or esc(ola_state)}</span>"
        )
    else:
        ola = ""
    hold = i.hold_reason
    if hold:
        hold = f' <small class="text-body-secondary">({words.hold.get(hold) or esc(hold)})</small>'
    before, after = _detail_url(get_script_prefix())
    caller = i.caller
    return mark_safe(  # noqa: S308 - every value is escaped above or here, the markup is ours
        words.row.format(
            select=words.select % {"number": number},
            number=number,
            version=int(i.version),
            tags=tags,
            url=before + quote(i.number) + after,
            major=f' <span class="badge text-bg-danger">{words.major}</span>' if i.major_incident else "",
            title=esc(i.title),
            priority_class=priority_class(i.priority),
            priority=words.priority.get(i.priority) or esc(i.priority),
            status=words.status.get(i.status) or esc(i.status),
            hold=hold,
            group=esc(i.assignment_group.name),
            assignee=esc(i.assigned_to.get_username()) if i.assigned_to_id else "—",
            caller=esc(caller.get_full_name() or caller.get_username()),
            due=due,
            ola=ola,
            logged=_time(i.created_at, tz),
        )
    )
