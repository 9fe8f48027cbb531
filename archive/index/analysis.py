"""The archive's analyzer, fast: the same terms as the
schema's Whoosh analyzer (archive.index.schema.text_analyzer), a list at a time.

Whoosh's analyzer makes a Token object per word and runs it through a chain
of filters; here one regular-expression pass finds the words, and the C
stemmer stems them all at once. Used where text is analyzed outside
indexing: snippets and feedback terms.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from whoosh.analysis import STOP_WORDS
from whoosh.support.charset import accent_map

WORD = re.compile(r"\w+(\.?\w+)*", re.UNICODE)  # Whoosh's RegexTokenizer default
MIN_CHARS = 2  # Whoosh's StopFilter: shorter words are not indexed


@cache
def stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def fold(word: str) -> str:
    """A word as the index folds it: lower case, accents off."""
    return word.lower().translate(accent_map)


def indexed(folded: str) -> bool:
    """Whether a folded word is indexed at all (long enough, not a stop word)."""
    return len(folded) >= MIN_CHARS and folded not in STOP_WORDS


def terms(text: str) -> list[str]:
    """The indexed terms of ``text``, in order."""
    kept = [word for word in (fold(m.group()) for m in WORD.finditer(text)) if indexed(word)]
    return stemmer().stemWords(kept) if kept else []


def analysed(text: str) -> tuple[list[str], list[str]]:
    """The indexed words of ``text`` as written (folded) and their stems, in
    order: a word's position is its place in these lists, as Whoosh numbers
    positions once stop words are out."""
    words = [word for word in (fold(m.group()) for m in WORD.finditer(text)) if indexed(word)]
    return words, (stemmer().stemWords(words) if words else [])
