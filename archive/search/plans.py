"""Query plans: a Whoosh query compiled into operations on the engine's arrays.

Each plan takes the engine and the words' weights and gives Matches. OR and
AND of text words are one BM25F sum; AND, OR and NOT of anything else
combine masks; a phrase checks positions only for the articles holding all
its words; a date range compares a column; what the arrays do not hold is
matched by Whoosh and used as a filter, unscored.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from functools import reduce
from typing import Any

import numpy as np
from whoosh.query import (
    And,
    AndMaybe,
    AndNot,
    DateRange,
    DisjunctionMax,
    Every,
    MultiTerm,
    Not,
    NullQuery,
    Or,
    Phrase,
    Query,
    Term,
)

from archive.index.derived import TEXT_FIELDS
from archive.query import exact
from archive.search.engine import Engine, Matches
from archive.whoosh_ext.columns import NO_DATE
from archive.whoosh_ext.postings import matching
from archive.whoosh_ext.terms import pattern_words

Plan = Callable[[Engine, dict[str, float]], Matches]
SHIFT = 32  # a position's key is the article number << SHIFT | the position


def evaluate(engine: Engine, query: Query, weights: dict[str, float] | None = None) -> Matches:
    """The live articles ``query`` matches and their scores; ``weights`` weighs
    words (by term text) beyond their boosts, as feedback does."""
    matched = compile_query(query, engine)(engine, weights or {})
    return Matches(
        [mask & part.live for mask, part in zip(matched.masks, engine.parts, strict=True)],
        matched.scores,
    )


def from_docnums(engine: Engine, docnums: Iterable[int]) -> Matches:
    """A filter from article numbers (as the searcher numbers them)."""
    kept = engine.nothing()
    ordered = np.fromiter(docnums, dtype=np.int64)
    for mask, part in zip(kept.masks, engine.parts, strict=True):
        inside = ordered[(ordered >= part.base) & (ordered < part.base + part.size)]
        mask[inside - part.base] = True
    return kept


def dates(
    engine: Engine, start: int | None, end: int | None, start_excl: bool, end_excl: bool
) -> Matches:
    """The articles dated within the bounds (Whoosh's numbers of datetimes)."""
    dated = engine.nothing()
    for mask, part in zip(dated.masks, engine.parts, strict=True):
        column = part.arrays["date"]
        keep = column != np.uint64(NO_DATE)
        if start is not None:
            keep &= (column > np.uint64(start)) if start_excl else (column >= np.uint64(start))
        if end is not None:
            keep &= (column < np.uint64(end)) if end_excl else (column <= np.uint64(end))
        mask |= keep
    return dated


def compile_query(query: Query, engine: Engine) -> Plan:
    """A plan for ``query``."""
    if query is NullQuery or isinstance(query, type(NullQuery)):
        return lambda e, w: e.nothing()
    if isinstance(query, Every):
        return lambda e, w: e.everything()
    words = text_words(query, engine)
    if words is not None:
        return lambda e, w: e.words(words, w)
    if isinstance(query, Or | DisjunctionMax) and getattr(query, "minmatch", 0) <= 1:
        return _any([compile_query(child, engine) for child in _merged(query.subqueries, engine)])
    if isinstance(query, And):
        checks = [q for q in query.subqueries if isinstance(q, exact.WrittenAs)]
        rest = [q for q in query.subqueries if not isinstance(q, exact.WrittenAs)]
        wanted = [compile_query(q, engine) for q in rest if not isinstance(q, Not)]
        unwanted = [compile_query(q.query, engine) for q in rest if isinstance(q, Not)]
        plan = _all(wanted) if wanted else (lambda e, w: e.everything())
        plan = _without(plan, _any(unwanted)) if unwanted else plan
        return _written(plan, checks) if checks else plan
    if isinstance(query, AndNot):
        return _without(compile_query(query.a, engine), compile_query(query.b, engine))
    if isinstance(query, Not):
        return _without(lambda e, w: e.everything(), compile_query(query.query, engine))
    if isinstance(query, AndMaybe):
        return _maybe(compile_query(query.a, engine), compile_query(query.b, engine))
    if isinstance(query, DateRange):
        bounds = (query.start, query.end, query.startexcl, query.endexcl)
        return lambda e, w: dates(e, *bounds)
    if isinstance(query, Phrase) and query.fieldname in TEXT_FIELDS:
        return _phrase(query, engine)
    return _filter(query)  # what the arrays do not hold: Whoosh matches it, unscored


def text_words(query: Query, engine: Engine) -> dict[str, dict[str, float]] | None:
    """The words of a query made only of title and body terms, ORed (with each
    word's boost per field), or None."""
    leaves = _disjunction_leaves(query)
    if leaves is None:
        return None
    words: dict[str, dict[str, float]] = {}
    for leaf in leaves:
        if leaf.fieldname not in TEXT_FIELDS:
            return None
        texts = (
            [leaf.text]
            if isinstance(leaf, Term)
            else [_text(t) for t in pattern_words(leaf, engine.searcher.reader())]
        )
        for text in texts:
            fields = words.setdefault(_text(text), {})
            fields[leaf.fieldname] = max(fields.get(leaf.fieldname, 0.0), leaf.boost)
    return words


def word_groups(query: Query, engine: Engine) -> list[dict[str, dict[str, float]]] | None:
    """The words of a query of title and body words only, as groups that
    are ANDed (the words of each ORed), or None for any other query."""
    words = text_words(query, engine)
    if words is not None:
        return [words]
    if not isinstance(query, And) or not query.subqueries:
        return None
    groups = []
    for child in query.subqueries:
        words = text_words(child, engine)
        if words is None:
            return None
        groups.append(words)
    return groups


def _disjunction_leaves(query: Query) -> list[Any] | None:
    """The terms (and word patterns) of a tree of ORs, or None if it holds anything else."""
    if isinstance(query, Term) or (
        isinstance(query, MultiTerm) and not isinstance(query, Every | DateRange)
    ):
        return [query]
    if isinstance(query, Or | DisjunctionMax) and getattr(query, "minmatch", 0) <= 1:
        every: list[Any] = []
        for child in query.subqueries:
            leaves = _disjunction_leaves(child)
            if leaves is None:
                return None
            every += leaves
        return every
    return None


def _merged(queries: list[Query], engine: Engine) -> list[Query]:
    """The children of an OR, its text terms gathered into one OR (one BM25F sum)."""
    words = [q for q in queries if text_words(q, engine) is not None]
    rest = [q for q in queries if text_words(q, engine) is None]
    return ([Or(words)] if words else []) + rest


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _any(plans: list[Plan]) -> Plan:
    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        each = [plan(engine, weights) for plan in plans]
        if not each:
            return engine.nothing()
        masks = [reduce(operator.or_, [f.masks[i] for f in each]) for i in range(len(engine.parts))]
        scores = [np.sum([f.scores[i] for f in each], axis=0) for i in range(len(engine.parts))]
        return Matches(masks, scores)

    return run


def _all(plans: list[Plan]) -> Plan:
    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        each = [plan(engine, weights) for plan in plans]
        masks = [
            reduce(operator.and_, [f.masks[i] for f in each]) for i in range(len(engine.parts))
        ]
        scores = [
            np.where(masks[i], np.sum([f.scores[i] for f in each], axis=0), 0).astype(np.float32)
            for i in range(len(engine.parts))
        ]
        return Matches(masks, scores)

    return run


def _without(kept: Plan, dropped: Plan) -> Plan:
    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        staying, gone = kept(engine, weights), dropped(engine, weights)
        masks = [mask & ~out for mask, out in zip(staying.masks, gone.masks, strict=True)]
        return Matches(masks, staying.scores)

    return run


def _maybe(required: Plan, optional: Plan) -> Plan:
    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        needed, extra = required(engine, weights), optional(engine, weights)
        scores = [
            s + np.where(m, e, 0)
            for s, m, e in zip(needed.scores, extra.masks, extra.scores, strict=True)
        ]
        return Matches(needed.masks, [s.astype(np.float32) for s in scores])

    return run


def _written(plan: Plan, checks: list[exact.WrittenAs]) -> Plan:
    """Of what ``plan`` matches, the articles holding each exact word as
    written (archive.query.exact), from the segments' arrays."""

    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        found = plan(engine, weights)
        for check in checks:
            for mask, part in zip(found.masks, engine.parts, strict=True):
                held = np.zeros(part.size, dtype=bool)
                held[np.fromiter(check.holding(part.reader), dtype=np.int64)] = True
                mask &= held
        return found

    return run


def _filter(query: Query) -> Plan:
    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        return from_docnums(engine, matching(engine.searcher, query))

    return run


def _phrase(query: Phrase, engine: Engine) -> Plan:
    """Articles holding every word, the words then checked at their positions."""
    field, boost = query.fieldname, query.boost
    groups = [{word: {field: boost}} for word in dict.fromkeys(map(_text, query.words))]

    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        phrased = engine.nothing()
        if not groups:
            return phrased
        # The live articles holding every word, scored as an AND of the words.
        docnums, scores = engine.scored_words(groups, weights)
        for mask, score, part in zip(phrased.masks, phrased.scores, engine.parts, strict=True):
            start, stop = np.searchsorted(docnums, [part.base, part.base + part.size])
            candidates = docnums[start:stop] - part.base
            if not len(candidates):
                continue
            score[candidates] = scores[start:stop]  # as an OR of phrases adds them up
            keys = [
                part.arrays.positions(field, _text(w).encode("utf-8"), candidates)
                for w in query.words
            ]
            mask[_in_order(keys, query.slop)] = True
        return phrased

    return run


def _in_order(keys: list[np.ndarray], slop: int) -> np.ndarray:
    """The articles in which the words stand in this order, each within
    ``slop`` of the one before; ``keys`` are each word's positions (see
    archive.index.derived.SegmentArrays.positions)."""
    if slop == 1:  # side by side: keep the starts from which each next word follows
        starts = keys[0]
        for offset, later in enumerate(keys[1:], start=1):
            starts = starts[np.isin(starts + offset, later, assume_unique=True)]
        return np.unique(starts >> SHIFT)
    # Further apart: from each start, the nearest next word within reach.
    places = [_by_article(each) for each in keys]
    holding = []
    for docnum, firsts in places[0].items():
        for start in firsts:
            position = start
            for following in places[1:]:
                near = [p for p in following.get(docnum, ()) if position < p <= position + slop]
                if not near:
                    break
                position = min(near)
            else:
                holding.append(docnum)
                break
    return np.array(holding, dtype=np.int64)


def _by_article(keys: np.ndarray) -> dict[int, list[int]]:
    places: dict[int, list[int]] = {}
    for key in keys.tolist():
        places.setdefault(key >> SHIFT, []).append(key & ((1 << SHIFT) - 1))
    return places
