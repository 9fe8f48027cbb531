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

Stop words are left out by the language's list where Whoosh ships
Snowball's (German *der die das und*, Portuguese *de que os*, and eleven
more), and by Whoosh's short English list otherwise.

Chinese, Japanese and Korean are written without spaces between words, and
so are Thai, Lao, Burmese and Khmer: a run of their characters is indexed as
its overlapping pairs of characters (习近平讲话: 习近 近平 平讲 讲话), as
Lucene's CJKAnalyzer does, a character with its vowel signs and tone marks
counted as one (archive.index.scripts keeps combining marks inside words).
A word typed in a query is then found as the same pairs side by side,
wherever it stands in a longer run. A lone character stays itself. Text
without such characters is told by one regular-expression search and takes
the plain path.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from whoosh.analysis import STOP_WORDS
from whoosh.lang.stopwords import stoplists
from whoosh.support.charset import accent_map

from archive.index.scripts import MARK, UNSPACED, UNSPACED_RUN, word_pattern

CJK = UNSPACED  # the scripts indexed as pairs of characters (Chinese, ..., Thai, Khmer)
MIN_CHARS = 2  # Whoosh's StopFilter: shorter words are not indexed
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
_PORTUGUESE_PLURAL = re.compile(r"(?<=..)oes$")  # acoes, leoes; not oes, poes


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


@cache
def stop_words(language: str | None = None) -> frozenset[str]:
    """The words not indexed in an article in ``language`` (a code), folded:
    Snowball's list for the 13 languages besides English that Whoosh ships
    one for (German, French, Spanish, Portuguese, Italian, Dutch, Russian,
    the Scandinavian languages, Finnish, Hungarian, Turkish), and Whoosh's
    English list for English and every other language, as before."""
    if not language or language == "en" or language not in stoplists:
        return frozenset(STOP_WORDS)
    return frozenset(fold(word) for word in stoplists[language])


def indexed(folded: str, language: str | None = None) -> bool:
    """Whether a folded word is indexed at all (long enough, not a stop word)."""
    return len(folded) >= MIN_CHARS and folded not in stop_words(language)


def pieces(word: str, language: str | None = None) -> list[tuple[int, int]]:
    """Where the indexed pieces of a folded word that holds characters of
    the unspaced scripts lie: each run of them as its overlapping pairs of
    characters (a lone one alone; a character with the marks that follow
    it is one), and the letters between them as words of their own."""
    found: list[tuple[int, int]] = []
    at = 0
    for run in UNSPACED_RUN.finditer(word):
        start, end = run.span()
        found += _letters(word, at, start, language)
        bounds = [i for i in range(start, end) if i == start or not MARK.match(word[i])]
        bounds.append(end)
        if len(bounds) == 2:
            found.append((start, end))
        else:
            found += [(bounds[k], bounds[k + 2]) for k in range(len(bounds) - 2)]
        at = end
    return found + _letters(word, at, len(word), language)


def _letters(word: str, start: int, end: int, language: str | None) -> list[tuple[int, int]]:
    """The letters between two runs of unspaced characters, if indexed
    (without the dots that joined them to the run)."""
    while start < end and word[start] == ".":
        start += 1
    while end > start and word[end - 1] == ".":
        end -= 1
    return [(start, end)] if start < end and indexed(word[start:end], language) else []


def words(text: str, language: str | None = None) -> list[str]:
    """The indexed words of ``text`` (in ``language``) as written (folded), in order."""
    stops = stop_words(language)
    found_in = word_pattern(text).finditer
    if text.isascii() or CJK.search(text) is None:  # isascii: a pass in C, 150 times faster
        return [
            word
            for word in (fold(m.group()) for m in found_in(text))
            if len(word) >= MIN_CHARS and word not in stops
        ]
    found = []
    for word in (fold(m.group()) for m in found_in(text)):
        if CJK.search(word) is None:
            if len(word) >= MIN_CHARS and word not in stops:
                found.append(word)
        else:
            found += [word[start:end] for start, end in pieces(word, language)]
    return found


def terms(text: str, language: str | None = None) -> list[str]:
    """The indexed terms of ``text`` (in ``language``), in order."""
    return stems(words(text, language), language)


def analysed(text: str, language: str | None = None) -> tuple[list[str], list[str]]:
    """The indexed words of ``text`` (in ``language``) as written (folded)
    and their stems, in order: a word's position is its place in these
    lists, as Whoosh numbers positions once stop words are out."""
    kept = words(text, language)
    return kept, stems(kept, language)
