"""``core.escaping.esc`` answers what Django's ``conditional_escape`` does, for every kind of value a page
builds markup from."""

from __future__ import annotations

import pytest
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from core.escaping import esc


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "<script>alert('x')</script> & \"quoted\"",
        "{braces} %(number)s",
        mark_safe("<b>kept</b>"),
        gettext_lazy("Select %(number)s"),
        gettext_lazy("Resolve by"),
        42,
        3.5,
        None,
        "",
    ],
)
def test_esc_is_conditional_escape(value):
    with override("de"):
        assert esc(value) == str(conditional_escape(value))
