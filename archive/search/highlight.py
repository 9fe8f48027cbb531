"""Snippets and highlights: Whoosh's fragments as ``Snippet`` values with the
character spans that matched, so that no caller re-matches query words."""

from __future__ import annotations

from typing import Any

from whoosh import highlight
from whoosh.query import AndNot, Not, NullQuery, Query
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Searcher

from archive.index.documents import split_list
from archive.model import Hit, Snippet
from archive.whoosh_ext.results import highlight_terms

SNIPPET_CHARS = 220  # longest fragment shown for a hit


SNIPPET_CONTEXT = 70  # characters of context on each side of a match


LEDE_CHARS = 200  # shown for hits that match only in the title


class SpanFormatter(highlight.Formatter):
    """A Whoosh formatter that returns ``Snippet`` values instead of markup."""

    def format(self, fragments: list[highlight.Fragment], replace: bool = False) -> list[Snippet]:
        return [self.snippet(fragment) for fragment in fragments]

    @staticmethod
    def snippet(fragment: highlight.Fragment) -> Snippet:
        text = fragment.text
        start, end = fragment.startchar, fragment.endchar
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        spans = []
        for token in fragment.matches:
            if token.startchar is None or not getattr(token, "matched", True):
                continue
            if start <= token.startchar and token.endchar <= end:
                spans.append((token.startchar - start, token.endchar - start))
        return Snippet(
            text=text[start:end],
            matches=tuple(sorted(spans)),
            starts_text=not text[:start].strip(),
            ends_text=not text[end:].strip(),
        )


class EarlierFirstScorer(highlight.BasicFragmentScorer):
    """Whoosh's fragment score, ties going to the earlier fragment.

    Whoosh breaks ties between equally scored fragments by comparing their
    memory addresses, so one query showed other snippets from one process to
    the next. Scores are whole numbers: a fraction under one, larger the
    earlier the fragment starts, orders only the ties.
    """

    def __call__(self, fragment: highlight.Fragment) -> float:
        return float(super().__call__(fragment)) + 1 / (2 + fragment.startchar)


_SNIPPETS = highlight.Highlighter(
    fragmenter=highlight.ContextFragmenter(
        maxchars=SNIPPET_CHARS, surround=SNIPPET_CONTEXT, charlimit=None
    ),
    scorer=EarlierFirstScorer(),
    formatter=SpanFormatter(),
)


WHOLE = highlight.Highlighter(
    fragmenter=highlight.WholeFragmenter(charlimit=None), formatter=SpanFormatter()
)


def record_terms(found: Any, query: Query, searcher: Searcher) -> None:
    """Give Whoosh's results the terms that highlighting marks: the query's
    terms that the index holds, outside its NOT parts.

    Whoosh's ``terms=True`` records the matching terms of every article it
    scores, for the top ones to be highlighted; for a fuzzy word with 9,000
    matches that was a fifth of the search.
    """
    reader, schema = searcher.reader(), searcher.schema
    terms = set()
    # Not Whoosh's existing_terms(), whose loop overwrites its fieldname
    # argument and then skips every term of another field.
    for leaf in _positive(query).leaves():
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname in schema:
                try:
                    term = (fieldname, schema[fieldname].to_bytes(text))
                except ValueError:
                    continue
                if term in reader:
                    terms.add(term)
    highlight_terms(found, terms)


def _positive(query: Query) -> Query:
    if isinstance(query, AndNot):
        return _positive(query.a)
    if isinstance(query, Not):
        return NullQuery
    return query.apply(_positive)


def to_hit(hit: WhooshHit, rank: int, top: int) -> Hit:
    fields = hit.fields()
    has_body = bool(fields.get("body"))  # headline-only items index no body
    snippets = _distinct(_SNIPPETS.highlight_hit(hit, "body", top=top)) if has_body else []
    if not snippets and fields.get("body"):
        snippets = [_lede(fields["body"])]  # matched in the title only: show the lede
    title = WHOLE.highlight_hit(hit, "title", top=1)
    return Hit(
        rank=rank,
        id=fields["id"],
        title=fields.get("title", ""),
        title_matches=title[0].matches if title else (),
        score=float(hit.score or 0.0),
        snippets=tuple(snippets),
        date=fields.get("date"),
        source=fields.get("source"),
        path=fields.get("path"),
        authors=split_list(fields.get("authors")),
        url=fields.get("url"),
        tags=split_list(fields.get("tags")),
        language=fields.get("language"),
    )


def _distinct(snippets: list[Snippet]) -> list[Snippet]:
    """Drop fragments whose text another fragment already shows."""
    kept: list[Snippet] = []
    for snippet in snippets:
        text = snippet.text.casefold()
        if not any(text in other.text.casefold() for other in kept):
            kept.append(snippet)
    return kept


def _lede(body: str) -> Snippet:
    if len(body) <= LEDE_CHARS:
        return Snippet(text=body, starts_text=True, ends_text=True)
    cut = body[:LEDE_CHARS].rsplit(" ", 1)[0]
    return Snippet(text=cut, starts_text=True)
