"""The form renderer builds the markup of Django's widget templates in Python (core/form_renderer.py).

Each case renders one widget twice, with Django's own renderer and with ours, and the two must be
the same markup: every value, label, ``selected``/``checked``, option group and attribute, escaped
alike. Whitespace between tags is the only difference allowed.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates

from core.form_renderer import BUILT_IN, FormRenderer

CHOICES = [
    ("", "Any"),
    ("a&b", "A <b>"),
    ("Tier <1>", [("x", "X"), ("y", 'Y "quoted"')]),
    (3, "three"),
]
VALUES = ['a"<b&', None, "", datetime.date(2026, 1, 2), 7]


def _normalise(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def _cases() -> list[tuple[forms.Widget, object]]:
    cases: list[tuple[forms.Widget, object]] = [
        (forms.Select(choices=CHOICES), value) for value in ["", "x", 3, "a&b", None, "missing"]
    ]
    cases.append((forms.SelectMultiple(choices=CHOICES), ["x", 3]))
    cases += [(forms.NullBooleanSelect(), value) for value in (True, False, None)]
    for widget in (
        forms.TextInput,
        forms.DateInput,
        forms.NumberInput,
        forms.EmailInput,
        forms.HiddenInput,
        forms.PasswordInput,
        forms.URLInput,
        forms.DateTimeInput,
        forms.TimeInput,
    ):
        cases += [(widget(), value) for value in VALUES]
    cases += [(forms.CheckboxInput(), value) for value in (True, False, "on", None)]
    cases += [(forms.Textarea(), value) for value in ('a"<b\nc', None, "", "<script>")]
    return cases


@pytest.mark.parametrize(("widget", "value"), _cases())
def test_the_markup_is_djangos(widget: forms.Widget, value: object) -> None:
    widget.attrs.update({"class": "form-control", "required": True, "disabled": False, "data-x": '"q"<'})
    theirs = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())
    ours = widget.render("field", value, attrs={"id": "id_field"}, renderer=FormRenderer())
    assert widget.template_name in BUILT_IN
    assert _normalise(ours) == _normalise(theirs)


def test_other_templates_go_to_djangos_renderer() -> None:
    widget = forms.RadioSelect(choices=[("a", "A <b>"), ("b", "B")])
    assert widget.template_name not in BUILT_IN
    theirs = widget.render("field", "a", renderer=DjangoTemplates())
    assert widget.render("field", "a", renderer=FormRenderer()) == theirs


def test_it_is_the_projects_renderer() -> None:
    assert settings.FORM_RENDERER == "core.form_renderer.FormRenderer"
    form = forms.Form()
    assert isinstance(form.renderer, FormRenderer)
