"""A query's words stemmed for every language the archive holds.

Each article's words are stemmed by the Snowball stemmer of its language
(archive.index.analysis.stems), and the query parser stems what is typed as
English. So each title or body term that a typed word made is searched as
that word's stem in each language the archive holds (or in the ones
``language:`` terms name), ORed, each in the articles of its language
alone: German ``sicherheitslücken`` finds *Sicherheitslücke* (stem
*sicherheitsluck*) in German articles, and a Spanish stem never matches a
Portuguese word. A typed word that is a stop word in a language (German
*die*) asks nothing of that language's articles, which do not index it:
*die Welt* finds a German article by *Welt*. An archive of English
articles alone searches exactly as before.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from whoosh.query import And, Not, Or, Phrase, Query, Term

from archive.index.analysis import stemming, stems, stop_words, words
from archive.index.schema import ANALYSED_FIELDS

LANGUAGE_FIELD = "language"
STOPPED = ""  # a typed word that is a stop word in a language: not searched there


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


def other_stems(text: str, languages: frozenset[str]) -> dict[tuple[str, ...], dict[str, str]]:
    """For each analysis other than English that ``languages`` use (a
    stemmer and a list of stop words), the languages that use it -> each
    English stem of a typed word -> the word's stem in those languages
    (where they differ), or ``STOPPED`` where it is a stop word there."""
    codes: dict[tuple[str, frozenset[str]], list[str]] = {}
    for code in sorted(languages):
        codes.setdefault((stemming(code), stop_words(code)), []).append(code)
    codes.pop((stemming(None), stop_words(None)), None)
    typed = words(text)  # every word, a question's last too ("eleições?")
    if not codes or not typed:
        return {}
    english = stems(typed, None)
    found: dict[tuple[str, ...], dict[str, str]] = {}
    for (_, stops), using in sorted(codes.items(), key=lambda item: item[1]):
        said = stems(typed, using[0])
        pairs = {
            e: STOPPED if w in stops else s
            for w, e, s in zip(typed, english, said, strict=True)
            if e != s or w in stops
        }
        if pairs:
            found[tuple(using)] = pairs
    return found


def stemmed_for(query: Query, text: str, languages: frozenset[str]) -> Query:
    """``query`` (parsed from ``text``) with its words' stems in the other
    ``languages`` the archive holds, or the ones it names, ORed beside the
    English, each searched in the articles of its language alone."""
    languages = named(query) or languages
    extra = other_stems(unicodedata.normalize("NFC", text), languages)  # as parsed
    return _with_stems(query, extra).normalize() if extra else query


Extra = dict[tuple[str, ...], dict[str, str]]


def _with_stems(query: Query, extra: Extra, neutral: frozenset[Codes] = frozenset()) -> Query:
    """``query`` with the other languages' stems. ``neutral``: the languages
    in whose articles a stop word of theirs asks nothing here (a part of an
    AND that holds other words of theirs); elsewhere (alone, ORed, or with
    nothing but stop words of theirs) it finds none of their articles."""
    if _one_word(query) or (isinstance(query, Term) and query.fieldname in ANALYSED_FIELDS):
        terms = query.subqueries if isinstance(query, Or) else [query]
        found = [query]
        for codes, pairs in extra.items():
            if any(term.text in pairs for term in terms):
                said = [Term(t.fieldname, pairs.get(t.text, t.text), boost=t.boost) for t in terms]
                if said[0].text != STOPPED:
                    found.append(_in_languages(codes, said[0] if len(said) == 1 else Or(said)))
                elif codes in neutral:  # no article of theirs holds it: it asks nothing of them
                    found.append(_in_languages(codes, None))
        return Or(found) if len(found) > 1 else query
    if isinstance(query, Phrase) and query.fieldname in ANALYSED_FIELDS:
        found = [query]
        for codes, pairs in extra.items():
            if any(word in pairs for word in query.words):
                said = [pairs.get(word, word) for word in query.words]
                kept = [word for word in said if word != STOPPED]  # as positions count them
                if len(kept) > 1:
                    phrase = Phrase(query.fieldname, kept, query.slop, query.boost)
                    found.append(_in_languages(codes, phrase))
                elif kept:
                    found.append(_in_languages(codes, Term(query.fieldname, kept[0])))
                elif codes in neutral:
                    found.append(_in_languages(codes, None))
        return Or(found) if len(found) > 1 else query
    if isinstance(query, And):
        words = [q for q in query.subqueries if _words(q) is not None]
        neutral = frozenset(
            codes
            for codes, pairs in extra.items()
            if any(any(pairs.get(w) != STOPPED for w in _words(q) or ()) for q in words)
        )
    elif not _across(query):
        neutral = frozenset()
    return query.apply(lambda child: _with_stems(child, extra, neutral))


Codes = tuple[str, ...]


def _across(query: Query) -> bool:
    """Whether ``query`` is a phrase typed, ORed over the title and the body."""
    return isinstance(query, Or) and all(isinstance(q, Phrase) for q in query.subqueries)


def _words(query: Query) -> list[str] | None:
    """The words (English stems) of a typed word or phrase; None for anything else."""
    if _one_word(query):
        return [str(query.subqueries[0].text)]
    if isinstance(query, Term) and query.fieldname in ANALYSED_FIELDS:
        return [str(query.text)]
    if isinstance(query, Phrase) and query.fieldname in ANALYSED_FIELDS:
        return [str(w) for w in query.words]
    if _across(query) and query.subqueries:
        return _words(query.subqueries[0])
    return None


def _one_word(query: Query) -> bool:
    """Whether ``query`` is an OR of one word's terms in the title and body
    (as a typed word is parsed): its stems in another language are then
    scored together, as the English ones are."""
    return (
        isinstance(query, Or)
        and bool(query.subqueries)
        and all(isinstance(t, Term) and t.fieldname in ANALYSED_FIELDS for t in query.subqueries)
        and len({t.text for t in query.subqueries}) == 1
    )


def english(query: Query) -> Query:
    """``query`` without the other languages' stems added to it (those ORs'
    alternatives that hold only in some languages): the typed words as the
    parser stemmed them, for feedback to read."""
    if isinstance(query, Or):
        kept = [english(child) for child in query.subqueries if not _restricted(child)]
        return kept[0] if len(kept) == 1 else Or(kept, boost=query.boost)
    return query.apply(english)


def _restricted(query: Query) -> bool:
    """Whether ``query`` holds in the articles of some languages alone."""
    if isinstance(query, Or):
        return bool(query.subqueries) and all(map(_restricted, query.subqueries))
    if isinstance(query, Term):
        return query.fieldname == LANGUAGE_FIELD
    return isinstance(query, And) and any(
        isinstance(q, Term) and q.fieldname == LANGUAGE_FIELD for q in query.subqueries
    )


def _in_languages(codes: tuple[str, ...], query: Query | None) -> Query:
    """``query`` in the articles of these languages alone (None: every
    article of theirs, adding nothing to its score)."""
    if query is None:
        kept: list[Query] = [Term(LANGUAGE_FIELD, code, boost=0.0) for code in codes]
    else:
        kept = [And([query, Term(LANGUAGE_FIELD, code)]) for code in codes]
    return kept[0] if len(kept) == 1 else Or(kept)
