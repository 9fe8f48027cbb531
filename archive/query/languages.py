"""A query's words stemmed for every language the archive holds.

Each article's words are stemmed by the Snowball stemmer of its language
(archive.index.analysis.stems), and the query parser stems what is typed as
English. So each title or body term that a typed word made is searched as
that word's stem in each language the archive holds, ORed, or in the one a
``language:`` term names: German ``sicherheitslücken`` finds
*Sicherheitslücke* (stem *sicherheitsluck*). An archive of English articles
alone searches exactly as before.
"""

from __future__ import annotations

from typing import Any

from whoosh.query import Not, Or, Phrase, Query, Term

from archive.index.analysis import stemming, stems, words
from archive.index.schema import ANALYSED_FIELDS
from archive.query import tokens

LANGUAGE_FIELD = "language"


def held(reader: Any) -> frozenset[str]:
    """The languages the archive's articles are in (their codes)."""
    return frozenset(
        term.decode("utf-8") if isinstance(term, bytes) else str(term)
        for term in reader.lexicon(LANGUAGE_FIELD)
    )


def named(query: Query) -> frozenset[str]:
    """The languages a query keeps with ``language:`` terms (outside NOTs)."""
    found: set[str] = set()

    def visit(part: Query) -> None:
        if isinstance(part, Not):
            return
        if isinstance(part, Term) and part.fieldname == LANGUAGE_FIELD:
            found.add(str(part.text))
        for child in part.children():
            visit(child)

    visit(query)
    return frozenset(found)


def other_stems(text: str, languages: frozenset[str]) -> dict[str, dict[str, str]]:
    """For each stemming other than English that ``languages`` use: each
    English stem of a typed word -> the word's stem in that language (where
    they differ)."""
    stemmings = {stemming(code): code for code in sorted(languages)}  # one code for each
    stemmings.pop(stemming(None), None)
    typed = [form for token in tokens.words(text) for form in words(token.text)]
    if not stemmings or not typed:
        return {}
    english = stems(typed, None)
    found: dict[str, dict[str, str]] = {}
    for name, code in sorted(stemmings.items()):
        pairs = {e: s for e, s in zip(english, stems(typed, code), strict=True) if e != s}
        if pairs:
            found[name] = pairs
    return found


def stemmed_for(query: Query, text: str, languages: frozenset[str]) -> Query:
    """``query`` (parsed from ``text``) with its words' stems in the other
    ``languages`` the archive holds, or the ones it names, ORed beside the English."""
    languages = named(query) or languages
    extra = other_stems(text, languages)
    return _with_stems(query, extra).normalize() if extra else query


def _with_stems(query: Query, extra: dict[str, dict[str, str]]) -> Query:
    if isinstance(query, Term) and query.fieldname in ANALYSED_FIELDS:
        more = sorted({pairs[query.text] for pairs in extra.values() if query.text in pairs})
        if not more:
            return query
        return Or([query, *(Term(query.fieldname, s, boost=query.boost) for s in more)])
    if isinstance(query, Phrase) and query.fieldname in ANALYSED_FIELDS:
        phrases = [query]
        for pairs in extra.values():
            if any(word in pairs for word in query.words):
                said = [pairs.get(word, word) for word in query.words]
                phrases.append(Phrase(query.fieldname, said, query.slop, query.boost))
        return Or(phrases) if len(phrases) > 1 else query
    return query.apply(lambda child: _with_stems(child, extra))
