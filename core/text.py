"""Words of what people type, for the searches that match them (knowledge suggestions, similar incidents).

One definition of a word (three letters or more, any script, lower-cased) and one list of English function
words that never make two texts alike; each search adds what else it ignores.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
STOP_WORDS = frozenset(
    {
        "after",
        "again",
        "all",
        "also",
        "and",
        "any",
        "are",
        "been",
        "before",
        "being",
        "but",
        "can",
        "cannot",
        "cant",
        "could",
        "did",
        "does",
        "doesn",
        "each",
        "every",
        "for",
        "from",
        "had",
        "has",
        "have",
        "here",
        "how",
        "into",
        "its",
        "just",
        "more",
        "most",
        "not",
        "off",
        "one",
        "only",
        "onto",
        "our",
        "out",
        "over",
        "should",
        "since",
        "some",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "too",
        "under",
        "very",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    }
)


def distinct_words(
    *texts: str, chars: int = 4000, ignore: Iterable[str] = STOP_WORDS, digits: bool = True
) -> list[str]:
    """The distinct words of the texts (each read up to ``chars`` characters), lower-cased, in order of
    appearance, without the ``ignore``d ones (and without numbers unless ``digits``)."""
    skip = ignore if isinstance(ignore, frozenset | set) else frozenset(ignore)
    seen: dict[str, None] = {}
    for text in texts:
        for word in WORD.findall((text or "")[:chars].lower()):
            if word not in skip and (digits or not word.isdigit()):
                seen.setdefault(word, None)
    return list(seen)
