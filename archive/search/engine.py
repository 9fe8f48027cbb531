"""Queries evaluated over the segments' arrays, a whole posting list at a time.

Whoosh answers a query by walking a tree of matchers, several Python calls
per matching article and node: the cost grew with every match. Here each
segment's posting lists are arrays (archive.index.derived), and a query is
evaluated per segment as operations on whole arrays: a term scatters its
frequencies into a dense array the size of the segment, AND and OR combine
masks, NOT subtracts, a date range compares a column. Deleted articles are
masked out at the end. What this does not cover (a field query on authors,
say) is matched by Whoosh and used as a filter, unscored. A segment without
its arrays (an index made by an earlier version) is read through Whoosh's
matchers into the same arrays, so every index is ranked the same way.

Scoring is BM25F: a word's frequency in the title (counted twice) and in the
body are each normalised by that field's length and summed before BM25's
saturation, with one IDF for the word (Lucene's, over every article). A
title the archive made up is not indexed, so it adds nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from weakref import WeakKeyDictionary

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

from archive.index.analysis import terms
from archive.index.derived import (
    NO_DATE,
    TEXT_FIELDS,
    Arrays,
    ReaderArrays,
    SegmentArrays,
    open_arrays,
    path_for,
)
from archive.index.schema import VOCABULARY_FIELDS
from archive.whoosh_ext.columns import leaf_readers
from archive.whoosh_ext.terms import pattern_words

K1 = 1.2  # BM25's term-frequency saturation
FEEDBACK_ARTICLES = 10  # top articles whose words expand an any-word query
FEEDBACK_WORDS = 10  # words added
FEEDBACK_WEIGHT = 0.3  # of the strongest added word, against the strongest typed one
B = {"title": 0.75, "body": 0.75}  # length normalisation, per field
FIELD_WEIGHTS = {"title": 2.0, "body": 1.0}  # a title match counts double


@dataclass
class Part:
    """One segment: its arrays, where its articles start among all, which live."""

    arrays: Arrays
    reader: Any
    base: int
    size: int
    live: np.ndarray


@dataclass
class Matches:
    """Per segment: which articles match, and their scores."""

    masks: list[np.ndarray]
    scores: list[np.ndarray]

    def docnums(self, parts: list[Part]) -> np.ndarray:
        """The matching articles' numbers (as the searcher numbers them), in order."""
        found = [
            np.flatnonzero(mask) + part.base for mask, part in zip(self.masks, parts, strict=True)
        ]
        return np.concatenate(found) if found else np.zeros(0, np.int64)

    def score_array(self) -> np.ndarray:
        found = [score[mask] for score, mask in zip(self.scores, self.masks, strict=True)]
        return np.concatenate(found) if found else np.zeros(0, np.float32)

    def count(self) -> int:
        return int(sum(int(mask.sum()) for mask in self.masks))


class Engine:
    """The array view of one searcher's segments."""

    def __init__(self, index: Path, searcher: Any, derived: bool = True) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self.parts: list[Part] = []
        for leaf, base in leaf_readers(reader):
            size = leaf.doc_count_all()
            found = open_arrays(path_for(index, leaf.segment().segment_id())) if derived else None
            arrays: Arrays = (
                found if found is not None and found.documents == size else ReaderArrays(leaf)
            )
            live = np.ones(size, dtype=bool)
            if leaf.has_deletions():
                live[np.fromiter(leaf.segment().deleted_docs(), dtype=np.int64)] = False
            self.parts.append(Part(arrays, leaf, base, size, live))
        self.total = max(sum(part.size for part in self.parts), 1)
        self._average: dict[str, float] = {}

    def average_length(self, field: str) -> float:
        if field not in self._average:
            total = sum(float(part.arrays[f"{field}.lengths"].sum()) for part in self.parts)
            self._average[field] = max(total / self.total, 1e-9)
        return self._average[field]

    # -- evaluating ----------------------------------------------------------------

    def evaluate(self, query: Query, weights: dict[str, float] | None = None) -> Matches:
        """The articles ``query`` matches and their scores; ``weights`` weighs
        words (by term text) beyond their boosts, as feedback does."""
        plan = compile_query(query, self)
        found = plan(self, weights or {})
        return Matches(
            [mask & part.live for mask, part in zip(found.masks, self.parts, strict=True)],
            found.scores,
        )

    def words(self, terms: dict[str, dict[str, float]], weights: dict[str, float]) -> Matches:
        """BM25F over title and body: ``terms`` maps each word to its field boosts."""
        frequencies: list[list[np.ndarray]] = []
        present: dict[str, int] = {}
        for part in self.parts:
            row = []
            for text, fields in terms.items():
                weighted = self._weighted_frequency(part, text, fields)
                present[text] = present.get(text, 0) + int(np.count_nonzero(weighted))
                row.append(weighted)
            frequencies.append(row)
        masks, scores = [], []
        for row, part in zip(frequencies, self.parts, strict=True):
            score = np.zeros(part.size, dtype=np.float32)
            for weighted, text in zip(row, terms, strict=True):
                if not present[text]:
                    continue
                idf = math.log(1 + (self.total - present[text] + 0.5) / (present[text] + 0.5))
                weight = weights.get(text, 1.0) * idf * (K1 + 1)
                score += weight * weighted / (weighted + K1)
            masks.append(score > 0)
            scores.append(score)
        return Matches(masks, scores)

    def feedback(self, query: Query, found: Matches, weights: dict[str, float]) -> Matches:
        """Any-word matches re-scored with the words of the top articles (Bo1
        pseudo-relevance feedback, as in Terrier and Anserini): the words
        most concentrated in the top ten articles, compared with the whole
        archive, are added to the query at a lower weight. Which articles
        match (and so every count) stays the same: only the order changes."""
        words = _text_words(query, self)
        docnums, scores = found.docnums(self.parts), found.score_array()
        if not words or not len(docnums):
            return found
        top = docnums[np.lexsort((docnums, -scores))][:FEEDBACK_ARTICLES]
        counts: Counter[str] = Counter()
        for docnum in top:
            fields = self.searcher.stored_fields(int(docnum))
            counts.update(terms(fields.get("body") or ""))
            if not fields.get("title_derived"):  # a made-up title is not indexed
                counts.update(terms(fields.get("title") or ""))
        added = self._expansion(counts)
        if not added:
            return found
        typed = {word: weights.get(word, 1.0) for word in words}
        strongest = max(typed.values())
        new_weights = {word: weight / strongest for word, weight in typed.items()}
        fields = dict(words)
        for word, weight in added.items():
            new_weights[word] = new_weights.get(word, 0.0) + weight
            fields.setdefault(word, dict(FIELD_WEIGHTS))
        rescored = self.words(fields, new_weights)
        scores_now = [
            np.where(mask, score, 0).astype(np.float32)
            for mask, score in zip(found.masks, rescored.scores, strict=True)
        ]
        return Matches(found.masks, scores_now)

    def _expansion(self, counts: Counter[str]) -> dict[str, float]:
        """Bo1's weight of each word of the feedback articles, the strongest few
        scaled so that the first weighs FEEDBACK_WEIGHT."""
        candidates = sorted(counts)
        keys = [word.encode("utf-8") for word in candidates]
        totals = np.zeros(len(keys))
        for part in self.parts:
            for field in TEXT_FIELDS:
                totals += part.arrays.frequencies(field, keys)
        seen = np.array([counts[word] for word in candidates], dtype=np.float64)
        kept = totals > 0
        share = np.where(kept, totals, 1) / self.total
        weight = seen * np.log2((1 + share) / share) + np.log2(1 + share)
        weight[~kept] = -np.inf
        ranked = np.lexsort((np.arange(len(candidates)), -weight))[:FEEDBACK_WORDS]
        order = [int(i) for i in ranked if kept[i]]
        if not order:
            return {}
        strongest = weight[order[0]]
        return {candidates[i]: FEEDBACK_WEIGHT * float(weight[i] / strongest) for i in order}

    def _weighted_frequency(self, part: Part, text: str, fields: dict[str, float]) -> np.ndarray:
        """The word's frequency in each field of each article, normalised by the
        field's length and weighed by the field's boost, summed over fields."""
        weighted = np.zeros(part.size, dtype=np.float32)
        key = text.encode("utf-8")
        for field, boost in fields.items():
            docs, tfs = part.arrays.postings(field, key)
            if not len(docs):
                continue
            lengths = part.arrays[f"{field}.lengths"][docs]
            b = B[field]
            norm = 1 - b + b * lengths / self.average_length(field)
            weighted[docs] += boost * tfs / norm  # a term's articles are distinct
        return weighted

    def everything(self) -> Matches:
        return Matches(
            [part.live.copy() for part in self.parts],
            [np.zeros(part.size, np.float32) for part in self.parts],
        )

    def nothing(self) -> Matches:
        return Matches(
            [np.zeros(part.size, bool) for part in self.parts],
            [np.zeros(part.size, np.float32) for part in self.parts],
        )

    def from_docnums(self, docnums: Iterable[int]) -> Matches:
        """A filter from article numbers (as the searcher numbers them)."""
        found = self.nothing()
        ordered = np.fromiter(docnums, dtype=np.int64)
        for mask, part in zip(found.masks, self.parts, strict=True):
            inside = ordered[(ordered >= part.base) & (ordered < part.base + part.size)]
            mask[inside - part.base] = True
        return found

    def dates(
        self, start: int | None, end: int | None, start_excl: bool, end_excl: bool
    ) -> Matches:
        found = self.nothing()
        for mask, part in zip(found.masks, self.parts, strict=True):
            dates = part.arrays["date"]
            keep = dates != np.uint64(NO_DATE)
            if start is not None:
                keep &= (dates > np.uint64(start)) if start_excl else (dates >= np.uint64(start))
            if end is not None:
                keep &= (dates < np.uint64(end)) if end_excl else (dates <= np.uint64(end))
            mask |= keep
        return found

    def lexicon(self) -> Lexicon | None:
        """The words as written, from every segment's arrays (None when a
        segment has none: then Whoosh's lexicon is read)."""
        if not all(isinstance(part.arrays, SegmentArrays) for part in self.parts):
            return None
        return Lexicon([cast(SegmentArrays, part.arrays) for part in self.parts])

    def column(self, name: str) -> np.ndarray:
        """A column of every article, as the searcher numbers them."""
        return (
            np.concatenate([part.arrays[name] for part in self.parts])
            if self.parts
            else (np.zeros(0, np.uint64))
        )


class Lexicon:
    """The index's words as written (spelling's Lexicon), from the segments'
    arrays: each text field's words with how many articles hold each."""

    def __init__(self, segments: list[SegmentArrays]) -> None:
        self.segments = segments
        self._starting: dict[str, list[str]] = {}

    def frequency(self, word: str) -> int:
        key = word.encode("utf-8")
        best = 0
        for field in VOCABULARY_FIELDS:
            found = 0
            for arrays in self.segments:
                at = arrays.find(f"{field}.terms", key)
                found += int(arrays[f"{field}.df"][at]) if at >= 0 else 0
            best = max(best, found)
        return best

    def near(self, word: str) -> list[str]:
        first = word[:1]
        found = self._starting.get(first)
        if found is None:
            words: set[str] = set()
            for arrays in self.segments:
                at = arrays.starting("words", first.encode("utf-8"))
                words.update(arrays.decoded("words", at))
            found = self._starting[first] = sorted(words)
        return found


_ENGINES: WeakKeyDictionary[Any, Engine] = WeakKeyDictionary()


def engine_for(index: Path, searcher: Any) -> Engine:
    """The engine over a searcher's segments, made once per searcher."""
    found = _ENGINES.get(searcher)
    if found is None:
        found = _ENGINES[searcher] = Engine(index, searcher)
    return found


# -- query plans ----------------------------------------------------------------------

Plan = Callable[[Engine, dict[str, float]], Matches]


def compile_query(query: Query, engine: Engine) -> Plan:
    """A plan for ``query``."""
    if query is NullQuery or isinstance(query, type(NullQuery)):
        return lambda e, w: e.nothing()
    if isinstance(query, Every):
        return lambda e, w: e.everything()
    words = _text_words(query, engine)
    if words is not None:
        return lambda e, w: e.words(words, w)
    if isinstance(query, Or | DisjunctionMax) and getattr(query, "minmatch", 0) <= 1:
        return _any([compile_query(child, engine) for child in _merged(query.subqueries, engine)])
    if isinstance(query, And):
        wanted = [compile_query(q, engine) for q in query.subqueries if not isinstance(q, Not)]
        unwanted = [compile_query(q.query, engine) for q in query.subqueries if isinstance(q, Not)]
        plan = _all(wanted) if wanted else (lambda e, w: e.everything())
        return _without(plan, _any(unwanted)) if unwanted else plan
    if isinstance(query, AndNot):
        return _without(compile_query(query.a, engine), compile_query(query.b, engine))
    if isinstance(query, Not):
        return _without(lambda e, w: e.everything(), compile_query(query.query, engine))
    if isinstance(query, AndMaybe):
        return _maybe(compile_query(query.a, engine), compile_query(query.b, engine))
    if isinstance(query, DateRange):
        bounds = (query.start, query.end, query.startexcl, query.endexcl)
        return lambda e, w: e.dates(*bounds)
    if isinstance(query, Phrase) and query.fieldname in TEXT_FIELDS:
        return _phrase(query, engine)
    return _filter(query)  # what the arrays do not hold: Whoosh matches it, unscored


def _text_words(query: Query, engine: Engine) -> dict[str, dict[str, float]] | None:
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


def _disjunction_leaves(query: Query) -> list[Any] | None:
    """The terms (and word patterns) of a tree of ORs, or None if it holds anything else."""
    if isinstance(query, Term) or (
        isinstance(query, MultiTerm) and not isinstance(query, Every | DateRange)
    ):
        return [query]
    if isinstance(query, Or | DisjunctionMax) and getattr(query, "minmatch", 0) <= 1:
        found: list[Any] = []
        for child in query.subqueries:
            leaves = _disjunction_leaves(child)
            if leaves is None:
                return None
            found += leaves
        return found
    return None


def _merged(queries: list[Query], engine: Engine) -> list[Query]:
    """The children of an OR, its text terms gathered into one OR (one BM25F sum)."""
    words = [q for q in queries if _text_words(q, engine) is not None]
    rest = [q for q in queries if _text_words(q, engine) is None]
    return ([Or(words)] if words else []) + rest


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _any(plans: list[Plan]) -> Plan:
    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        found = [plan(engine, weights) for plan in plans]
        if not found:
            return engine.nothing()
        masks = [
            np.logical_or.reduce([f.masks[i] for f in found]) for i in range(len(engine.parts))
        ]
        scores = [np.sum([f.scores[i] for f in found], axis=0) for i in range(len(engine.parts))]
        return Matches(masks, scores)

    return run


def _all(plans: list[Plan]) -> Plan:
    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        found = [plan(engine, weights) for plan in plans]
        masks = [
            np.logical_and.reduce([f.masks[i] for f in found]) for i in range(len(engine.parts))
        ]
        scores = [
            np.where(masks[i], np.sum([f.scores[i] for f in found], axis=0), 0).astype(np.float32)
            for i in range(len(engine.parts))
        ]
        return Matches(masks, scores)

    return run


def _without(kept: Plan, dropped: Plan) -> Plan:
    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        found, gone = kept(engine, weights), dropped(engine, weights)
        masks = [mask & ~out for mask, out in zip(found.masks, gone.masks, strict=True)]
        return Matches(masks, found.scores)

    return run


def _maybe(required: Plan, optional: Plan) -> Plan:
    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        found, extra = required(engine, weights), optional(engine, weights)
        scores = [
            s + np.where(m, e, 0)
            for s, m, e in zip(found.scores, extra.masks, extra.scores, strict=True)
        ]
        return Matches(found.masks, [s.astype(np.float32) for s in scores])

    return run


def _filter(query: Query) -> Plan:
    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        from archive.whoosh_ext.postings import matching

        return engine.from_docnums(matching(engine.searcher, query))

    return run


def _phrase(query: Phrase, engine: Engine) -> Plan:
    """Articles holding every word, the words then checked at their positions."""
    field, boost = query.fieldname, query.boost
    words = {_text(word): {field: boost} for word in query.words}
    each = [_word(word, fields) for word, fields in words.items()]
    candidates = _all(each) if each else (lambda e, w: e.nothing())

    def run(engine: Engine, weights: dict[str, float]) -> Matches:
        found = candidates(engine, weights)
        for mask, part in zip(found.masks, engine.parts, strict=True):
            docnums = np.flatnonzero(mask)
            if not len(docnums):
                continue
            # One pass along each word's postings, stopping only at the candidates.
            positions = [_positions(part.reader, field, word, docnums) for word in query.words]
            for docnum in docnums.tolist():
                if not _in_order([found_at[docnum] for found_at in positions], query.slop):
                    mask[docnum] = False
        return found

    return run


def _word(word: str, fields: dict[str, float]) -> Plan:
    return lambda engine, weights: engine.words({word: fields}, weights)


def _positions(reader: Any, field: str, word: Any, docnums: np.ndarray) -> dict[int, list[int]]:
    """Where the word stands in each of these articles (which all hold it)."""
    matcher = reader.postings(field, word)
    found: dict[int, list[int]] = {}
    for docnum in docnums.tolist():
        matcher.skip_to(docnum)
        found[docnum] = matcher.value_as("positions") if matcher.id() == docnum else []
    return found


def _in_order(positions: list[list[int]], slop: int) -> bool:
    """Whether the words stand in this order (each within ``slop`` of the last)."""
    following = [set(each) for each in positions[1:]]
    for start in positions[0]:
        position, found = start, True
        for later in following:
            near = [p for p in later if position < p <= position + slop]
            if not near:
                found = False
                break
            position = min(near)
        if found:
            return True
    return False
