"""The archive's analyzer, fast: the same words, stems and positions as the
schema's Whoosh analyzer (archive.index.schema.text_analyzer), a list at a time.

Whoosh's analyzer makes a Token object per word and runs it through a chain
of filters; here one regular-expression pass finds the words, and the C
stemmer stems them all at once. Used where text is analyzed outside
indexing: snippets, query words, feedback terms.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from whoosh.analysis import STOP_WORDS
from whoosh.support.charset import accent_map

_WORD = re.compile(r"\w+(\.?\w+)*", re.UNICODE)  # Whoosh's RegexTokenizer default
MIN_CHARS = 2  # Whoosh's StopFilter: shorter words are not indexed


@cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def analyze(text: str) -> tuple[list[str], list[tuple[int, int]], int]:
    """The indexed terms of ``text`` in order, where each stands in ``text``,
    and the position of the first (Whoosh numbers the rest on from it, the
    words it leaves out aside)."""
    kept_words: list[str] = []
    spans: list[tuple[int, int]] = []
    first = 0
    for number, match in enumerate(_WORD.finditer(text)):
        word = match.group().lower().translate(accent_map)
        if len(word) >= MIN_CHARS and word not in STOP_WORDS:
            if not kept_words:
                first = number
            kept_words.append(word)
            spans.append(match.span())
    return (_stemmer().stemWords(kept_words) if kept_words else []), spans, first


def terms(text: str) -> list[str]:
    """The indexed terms of ``text``, in order."""
    return analyze(text)[0]
