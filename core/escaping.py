"""HTML escaping for markup built in Python, by the thousand values a page."""

from __future__ import annotations

import html
from typing import Any


def esc(value: Any) -> str:
    """Django's ``conditional_escape``, the same text, without its lazy-argument wrapper.

    A queue page escapes about 1,700 values (its rows, and the options of its filters); through
    ``conditional_escape`` and the ``keep_lazy`` wrapper of ``escape`` that was a tenth of its server
    time. Safe strings (anything with ``__html__``) are kept as they are; anything else, lazy
    translations included, is made a string and escaped as ``django.utils.html.escape`` does.
    """
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))
