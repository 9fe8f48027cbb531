"""Turn a query string into ranked hits with highlight spans.

Parsing, scoring, paging and highlighting are Whoosh's own; this module only
chooses them and turns Whoosh's fragments into ``Snippet`` values carrying
character spans, so that no caller ever re-matches query words itself.
"""

from __future__ import annotations

import time
from typing import Any

from whoosh import highlight, qparser
from whoosh.query import NullQuery, Query, Term
from whoosh.searching import Hit as WhooshHit

from archive.errors import QueryError
from archive.model import Highlighted, Hit, Results, Snippet
from archive.schema import DEFAULT_FIELDS, FIELD_BOOSTS
from archive.store import Store

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


_SNIPPETS = highlight.Highlighter(
    fragmenter=highlight.ContextFragmenter(
        maxchars=SNIPPET_CHARS, surround=SNIPPET_CONTEXT, charlimit=None
    ),
    formatter=SpanFormatter(),
)
_WHOLE = highlight.Highlighter(
    fragmenter=highlight.WholeFragmenter(charlimit=None), formatter=SpanFormatter()
)


def parser(store: Store) -> qparser.QueryParser:
    """Whoosh's query language over title and body; all words must match."""
    return qparser.MultifieldParser(
        list(DEFAULT_FIELDS), store.ix.schema, fieldboosts=FIELD_BOOSTS, group=qparser.AndGroup
    )


def parse(store: Store, text: str) -> Query:
    if not text.strip():
        raise QueryError("the query is empty", hint="type some words to search for")
    try:
        query = parser(store).parse(text)
    except Exception as err:  # Whoosh's parser raises several kinds on odd input
        raise QueryError(f"cannot parse the query {text!r}: {err}") from err
    if query is NullQuery or isinstance(query, type(NullQuery)):
        raise QueryError(
            f"the query {text!r} has no words to search for",
            hint="common words such as 'the' and lone operators are not searched",
        )
    return query


def search(
    store: Store, text: str, *, page: int = 1, pagelen: int = 10, snippets: int = 3
) -> Results:
    """One page of ranked hits for ``text``, each with highlighted snippets."""
    started = time.perf_counter()
    query = parse(store, text)
    with store.searcher() as searcher:
        found = searcher.search_page(query, max(page, 1), pagelen=pagelen, terms=True)
        offset = found.offset
        hits = tuple(_to_hit(hit, offset + i + 1, snippets) for i, hit in enumerate(found))
        total, pagecount, pagenum = found.total, found.pagecount, found.pagenum
    return Results(
        query=text,
        total=total,
        hits=hits,
        elapsed=time.perf_counter() - started,
        page=pagenum,
        pagecount=pagecount,
    )


def _to_hit(hit: WhooshHit, rank: int, top: int) -> Hit:
    fields = hit.fields()
    snippets = _distinct(_SNIPPETS.highlight_hit(hit, "body", top=top))
    if not snippets:
        snippets = [_lede(fields.get("body", ""))]
    title = _WHOLE.highlight_hit(hit, "title", top=1)
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


def highlight_article(store: Store, article_id: str, text: str | None = None) -> Highlighted:
    """An article in full; with a query, every span of it that matches."""
    article = store.get(article_id)
    if not text:
        return Highlighted(article)
    query = parse(store, text)
    with store.searcher() as searcher:
        found = searcher.search(query, filter=Term("id", article.id), limit=1, terms=True)
        if found.is_empty():
            return Highlighted(article)
        hit: Any = found[0]
        title = _WHOLE.highlight_hit(hit, "title", top=1)
        body = _WHOLE.highlight_hit(hit, "body", top=1)
    return Highlighted(
        article,
        title_matches=title[0].matches if title else (),
        body_matches=body[0].matches if body else (),
    )
