"""The form renderer (``FORM_RENDERER``): Django's, with the common widgets built in Python.

SPEC §13 gives an agent's queue page and the incident page 25 ms of server time. Django renders a
widget through its template engine: an ``<input>`` is two includes, and a ``<select>`` one include
of the option template and one of the attributes template per ``<option>``. The queue's filters
and bulk form carry about ninety options, the incident page a dozen action forms, and rendering
their widgets took a fifth of the queue page and a third of the incident page.

``FormRenderer`` builds the markup of Django's own ``select.html``, ``input.html`` (with every
input template that includes it) and ``textarea.html`` in Python, from the context the widget
made: values, labels, ``selected`` and ``checked``, option groups, formats and attributes keep
Django's rules, and only the template engine is left out. The markup is Django's, whitespace aside
(tests/core/test_form_renderer.py compares them). Every other template (crispy's, file inputs,
radio lists, form layouts) is rendered by Django's renderer as before. A project template that
overrides one of the templates named here would not be used: override the widget's
``template_name`` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.safestring import SafeString, mark_safe

from .escaping import esc


def flat_attrs(attrs: dict[str, Any]) -> str:
    """``attrs.html``: `` name="value"`` per attribute, bare for True, left out for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {esc(name)}")
        else:
            out.append(f' {esc(name)}="{esc(str(value))}"')
    return "".join(out)


def render_input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{esc(str(value))}"'
    return (
        f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"'
        f"{shown}{flat_attrs(widget['attrs'])}>"
    )


def render_select(widget: dict[str, Any]) -> str:
    parts = [f'<select name="{esc(widget["name"])}"{flat_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'<optgroup label="{esc(group_name)}">')
        for option in options:
            parts.append(
                f'<option value="{esc(str(option["value"]))}"'
                f"{flat_attrs(option['attrs'])}>{esc(option['label'])}</option>"
            )
        if group_name:
            parts.append("</optgroup>")
    parts.append("</select>")
    return "\n".join(parts)


def render_textarea(widget: dict[str, Any]) -> str:
    value = esc(widget["value"]) if widget["value"] else ""
    name = esc(widget["name"])
    return f'<textarea name="{name}"{flat_attrs(widget["attrs"])}>\n{value}</textarea>'


_INPUT_TEMPLATES = (
    "input",
    "text",
    "number",
    "email",
    "url",
    "password",
    "hidden",
    "date",
    "datetime",
    "time",
    "search",
    "tel",
    "color",
    "checkbox",
)

BUILT_IN: dict[str, Callable[[dict[str, Any]], str]] = {
    **{f"django/forms/widgets/{name}.html": render_input for name in _INPUT_TEMPLATES},
    "django/forms/widgets/select.html": render_select,
    "django/forms/widgets/textarea.html": render_textarea,
}


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> SafeString | str:
        build = BUILT_IN.get(template_name)
        if build is None or "widget" not in context:
            return super().render(template_name, context, request)
        return mark_safe(build(context["widget"]))  # noqa: S308 - every value in it is escaped
