"""A prepared request to a page of Results: every match found and scored
(archive.search.engine), a page of hits ranked one per story, and spelling
help. Snippets are archive.search.snippets'."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from whoosh.query import And

from archive.errors import QueryError
from archive.model import SORTS, Hit, Preview, Results
from archive.query import parse as query_language
from archive.query import spelling
from archive.search import snippets
from archive.search.anywords import refined, typed_weights
from archive.search.engine import Engine
from archive.search.plans import evaluate, word_groups
from archive.search.prepared import Prepared, options
from archive.whoosh_ext.columns import NO_DATE

# Top matches ranked per story on the page, before ranking every match.
RANKED_PER_STORY = 3
# Marks an article that is a story of its own (no cluster) apart from clusters.
_OWN_STORY = np.uint64(1 << 63)


Matched = tuple[np.ndarray, np.ndarray]  # the matches' numbers (ascending), their scores


def results(
    engine: Engine, prepared: Prepared, matched: Matched | None = None, suggestions: bool = True
) -> Results:
    """One page of ranked hits, each with highlighted snippets (of the
    request's ``matched``, found here if not given).

    Near-duplicate copies of a story are shown once, with the number of
    similar articles, unless the request asks for every copy. A page past
    the last has no hits. When a word looks like a typo, a corrected query
    is suggested with its hit count.
    """
    started = time.perf_counter()
    request = prepared.request
    page = _page(engine, prepared, matched if matched is not None else matches(engine, prepared))
    better = suggest(engine, prepared) if suggestions else None
    if better is not None and better[1] <= page.articles:
        better = None
    return Results(
        query=request.query,
        total=page.total,
        hits=page.hits,
        elapsed=time.perf_counter() - started,
        page=request.page,
        pagecount=page.pagecount,
        sort=request.sort,
        request=request,
        articles=page.articles,
        suggestion=better,
        variants=prepared.variants,
        parsed=str(prepared.query),
    )


def preview(engine: Engine, prepared: Prepared, top: int = 3) -> Preview:
    """The hit count and the top titles: exactly what Enter would show first."""
    first = results(engine, prepared.shown(page=1, limit=top, snippets=0), suggestions=False)
    titles = tuple(hit.title for hit in first.hits)
    return Preview(prepared.text, first.total, titles, first.elapsed)


def suggest(engine: Engine, prepared: Prepared) -> tuple[str, int] | None:
    """A corrected query (archive.query.spelling) and how many articles it finds."""
    articles = engine.searcher.doc_count()
    corrected = spelling.correct(prepared.text, articles, engine.lexicon(), prepared.variants)
    if corrected is None:
        return None
    try:
        query = query_language.parse(engine.searcher.schema, corrected, options(prepared.request))
        return corrected, len(evaluate(engine, query).docnums(engine.parts))
    except QueryError:  # a suggestion that could not be run is no suggestion
        return None


def matches(engine: Engine, prepared: Prepared) -> Matched:
    """Every live article the request matches (within its filters), by
    number as the searcher numbers them, ascending, and its score.

    Any-word queries are ranked as a bag of words: a word typed twice counts
    twice, plain words little, and the top articles' words refine the order
    (archive.search.anywords).
    """
    request, query, kept = prepared.request, prepared.query, prepared.kept
    weights = dict(prepared.weights)
    feedback_wanted = request.any_words and not request.by_date
    if feedback_wanted:
        weights = typed_weights(engine, weights)
    groups = word_groups(query, engine) if kept is None and not feedback_wanted else None
    if groups is not None:  # words alone: scored without arrays the size of the archive
        return engine.scored_words(groups, weights)
    matched = evaluate(engine, And([query, kept]) if kept is not None else query, weights)
    if feedback_wanted:
        matched = refined(engine, query, matched, weights)
    return matched.docnums(engine.parts), matched.score_array()


@dataclass(frozen=True)
class _Page:
    total: int  # stories (or articles, when every copy is shown)
    articles: int
    pagecount: int
    hits: tuple[Hit, ...]


def _page(engine: Engine, prepared: Prepared, matched: Matched) -> _Page:
    """The request's page of hits: one per story, or every copy.

    Every match is found and scored at once; the stories are counted over
    the cluster column, and only the articles shown are read and highlighted.
    """
    request = prepared.request
    docnums, scores = matched
    order = ranking(engine, docnums, scores, request.sort)
    stories, distinct, sizes = _stories(engine, docnums, request.all_copies)
    total = len(distinct)
    pagecount = max(1, math.ceil(total / request.limit))
    offset = (request.page - 1) * request.limit
    wanted = min(offset + request.limit, total)
    if offset >= total:  # nothing matches, or a page past the last
        return _Page(total, len(docnums), pagecount, ())
    heads = _heads(order(wanted * RANKED_PER_STORY), stories, wanted)
    if len(heads) < wanted:  # copies of a few stories fill the top: rank every match
        heads = _heads(order(len(docnums)), stories, wanted)
    shown = []
    for rank, at in enumerate(heads[offset:], start=offset + 1):
        similar = 0 if sizes is None else int(sizes[distinct.searchsorted(stories[at])]) - 1
        score = None if request.by_date else float(scores[at])
        fields = engine.searcher.stored_fields(int(docnums[at]))
        shown.append(snippets.hit(fields, rank, score, prepared.words, request.snippets, similar))
    return _Page(total, len(docnums), pagecount, tuple(shown))


def _stories(
    engine: Engine, docnums: np.ndarray, every_copy: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Each match's story, the distinct stories (sorted) and their sizes;
    with ``every_copy``, every article is a story of its own."""
    if every_copy:
        return docnums, docnums, None
    clusters = engine.column("cluster")[docnums]
    stories = np.where(clusters != 0, clusters, docnums.astype(np.uint64) | _OWN_STORY)
    distinct, sizes = np.unique(stories, return_counts=True)
    return stories, distinct, sizes


def ranking(
    engine: Engine, docnums: np.ndarray, scores: np.ndarray, sort: str
) -> Callable[[int], np.ndarray]:
    """For a number n, the positions of the first n matches in the sort order:
    by score, or date (undated last); ties in index order."""
    if sort == "relevance":
        key = -scores.astype(np.float64)
    elif sort in ("oldest", "newest"):
        dates = engine.column("date")[docnums]
        key = dates.astype(np.int64) if sort == "oldest" else -dates.astype(np.int64)
        key[dates == np.uint64(NO_DATE)] = np.iinfo(np.int64).max
    else:
        raise QueryError(f"unknown sort order {sort!r}", hint=f"use one of: {', '.join(SORTS)}")

    def first(n: int) -> np.ndarray:
        if n < len(key) // 4:  # a partial sort, then the few in order
            some = np.argpartition(key, n)[: n + 1]
            edge = np.max(key[some])
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
