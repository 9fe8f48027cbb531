"""Snippets and highlights from an article's stored text and the query's terms.

Only the articles shown are read: the text is tokenized once (archive.index.
analysis: the index's own words and stems), the words whose stems the query
searched for are marked, and fragments are cut around them as Whoosh's
ContextFragmenter cuts them (up to 220 characters, 70 of context), scored as
its BasicFragmentScorer scores them (matches, times distinct terms), ties to
the earlier. A search for "withdrawal" marks "withdraw": the stems decide,
never a second matching of the query's words.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator
from typing import Any

from whoosh.query import And, AndNot, DateRange, Not, NullQuery, Query, Term

from archive.index.analysis import CJK, fold, indexed, pieces, stems
from archive.index.documents import split_list
from archive.index.scripts import word_pattern
from archive.model import Hit, Snippet, Span
from archive.query.exact import SPELLED

SNIPPET_CHARS = 220  # longest fragment shown for a hit
# Snippets are cut from a window of the text at most this long: its start, or,
# when nothing matches there, the stretch from the first place a match may
# begin. A million-character article took over a second a hit to scan whole.
SCAN_CHARS = 100_000
SNIPPET_CONTEXT = 70  # characters of context on each side of a match
LEDE_CHARS = 200  # shown for hits that match only in the title

Token = tuple[int, int, str | None]  # start, end, the term it matched (or None)


def query_words(query: Query, reader: Any) -> dict[str, frozenset[str]]:
    """Per field, the terms a query searches for that the index holds, outside
    its NOT parts: what highlighting marks. Those it searches in the articles
    of some languages alone (an AND with ``language:`` terms, as other
    languages' stems are searched) are kept as ``field@language``."""
    found: dict[str, set[str]] = {}
    _gather(_positive(query), reader, found, ())
    return {field: frozenset(words) for field, words in found.items()}


def _gather(
    query: Query, reader: Any, found: dict[str, set[str]], languages: tuple[str, ...]
) -> None:
    if isinstance(query, And):
        named = [
            q.text for q in query.subqueries if isinstance(q, Term) and q.fieldname == "language"
        ]
        languages = tuple(map(str, named)) or languages
    if not query.is_leaf():
        for child in query.children():
            _gather(child, reader, found, languages)
        return
    if isinstance(query, DateRange):  # a column's, not words
        return
    for fieldname, text in query.expanded_terms(reader, phrases=True):
        word = text.decode("utf-8") if isinstance(text, bytes) else str(text)
        for key in [f"{fieldname}@{code}" for code in languages] or [fieldname]:
            found.setdefault(key, set()).add(word)


def terms_in(words: dict[str, frozenset[str]], field: str, language: str | None) -> frozenset[str]:
    """The terms to mark in ``field`` of an article in ``language``."""
    found = words.get(field, frozenset())
    return found | words.get(f"{field}@{language}", frozenset()) if language else found


def _positive(query: Query) -> Query:
    if isinstance(query, AndNot):
        return _positive(query.a)
    if isinstance(query, Not):
        return NullQuery
    return query.apply(_positive)


def tokens(
    text: str,
    terms: frozenset[str],
    written: frozenset[str] = frozenset(),
    language: str | None = None,
) -> list[Token]:
    """Every word of ``text`` (in ``language``), each with the term it
    matched, if any; a term that words were asked for as ``written`` (an
    exact search) only by them.

    Only words that can stem to a query term are stemmed: Snowball's stems
    keep a word's first two letters, so the others are passed over.
    """
    folded_text = fold(text)
    aligned = len(folded_text) == len(text)  # folding kept every character in place
    read = folded_text if aligned else text
    found = [(m.span(), m.group()) for m in word_pattern(read).finditer(read)]
    words = [word for _, word in found] if aligned else [fold(word) for _, word in found]
    if not text.isascii() and CJK.search(text) is not None:
        found, words = _paired(found, words, language)
    starts = {term[:2] for term in terms}
    every = any(len(term) < 2 for term in terms)
    picked = [i for i, word in enumerate(words) if every or word[:2] in starts]
    only = _as_written(written, language)
    matched = {
        i: stem
        for i, stem in zip(picked, stems([words[i] for i in picked], language), strict=True)
        if stem in terms
        and (indexed(words[i], language) or CJK.match(words[i]))
        and words[i] in only.get(stem, (words[i],))
    }
    return [(start, end, matched.get(i)) for i, ((start, end), _) in enumerate(found)]


def _paired(
    found: list[tuple[tuple[int, int], str]], words: list[str], language: str | None
) -> tuple[list[tuple[tuple[int, int], str]], list[str]]:
    """The words, those holding CJK characters as the index has them: their
    pairs of characters (overlapping spans), and the letters between."""
    spans: list[tuple[tuple[int, int], str]] = []
    split: list[str] = []
    for ((start, end), written), word in zip(found, words, strict=True):
        if CJK.search(word) is None:
            spans.append(((start, end), written))
            split.append(word)
            continue
        for a, b in pieces(word, language):
            spans.append(((min(start + a, end), min(start + b, end)), word[a:b]))
            split.append(word[a:b])
    return spans, split


def joined(spans: list[Span]) -> tuple[Span, ...]:
    """Spans in order, those that overlap made one (a CJK word's pairs of
    characters are one mark)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _as_written(written: frozenset[str], language: str | None) -> dict[str, set[str]]:
    """Each stem of the words asked for as written -> those words."""
    found: dict[str, set[str]] = {}
    for word, stem in zip(written, stems(list(written), language), strict=True):
        found.setdefault(stem, set()).add(word)
    return found


def written(words: dict[str, frozenset[str]], field: str) -> frozenset[str]:
    """The words an exact search asked for as written in ``field``."""
    return words.get(SPELLED[field], frozenset())


def _may_match(text: str, terms: frozenset[str]) -> bool:
    """False when no word of ``text`` can stem to a term: none of the terms'
    first two letters are in it (the check tokens() makes word by word)."""
    if any(len(term) < 2 for term in terms):
        return True
    folded = fold(text)
    if len(folded) != len(text):
        return True  # words are folded one by one there
    return any(term[:2] in folded for term in terms)


def marks(
    text: str,
    terms: frozenset[str],
    written: frozenset[str] = frozenset(),
    language: str | None = None,
) -> tuple[Span, ...]:
    """Every span of ``text`` that matched (a title, or an article shown whole)."""
    if not terms or not _may_match(text, terms):
        return ()
    found = tokens(text, terms, written, language)
    return joined([(start, end) for start, end, term in found if term is not None])


def snippets(
    text: str,
    terms: frozenset[str],
    top: int = 3,
    written: frozenset[str] = frozenset(),
    language: str | None = None,
) -> list[Snippet]:
    """Up to ``top`` fragments of ``text`` around its matches, in text order
    (found in a window of at most SCAN_CHARS of it)."""
    if not terms or top <= 0 or not _may_match(text, terms):
        return []
    for start in _windows(text, terms):
        window = text[start : start + SCAN_CHARS]
        fragments = [f for f in _fragments(tokens(window, terms, written, language)) if f[2]]
        if fragments:
            best = sorted(heapq.nlargest(top, fragments, key=_score), key=lambda f: f[0])
            return distinct([_snippet(text, *_shifted(f, start)) for f in best])
    return []


def _windows(text: str, terms: frozenset[str]) -> list[int]:
    """Where to look for matches: the text's start, and if it is longer than a
    window, the first place after it where a term's first letters appear."""
    if len(text) <= SCAN_CHARS:
        return [0]
    folded = fold(text[SCAN_CHARS:])
    later = [at for term in terms if (at := folded.find(term[:2])) >= 0]
    if len(folded) != len(text) - SCAN_CHARS or not later:
        return [0]  # folding moved characters: the start only
    return [0, SCAN_CHARS + max(min(later) - SNIPPET_CONTEXT, 0)]


def _shifted(fragment: tuple[int, int, list[Token]], offset: int) -> tuple[int, int, list[Token]]:
    start, end, matched = fragment
    moved = [(a + offset, b + offset, term) for a, b, term in matched]
    return start + offset, end + offset, moved


def _fragments(words: list[Token]) -> Iterator[tuple[int, int, list[Token]]]:
    """Whoosh's ContextFragmenter, over a list of words."""
    firsts: deque[int] = deque()
    countdown, length = -1, 0
    first: int | None = None
    matched: list[Token] = []
    end = 0
    for token in words:
        start, end, term = token
        size = end - start
        if countdown < 0 and term is None:
            firsts.append(start)
            while firsts and end - firsts[0] > SNIPPET_CONTEXT:
                firsts.popleft()
        elif length + size > SNIPPET_CHARS:
            countdown = 0
        elif term is not None:
            countdown = SNIPPET_CONTEXT
            if first is None:
                if firsts:
                    first = firsts[0]
                else:
                    first = start
                    countdown += SNIPPET_CONTEXT
            matched.append(token)
        if countdown >= 0:
            length += size
            countdown -= size
            if countdown <= 0:
                yield (first if first is not None else start, end, matched)
                matched, firsts, first, length = [], deque(), None, 0
    if matched:
        yield (first if first is not None else 0, end, matched)


def _score(fragment: tuple[int, int, list[Token]]) -> float:
    """Whoosh's BasicFragmentScorer (matches times distinct terms), ties to the earlier."""
    start, _, matched = fragment
    return len(matched) * len({term for _, _, term in matched}) * 100 + 1 / (2 + start)


def _snippet(text: str, start: int, end: int, matched: list[Token]) -> Snippet:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    spans = [(a - start, b - start) for a, b, _ in matched if start <= a and b <= end]
    return Snippet(
        text=text[start:end],
        matches=joined(spans),
        starts_text=not text[:start].strip(),
        ends_text=not text[end:].strip(),
    )


def distinct(found: list[Snippet]) -> list[Snippet]:
    """Drop fragments whose text another fragment already shows."""
    kept: list[Snippet] = []
    for snippet in found:
        text = snippet.text.casefold()
        if not any(text in other.text.casefold() for other in kept):
            kept.append(snippet)
    return kept


def lede(body: str) -> Snippet:
    if len(body) <= LEDE_CHARS:
        return Snippet(text=body, starts_text=True, ends_text=True)
    cut = body[:LEDE_CHARS].rsplit(" ", 1)[0]
    return Snippet(text=cut, starts_text=True)


def hit(
    fields: dict[str, Any],
    rank: int,
    score: float | None,
    words: dict[str, frozenset[str]],
    top: int,
    similar: int = 0,
) -> Hit:
    """A hit from an article's stored fields, its snippets cut around the matches."""
    body = fields.get("body") or ""  # headline-only items index no body
    language = fields.get("language")
    terms = terms_in(words, "body", language)
    found = snippets(body, terms, top, written(words, "body"), language) if body else []
    if not found and body and top:
        found = [lede(body)]  # matched in the title only: show the lede
    title = fields.get("title", "")
    return Hit(
        rank=rank,
        id=fields["id"],
        title=title,
        title_matches=marks(
            title, terms_in(words, "title", language), written(words, "title"), language
        ),
        score=score,
        snippets=tuple(found),
        date=fields.get("date"),
        source=fields.get("source"),
        path=fields.get("path"),
        authors=split_list(fields.get("authors")),
        url=fields.get("url"),
        tags=split_list(fields.get("tags")),
        language=fields.get("language"),
        similar=similar,
    )
