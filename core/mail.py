"""Emails are three templates each: ``<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(template: str, context: dict[str, Any]) -> RenderedEmail:
    subject = " ".join(render_to_string(f"{template}.subject.txt", context).split())
    return RenderedEmail(
        subject=subject[:255],
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
    )
