"""A SearchRequest to Results: the query prepared (variants added, cost
bounded), every match found and scored (archive.search.engine), a page of
hits ranked one per story, and spelling help. Snippets are
archive.search.snippets'."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from whoosh.query import And, DateRange, Query, Term
from whoosh.searching import Searcher

from archive.errors import QueryError
from archive.index.analysis import terms
from archive.index.store import Store
from archive.model import SORTS, Hit, Preview, Results, SearchRequest
from archive.query import parse as query_language
from archive.query import spelling, tokens
from archive.query.dates import span
from archive.search import snippets
from archive.search.engine import Engine, engine_for
from archive.search.feedback import feedback
from archive.search.plans import word_groups
from archive.search.snippets import query_words
from archive.whoosh_ext import postings as docsets

# Top matches ranked per story on the page, before ranking every match.
RANKED_PER_STORY = 3
# Whoosh's column value for an article without a date.
_NO_DATE = 2**64 - 1


def parse(
    store: Store,
    text: str,
    options: query_language.Options | None = None,
    searcher: Searcher | None = None,
) -> Query:
    """The query for ``text`` in the archive's query language (see archive.query.parse)."""
    schema = (
        searcher.schema if searcher is not None else store.ix.schema
    )  # the index's reads its TOC
    return query_language.parse(schema, text, options or query_language.Options())


def prepare(
    store: Store, text: str, searcher: Searcher, options: query_language.Options
) -> tuple[Query, dict[str, list[str]]]:
    """The query for ``text`` with spelling variants added (unless exact),
    and which variants were added for which words."""
    query = parse(store, text, options, searcher)
    query_language.check_cost(query, searcher.reader())
    if options.exact:
        return query, {}
    from archive.query import variants

    words = [token.text for token in tokens.words(text)]
    reader = searcher.reader()
    token = (str(store.path), reader.generation())  # this version of this index
    expanded, expansion = variants.expand(
        query, words, reader, searcher.schema["body"].analyzer, token
    )
    return expanded, expansion.added


def date_filter(since: str | None, until: str | None) -> Query | None:
    """Articles dated from the start of ``since`` to the end of ``until`` (both kept)."""
    if not (since or until):
        return None
    start = span(since)[0] if since else None
    end = span(until)[1] if until else None
    if start and end and start > end:
        raise QueryError(f"--since {since!r} is after --until {until!r}")
    return DateRange("date", start, end)


def count(searcher: Searcher, query: Query, only: Query | None = None) -> int:
    """Exactly how many articles match.

    Not len() of a top-N search: Whoosh skips blocks of matches that cannot
    reach the top N, and its count then covers only the ones it visited (35
    of 90 for "opec date:1987-03" on Reuters).
    """
    return len(docsets.matching(searcher, query, only))


@contextmanager
def searching(store: Store, searcher: Searcher | None) -> Iterator[Searcher]:
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


def suggest(
    store: Store,
    text: str,
    searcher: Searcher,
    options: query_language.Options,
    variants: dict[str, list[str]] | None = None,
) -> tuple[str, int] | None:
    """A corrected query (archive.query.spelling) and how many articles it finds."""
    engine = engine_for(store.path, searcher)
    lexicon = engine.lexicon() or spelling.WhooshLexicon(searcher.reader())
    corrected = spelling.correct(text, searcher.reader(), variants, lexicon)
    if corrected is None:
        return None
    try:
        query = parse(store, corrected, options, searcher)
    except QueryError:
        return None
    return corrected, count(searcher, query)


def completions(
    store: Store, prefix: str, limit: int = 20, searcher: Searcher | None = None
) -> list[str]:
    """Words in the index that start with ``prefix``, most frequent first."""
    return [word for word, _ in counted_completions(store, prefix, limit, searcher)]


def counted_completions(
    store: Store, prefix: str, limit: int = 20, searcher: Searcher | None = None
) -> list[tuple[str, int]]:
    """The same, each with the number of articles that hold it."""
    with searching(store, searcher) as active:
        return spelling.completions(active.reader(), prefix, limit)


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
    with searching(store, searcher) as active:
        return _results(store, as_request(request, **changes), active, suggestions=True)


def _results(
    store: Store, request: SearchRequest, searcher: Searcher, suggestions: bool
) -> Results:
    started = time.perf_counter()
    options = options_of(request)
    query, added = prepare(store, request.query, searcher, options)
    found = _page(store, searcher, query, request, request_filter(request))
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


def request_filter(request: SearchRequest) -> Query | None:
    """What the request's filters keep: its dates and its source."""
    kept = [q for q in (date_filter(request.since, request.until), source_filter(request.source))]
    found = [q for q in kept if q is not None]
    return None if not found else found[0] if len(found) == 1 else And(found)


def source_filter(source: str | None) -> Query | None:
    """Articles from a source named by its words ("reuters" finds "Reuters")."""
    if source is None:
        return None
    from archive.index.schema import name_analyzer

    words = [token.text for token in name_analyzer()(source)]
    if not words:
        raise QueryError(f"no source is named {source!r}", hint="name it by a word: reuters")
    return (
        And([Term("outlet", word) for word in words])
        if len(words) > 1
        else Term("outlet", words[0])
    )


@dataclass(frozen=True)
class _Found:
    total: int  # stories (or articles, when every copy is shown)
    articles: int
    pagecount: int
    hits: tuple[Hit, ...]


def _page(
    store: Store, searcher: Searcher, query: Query, request: SearchRequest, dates: Query | None
) -> _Found:
    """The request's page of hits: one per story, or every copy.

    Every match is found and scored at once (archive.search.engine); the
    stories are counted over the cluster column, and only the articles shown
    are read and highlighted.
    """
    engine, docnums, scores = matches(store, searcher, query, request, dates)
    order = _ranking(engine, docnums, scores, request.sort)
    if request.all_copies:  # every article a story of its own
        stories = distinct = docnums
        sizes = None
    else:
        clusters = engine.column("cluster")[docnums]
        stories = np.where(clusters != 0, clusters, docnums.astype(np.uint64) | _OWN_STORY)
        distinct, sizes = np.unique(stories, return_counts=True)  # sorted
    total = len(distinct)
    pagecount = max(1, math.ceil(total / request.limit))
    offset = (request.page - 1) * request.limit
    wanted = min(offset + request.limit, total)
    if offset >= total:  # nothing matches, or a page past the last
        return _Found(total, len(docnums), pagecount, ())
    heads = _heads(order(wanted * RANKED_PER_STORY), stories, wanted)
    if len(heads) < wanted:  # copies of a few stories fill the top: rank every match
        heads = _heads(order(len(docnums)), stories, wanted)
    words = query_words(query, searcher.reader())
    hits = []
    for rank, at in enumerate(heads[offset:], start=offset + 1):
        similar = 0 if sizes is None else int(sizes[distinct.searchsorted(stories[at])]) - 1
        score = None if request.by_date else float(scores[at])
        fields = searcher.stored_fields(int(docnums[at]))
        hits.append(snippets.hit(fields, rank, score, words, request.snippets, similar))
    return _Found(total, len(docnums), pagecount, tuple(hits))


def matches(
    store: Store, searcher: Searcher, query: Query, request: SearchRequest, dates: Query | None
) -> tuple[Engine, np.ndarray, np.ndarray]:
    """Every article the query matches (within the dates) and its score.

    Any-word queries are ranked as a bag of words: a word typed twice counts
    twice, and the top articles' words refine the order (archive.search.feedback).
    """
    engine = engine_for(store.path, searcher)
    typed = Counter(terms(request.query)) if request.any_words else Counter()
    weights = {word: float(count) for word, count in typed.items()}
    feedback_wanted = request.any_words and not request.by_date
    groups = word_groups(query, engine) if dates is None and not feedback_wanted else None
    if groups is not None:  # words alone: scored without arrays the size of the archive
        docnums, scores = engine.scored_words(groups, weights)
        return engine, docnums, scores
    found = engine.evaluate(And([query, dates]) if dates is not None else query, weights)
    if feedback_wanted:
        found = feedback(engine, query, found, weights)
    return engine, found.docnums(engine.parts), found.score_array()


# Marks an article that is a story of its own (no cluster) apart from clusters.
_OWN_STORY = np.uint64(1 << 63)


def _ranking(
    engine: Engine, docnums: np.ndarray, scores: np.ndarray, sort: str
) -> Callable[[int], np.ndarray]:
    """For a number n, the positions of the first n matches in the sort order:
    by score, or date (undated last); ties in index order."""
    if sort == "relevance":
        key = -scores.astype(np.float64)
    elif sort in ("oldest", "newest"):
        dates = engine.column("date")[docnums]
        key = dates.astype(np.int64) if sort == "oldest" else -dates.astype(np.int64)
        key[dates == np.uint64(_NO_DATE)] = np.iinfo(np.int64).max
    else:
        raise QueryError(f"unknown sort order {sort!r}", hint=f"use one of: {', '.join(SORTS)}")

    def first(n: int) -> np.ndarray:
        if n < len(key) // 4:  # a partial sort, then the few in order
            some = np.argpartition(key, n)[: n + 1]
            edge = key[some].max()
            some = np.flatnonzero(key <= edge)  # every tie at the edge, so ties stay in order
            return some[np.lexsort((docnums[some], key[some]))][:n]
        return np.lexsort((docnums, key))[:n]

    return first


def _heads(ranked: np.ndarray, stories: np.ndarray, wanted: int) -> list[int]:
    """The first-ranked match of each story, in rank order, up to ``wanted``."""
    seen: set[int] = set()
    heads = []
    for at in ranked:
        story = int(stories[at])
        if story not in seen:
            seen.add(story)
            heads.append(int(at))
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
