"""The ``markdown`` filter reuses one converter per thread: each text converts as it would alone, whatever
was converted before it (a converter keeps state between conversions until it is reset)."""

from __future__ import annotations

import markdown as markdown_lib
import nh3

from incidents.templatetags.incident_tags import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, markdown

TEXTS = [
    "Plain **bold** and *em*, a [link](https://example.com).",
    "```\ncode <b>kept</b>\n```\n\nafter the fence",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "1. one\n2. two\n\n- x\n- y",
    "<script>alert(1)</script> raw html is dropped",
    "[evil](javascript:alert(1))",
    "",
]


def _alone(text: str) -> str:
    # a fresh converter, cleaned as the filter cleans
    fresh = markdown_lib.markdown(text, extensions=["fenced_code", "sane_lists", "tables"])
    return nh3.clean(
        fresh,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def test_each_text_converts_as_it_would_alone_in_any_order():
    for order in (TEXTS, list(reversed(TEXTS)), TEXTS * 2):
        for text in order:
            assert str(markdown(text)) == _alone(text), text
    assert "<script" not in str(markdown(TEXTS[4])) and "javascript:" not in str(markdown(TEXTS[5]))
