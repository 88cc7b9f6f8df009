"""Template helpers for incident pages: sanitised Markdown and readable activity changes."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

import markdown as markdown_lib  # type: ignore[import-untyped,unused-ignore]
import nh3
from django import template
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from incidents.models import Incident
from incidents.records import texts

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


@register.filter(is_safe=True)
def markdown(text: str | None) -> SafeString:
    """Markdown to HTML, then cleaned by nh3: scripts, handlers and javascript: links are dropped."""
    html = markdown_lib.markdown(text or "", extensions=["fenced_code", "sane_lists", "tables"])
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


@register.simple_tag
def timestamp(value: datetime | None, countdown: bool = False) -> str:
    """``<time datetime="…">YYYY-MM-DD HH:MM</time>`` in the current time zone, or ``""``.

    The markup of ``|date:'c'`` and ``|date:"Y-m-d H:i"`` in one call: a queue page shows three per
    row, and the ``date`` filter parses its format at every use.
    """
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}"{}>{}</time>',
        local.isoformat(),
        mark_safe(" data-countdown") if countdown else "",
        local.strftime("%Y-%m-%d %H:%M"),
    )


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


@lru_cache(maxsize=8)
def _row_labels(language: str | None) -> dict[str, str]:
    """The queue row's words in one language, looked up once (a page shows 25 rows of ten cells)."""
    return {
        "select": _("Select %(number)s"),
        "select_column": _("Select"),
        "number": _("Number"),
        "title": _("Title"),
        "priority": _("Priority"),
        "status": _("Status"),
        "group": _("Group"),
        "assignee": _("Assignee"),
        "caller": _("Caller"),
        "resolve_by": _("Resolve by"),
        "logged": _("Logged"),
        "major": _("Major"),
        "ola": _("OLA"),
    }


@register.simple_tag
def queue_row(i: Any) -> SafeString:
    """One row of a queue (templates/incidents/incident_list.html), built in Python.

    A queue page shows 25 rows of ten cells; through the template engine they were half of its
    server time (SPEC §13: 25 ms), about a third of a millisecond a row. Every value is escaped by
    ``format_html``; the columns a row may read are ``incidents.queues.ROW_FIELDS``.
    """
    labels = _row_labels(translation.get_language())
    major = (
        format_html(' <span class="badge text-bg-danger">{}</span>', labels["major"])
        if i.major_incident
        else ""
    )
    hold = (
        format_html(' <small class="text-body-secondary">({})</small>', i.get_hold_reason_display())
        if i.hold_reason
        else ""
    )
    # the toolkit's tags, read with the page (``queues.with_tag_names``)
    tag_names = (getattr(i, "tag_names", None) or "").split()
    tags = (
        format_html(
            '<div class="d-flex flex-wrap gap-1 mt-1" data-testid="row-tags">{}</div>',
            format_html_join(
                "", '<span class="badge text-bg-light border">{}</span>', ((t,) for t in tag_names)
            ),
        )
        if tag_names
        else ""
    )
    assignee = i.assigned_to.get_username() if i.assigned_to_id else "—"
    caller = i.caller.get_full_name() or i.caller.get_username()
    due: str
    ola: str
    if i.resolution_due_at:
        due = format_html(
            '{} <span class="badge text-bg-{}">{}</span>',
            timestamp(i.resolution_due_at, countdown=True),
            sla_class(i.sla_state),
            i.get_sla_state_display(),
        )
    else:
        due = "—"
    if i.ola_due_at:
        ola = format_html(
            '<br><small class="text-body-secondary">{} {}</small> '
            '<span class="badge text-bg-{}" data-testid="ola-state">{} {}</span>',
            labels["ola"],
            timestamp(i.ola_due_at),
            sla_class(i.ola_state),
            labels["ola"],
            str(i.get_ola_state_display()).lower(),
        )
    else:
        ola = ""
    return format_html(
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
        "</tr>",
        **{f"l_{key}": value for key, value in labels.items() if key not in ("major", "ola", "select")},
        select=labels["select"] % {"number": i.number},
        number=i.number,
        version=i.version,
        tags=tags,
        url=reverse("incidents:detail", args=[i.number]),
        major=major,
        title=i.title,
        priority_class=priority_class(i.priority),
        priority=i.get_priority_display(),
        status=i.get_status_display(),
        hold=hold,
        group=i.assignment_group.name,
        assignee=assignee,
        caller=caller,
        due=due,
        ola=ola,
        logged=timestamp(i.created_at),
    )
