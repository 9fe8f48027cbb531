"""Turn a query string into ranked hits with highlight spans.

Parsing, scoring, paging and highlighting are Whoosh's own; this module only
chooses them and turns Whoosh's fragments into ``Snippet`` values carrying
character spans, so that no caller ever re-matches query words itself.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

from whoosh import highlight, sorting
from whoosh.analysis import STOP_WORDS
from whoosh.query import AndNot, DateRange, Not, NullQuery, Query, Term
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Searcher
from whoosh.support.charset import accent_map

from archive.errors import QueryError
from archive.index.documents import split_list
from archive.index.schema import VOCABULARY_FIELDS
from archive.index.store import Store
from archive.model import SORTS, Highlighted, Hit, Preview, Results, SearchRequest, Snippet
from archive.query import parse as query_language
from archive.query import tokens
from archive.whoosh_ext import postings as docsets
from archive.whoosh_ext.columns import Column
from archive.whoosh_ext.results import highlight_terms

SNIPPET_CHARS = 220  # longest fragment shown for a hit
SNIPPET_CONTEXT = 70  # characters of context on each side of a match
LEDE_CHARS = 200  # shown for hits that match only in the title
# Top matches ranked per story on the page, before resorting to a full collapse.
RANKED_PER_STORY = 3
# Whoosh's column value for an article without a date.
_NO_DATE = 2**64 - 1


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
_WHOLE = highlight.Highlighter(
    fragmenter=highlight.WholeFragmenter(charlimit=None), formatter=SpanFormatter()
)


def parse(store: Store, text: str, options: query_language.Options | None = None) -> Query:
    """The query for ``text`` in the archive's query language (see archive.query.parse)."""
    return query_language.parse(store.ix.schema, text, options or query_language.Options())


def prepare(
    store: Store, text: str, searcher: Searcher, options: query_language.Options
) -> tuple[Query, dict[str, list[str]]]:
    """The query for ``text`` with spelling variants added (unless exact),
    and which variants were added for which words."""
    query = parse(store, text, options)
    query_language.check_cost(query, searcher.reader())
    if options.exact:
        return query, {}
    from archive.query import variants

    words = [token.text for token in tokens.words(text)]
    reader = searcher.reader()
    token = (str(store.path), reader.generation())  # this version of this index
    expanded, expansion = variants.expand(
        query, words, reader, store.ix.schema["body"].analyzer, token
    )
    return expanded, expansion.added


def date_filter(since: str | None, until: str | None) -> Query | None:
    """Articles dated from the start of ``since`` to the end of ``until`` (both kept)."""
    if not (since or until):
        return None
    start = query_language.span(since)[0] if since else None
    end = query_language.span(until)[1] if until else None
    if start and end and start > end:
        raise QueryError(f"--since {since!r} is after --until {until!r}")
    return DateRange("date", start, end)


# A word the index holds is taken for a typo only when a word one edit away
# (same first letter) is this many times as common: "goverment" (8 articles of
# Reuters) beside "government" (over 2,000), never "busch" beside "bush".
MUCH_MORE_FREQUENT = 50
MIN_WORD = 3  # shorter words are never corrected


def suggest(
    store: Store,
    text: str,
    searcher: Searcher,
    options: query_language.Options,
    variants: dict[str, list[str]] | None = None,
) -> tuple[str, int] | None:
    """A corrected query and its hit count, when a word looks like a typo.

    A word the index lacks is replaced by the nearest word it holds (at most
    two edits, fewer edits first, then the more common); a word it holds
    rarely, by a word one edit away that is far more common (a typo some
    articles share). Words whose spelling variants matched, operators, common
    words and short words are never replaced, so a suggestion holds only
    words the index has.
    """
    from rapidfuzz.distance import OSA

    reader = searcher.reader()
    variants = variants or {}
    # Only a word in fewer than 1/50 of the articles can have a neighbour 50 times as common.
    rare = reader.doc_count() / MUCH_MORE_FREQUENT
    changed = False

    def frequency(word: str) -> int:
        return max(reader.doc_frequency(field, word) for field in VOCABULARY_FIELDS)

    def fix(word: str) -> str:
        nonlocal changed
        folded = word.lower()
        if folded in STOP_WORDS or folded in variants or len(folded) < MIN_WORD:
            return word
        own = frequency(folded)
        if own > rare:
            return word
        best: tuple[int, int, str] | None = None
        for field in VOCABULARY_FIELDS:
            for raw in reader.terms_within(field, folded, 2, prefix=1):
                found = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
                distance = OSA.distance(folded, found)
                if found == folded or (own and distance > 1) or len(found) < MIN_WORD:
                    continue
                common = frequency(found)
                if common < max(1, MUCH_MORE_FREQUENT * own) or found in STOP_WORDS:
                    continue
                if best is None or (distance, -common) < best[:2]:
                    best = (distance, -common, found)
        if best is None:
            return word
        changed = True
        return best[2]

    corrected, done = [], 0
    for token in tokens.words(text):  # each word replaced where it stands
        corrected += [text[done : token.start], fix(token.text)]
        done = token.end
    corrected.append(text[done:])
    if not changed:
        return None
    corrected_text = "".join(corrected)
    try:
        query = parse(store, corrected_text, options)
    except QueryError:
        return None
    return corrected_text, count(searcher, query)


def count(searcher: Searcher, query: Query, only: Query | None = None) -> int:
    """Exactly how many articles match.

    Not len() of a top-N search: Whoosh skips blocks of matches that cannot
    reach the top N, and its count then covers only the ones it visited (35
    of 90 for "opec date:1987-03" on Reuters).
    """
    return len(docsets.matching(searcher, query, only))


def sort_facet(sort: str) -> sorting.FacetType | None:
    """Whoosh's sort order for a sort name; undated articles always come last."""
    if sort == "relevance":
        return None
    date = sorting.FieldFacet("date")
    if sort == "oldest":
        return date  # the missing-date value is the largest, so they sort last
    if sort == "newest":
        return sorting.TranslateFacet(lambda key: math.inf if key == _NO_DATE else -key, date)
    raise QueryError(f"unknown sort order {sort!r}", hint=f"use one of: {', '.join(SORTS)}")


@contextmanager
def _searching(store: Store, searcher: Searcher | None) -> Iterator[Searcher]:
    """The caller's searcher if it passed one (a shell keeps one open), else a new one."""
    with nullcontext(searcher) if searcher is not None else store.searcher() as active:
        yield active


def as_request(request: SearchRequest | str, **changes: Any) -> SearchRequest:
    """A request from a request or a query text, with any fields changed."""
    if isinstance(request, str):
        request = SearchRequest(request)
    return replace(request, **changes) if changes else request


def options_of(request: SearchRequest) -> query_language.Options:
    return query_language.Options(any_words=request.any_words, exact=request.exact)


def search(
    store: Store,
    request: SearchRequest | str,
    *,
    searcher: Searcher | None = None,
    **changes: Any,
) -> Results:
    """One page of ranked hits for a request, each with highlighted snippets.

    ``request`` is a SearchRequest, or the query text with any request fields
    as keywords. Near-duplicate copies of a story are shown once, with the
    number of similar articles, unless the request asks for every copy. A
    page past the last has no hits. When a word looks like a typo, a
    corrected query is suggested with its hit count.
    """
    with _searching(store, searcher) as active:
        return _results(store, as_request(request, **changes), active, suggestions=True)


def _results(
    store: Store, request: SearchRequest, searcher: Searcher, suggestions: bool
) -> Results:
    started = time.perf_counter()
    options = options_of(request)
    query, added = prepare(store, request.query, searcher, options)
    found = _page(searcher, query, request, sort_facet(request.sort), request_dates(request))
    better = suggest(store, request.query, searcher, options, added) if suggestions else None
    if better is not None and better[1] <= found.articles:
        better = None
    return Results(
        query=request.query,
        total=found.total,
        hits=found.hits,
        elapsed=time.perf_counter() - started,
        page=request.page,
        pagecount=found.pagecount,
        sort=request.sort,
        request=request,
        articles=found.articles,
        suggestion=better,
        variants=added,
        parsed=str(query),
    )


def request_dates(request: SearchRequest) -> Query | None:
    return date_filter(request.since, request.until)


@dataclass(frozen=True)
class _Found:
    total: int  # stories (or articles, when every copy is shown)
    articles: int
    pagecount: int
    hits: tuple[Hit, ...]


def _page(
    searcher: Searcher, query: Query, request: SearchRequest, order: Any, dates: Query | None
) -> _Found:
    """The request's page of hits: one per story, or every copy."""
    every = docsets.matching(searcher, query, dates)
    if request.all_copies:
        per_story: Counter[Any] | None = None
        total = len(every)
    else:
        clusters = Column(searcher.reader(), "cluster")
        per_story = Counter(clusters[docnum] or docnum for docnum in every)
        total = len(per_story)
    pagecount = max(1, math.ceil(total / request.limit))
    offset = (request.page - 1) * request.limit
    wanted = min(offset + request.limit, total)
    if offset >= total:  # nothing matches, or a page past the last
        return _Found(total, len(every), pagecount, ())
    if per_story is None:
        ranked = searcher.search(query, limit=wanted, sortedby=order, filter=dates)
        _record_terms(ranked, query, searcher)
        heads = [ranked[i] for i in range(min(wanted, ranked.scored_length()))]
    else:
        heads = _story_heads(searcher, query, wanted, order, dates)
    hits = []
    for rank, hit in enumerate(heads[offset:], start=offset + 1):
        similar = 0
        if per_story is not None:
            similar = per_story[clusters[hit.docnum] or hit.docnum] - 1
        score = None if request.by_date else float(hit.score or 0.0)
        hits.append(replace(_to_hit(hit, rank, request.snippets), score=score, similar=similar))
    return _Found(total, len(every), pagecount, tuple(hits))


def _story_heads(
    searcher: Searcher, query: Query, wanted: int, order: Any, dates: Query | None
) -> list[WhooshHit]:
    """The first-ranked article of each of the top ``wanted`` stories.

    They are looked for among the top-ranked matches; only when near-duplicate
    copies fill those does Whoosh's collapse rank every match.
    """
    clusters = Column(searcher.reader(), "cluster")
    ranked = searcher.search(query, limit=wanted * RANKED_PER_STORY, sortedby=order, filter=dates)
    _record_terms(ranked, query, searcher)
    heads = _first_of_each_story(ranked, clusters, wanted)
    if len(heads) < wanted:
        collapsed = searcher.search(
            query,
            limit=wanted,
            sortedby=order,
            collapse=sorting.FieldFacet("cluster"),
            collapse_limit=1,
            filter=dates,
        )
        _record_terms(collapsed, query, searcher)
        heads = [collapsed[i] for i in range(min(wanted, collapsed.scored_length()))]
    return heads


def _record_terms(found: Any, query: Query, searcher: Searcher) -> None:
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


def _first_of_each_story(ranked: Any, clusters: Any, wanted: int) -> list[WhooshHit]:
    """The first-ranked hit of each story, in rank order, up to ``wanted``."""
    seen: set[Any] = set()
    heads = []
    for i in range(ranked.scored_length()):
        hit = ranked[i]
        story = clusters[hit.docnum] or hit.docnum
        if story not in seen:
            seen.add(story)
            heads.append(hit)
            if len(heads) == wanted:
                break
    return heads


def preview(
    store: Store, request: SearchRequest | str, searcher: Searcher, top: int = 3
) -> Preview:
    """The hit count and the top titles: exactly what Enter would show first."""
    request = as_request(request, page=1, limit=top, snippets=0)
    found = _results(store, request, searcher, suggestions=False)
    titles = tuple(hit.title for hit in found.hits)
    return Preview(request.query, found.total, titles, found.elapsed)


def similar(
    store: Store,
    article_id: str,
    *,
    pagelen: int = 10,
    snippets: int = 3,
    searcher: Searcher | None = None,
) -> Results:
    """Articles like the given one (Whoosh's more-like-this over the body)."""
    started = time.perf_counter()
    article = store.get(article_id)
    with _searching(store, searcher) as active:
        docnum = active.document_number(id=article.id)
        terms = active.key_terms([docnum], "body", numterms=12)
        found = active.more_like(docnum, "body", text=article.body, top=pagelen, numterms=12)
        hits = tuple(_to_hit(hit, i + 1, snippets) for i, hit in enumerate(found))
    return Results(
        query=f"like:{article.id}",
        total=len(hits),
        hits=hits,
        elapsed=time.perf_counter() - started,
        like=article,
        key_terms=surface_forms(store, article.body, [term for term, _ in terms]),
    )


def surface_forms(store: Store, text: str, stems: list[str]) -> tuple[str, ...]:
    """Each stem as the word first written in ``text`` ("negoti" -> "negotiations")."""
    analyzer = store.ix.schema["body"].analyzer
    seen: dict[str, str] = {}
    for token in analyzer(text, chars=True, mode="index", removestops=False):
        if token.text in stems and token.text not in seen:
            seen[token.text] = text[token.startchar : token.endchar]
    return tuple(seen.get(stem, stem) for stem in stems)


def completions(
    store: Store, prefix: str, limit: int = 20, searcher: Searcher | None = None
) -> list[str]:
    """Words in the index that start with ``prefix``, most frequent first."""
    return [word for word, _ in counted_completions(store, prefix, limit, searcher)]


def counted_completions(
    store: Store, prefix: str, limit: int = 20, searcher: Searcher | None = None
) -> list[tuple[str, int]]:
    """Words in the index that start with ``prefix``, most frequent first, each
    with the number of articles that hold it (common words, never searched, aside)."""
    folded = prefix.lower().translate(accent_map)
    if not folded:
        return []
    counts: dict[str, float] = {}
    with _searching(store, searcher) as active:
        reader = active.reader()
        for field in VOCABULARY_FIELDS:
            for weight, term in reader.most_frequent_terms(field, limit + 20, folded):
                word = term.decode("utf-8") if isinstance(term, bytes) else term
                if word not in STOP_WORDS:
                    counts[word] = counts.get(word, 0.0) + weight
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [
            (word, max(reader.doc_frequency(field, word) for field in VOCABULARY_FIELDS))
            for word, _ in ranked
        ]


def _to_hit(hit: WhooshHit, rank: int, top: int) -> Hit:
    fields = hit.fields()
    has_body = bool(fields.get("body"))  # headline-only items index no body
    snippets = _distinct(_SNIPPETS.highlight_hit(hit, "body", top=top)) if has_body else []
    if not snippets and fields.get("body"):
        snippets = [_lede(fields["body"])]  # matched in the title only: show the lede
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


def highlight_article(
    store: Store, article_id: str, request: SearchRequest | str | None = None
) -> Highlighted:
    """An article in full; with a query, every span of it that matches."""
    article = store.get(article_id)
    if request is None or not as_request(request).query:
        return Highlighted(article)
    request = as_request(request)
    with store.searcher() as searcher:
        query, _ = prepare(store, request.query, searcher, options_of(request))
        found = searcher.search(query, filter=Term("id", article.id), limit=1, terms=True)
        if found.is_empty():
            return Highlighted(article)
        hit: Any = found[0]
        title = _WHOLE.highlight_hit(hit, "title", top=1)
        body = _WHOLE.highlight_hit(hit, "body", top=1) if hit.get("body") else []
    return Highlighted(
        article,
        title_matches=title[0].matches if title else (),
        body_matches=body[0].matches if body else (),
    )
