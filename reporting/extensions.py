"""Sections that apps above reporting add to its pages, without reporting importing them.

An app registers a function in its ``AppConfig.ready()``; the page calls each with the reader's
``Access`` and the page's subject and shows the HTML it returns (empty: nothing). The function
checks permissions itself, through its own selectors, like any read on behalf of a person.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.safestring import SafeString

Section = Callable[..., SafeString | str]


class Sections:
    def __init__(self) -> None:
        self._sections: dict[str, Section] = {}

    def register(self, key: str, section: Section) -> None:
        self._sections[key] = section  # by key: a second ready() replaces, never doubles

    def render(self, **kwargs: Any) -> list[SafeString | str]:
        return [html for html in (section(**kwargs) for section in self._sections.values()) if html]


# The month's report page: ``section(access=, month=)`` with a ``reporting.periods.Month``.
month_sections = Sections()
