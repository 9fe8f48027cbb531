"""The archive's analyzer, fast: the same terms as the
schema's Whoosh analyzer (archive.index.schema.text_analyzer), a list at a time.

Whoosh's analyzer makes a Token object per word and runs it through a chain
of filters; here one regular-expression pass finds the words, and the C
stemmer stems them all at once. Used where text is analyzed outside
indexing: snippets and feedback terms.

Each article is stemmed by the Snowball stemmer of its language where
PyStemmer has one (German, Portuguese, French, Spanish, Czech, Russian and
27 more), and as English otherwise: the schema's Whoosh analyzer is the
English one, which the fast one equals for English and unknown languages
(archive.query.languages adds the other languages' stems to queries).
Portuguese plurals in -ões are made -ão first (eleições as eleição), as the
RSLP stemmer does, since Snowball's Portuguese leaves them apart.

Chinese, Japanese and Korean are written without spaces between words, so
a run of their characters is indexed as its overlapping pairs of
characters (习近平讲话: 习近 近平 平讲 讲话), as Lucene's CJKAnalyzer does: a
word typed in a query is then found as the same pairs side by side,
wherever it stands in a longer run. A lone character stays itself. Text
without such characters is told by one regular-expression search and takes
the plain path.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from whoosh.analysis import STOP_WORDS
from whoosh.support.charset import accent_map

WORD = re.compile(r"\w+(\.?\w+)*", re.UNICODE)  # Whoosh's RegexTokenizer default
MIN_CHARS = 2  # Whoosh's StopFilter: shorter words are not indexed
# Han, Hiragana, Katakana and Hangul (with their iteration marks, half-width
# forms and the CJK extensions): the scripts indexed as pairs of characters.
CJK_CHARS = (
    "\u1100-\u11ff\u3005-\u3007\u3041-\u309f\u30a0-\u30ff\u3130-\u318f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\uff66-\uffdc"
    "\U00020000-\U0003134f"
)
CJK = re.compile(f"[{CJK_CHARS}]")
_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
ENGLISH = "english"
# ISO 639-1 codes -> PyStemmer's Snowball stemmers (those it has are used).
SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": ENGLISH, "eo": "esperanto", "es": "spanish", "et": "estonian",
    "eu": "basque", "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish",
    "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "nb": "norwegian", "ne": "nepali", "nl": "dutch", "nn": "norwegian",
    "no": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip
_PORTUGUESE_PLURAL = re.compile(r"(?<=...)oes$")


@cache
def _algorithms() -> frozenset[str]:
    import Stemmer

    return frozenset(Stemmer.algorithms())


@cache
def stemming(language: str | None) -> str:
    """The Snowball stemmer an article in ``language`` (a code) is stemmed by."""
    name = SNOWBALL.get(language or "", ENGLISH)
    return name if name in _algorithms() else ENGLISH


@cache
def stemmer(name: str = ENGLISH) -> Any:
    import Stemmer

    return Stemmer.Stemmer(name)


def stems(folded: list[str], language: str | None = None) -> list[str]:
    """The stems of folded words of an article in ``language`` (a code)."""
    name = stemming(language)
    if name == "portuguese":
        folded = [_PORTUGUESE_PLURAL.sub("ao", word) for word in folded]
    return stemmer(name).stemWords(folded) if folded else []


def fold(word: str) -> str:
    """A word as the index folds it: lower case, accents off."""
    return word.lower().translate(accent_map)


def indexed(folded: str) -> bool:
    """Whether a folded word is indexed at all (long enough, not a stop word)."""
    return len(folded) >= MIN_CHARS and folded not in STOP_WORDS


def pieces(word: str) -> list[tuple[int, int]]:
    """Where the indexed pieces of a folded word that holds CJK characters
    lie: each run of those characters as its overlapping pairs (a lone one
    alone), and the letters between them as words of their own."""
    found: list[tuple[int, int]] = []
    at = 0
    for run in _CJK_RUN.finditer(word):
        start, end = run.span()
        found += _letters(word, at, start)
        found += [(start, end)] if end - start == 1 else [(i, i + 2) for i in range(start, end - 1)]
        at = end
    return found + _letters(word, at, len(word))


def _letters(word: str, start: int, end: int) -> list[tuple[int, int]]:
    """The letters between two runs of CJK characters, if indexed (without
    the dots that joined them to the run)."""
    while start < end and word[start] == ".":
        start += 1
    while end > start and word[end - 1] == ".":
        end -= 1
    return [(start, end)] if start < end and indexed(word[start:end]) else []


def words(text: str) -> list[str]:
    """The indexed words of ``text`` as written (folded), in order."""
    if text.isascii() or CJK.search(text) is None:  # isascii: a pass in C, 150 times faster
        return [word for word in (fold(m.group()) for m in WORD.finditer(text)) if indexed(word)]
    found = []
    for word in (fold(m.group()) for m in WORD.finditer(text)):
        if CJK.search(word) is None:
            if indexed(word):
                found.append(word)
        else:
            found += [word[start:end] for start, end in pieces(word)]
    return found


def terms(text: str, language: str | None = None) -> list[str]:
    """The indexed terms of ``text`` (in ``language``), in order."""
    return stems(words(text), language)


def analysed(text: str, language: str | None = None) -> tuple[list[str], list[str]]:
    """The indexed words of ``text`` (in ``language``) as written (folded)
    and their stems, in order: a word's position is its place in these
    lists, as Whoosh numbers positions once stop words are out."""
    kept = words(text)
    return kept, stems(kept, language)
