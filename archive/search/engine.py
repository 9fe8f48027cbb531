"""Queries evaluated over the segments' arrays, a whole posting list at a time.

Whoosh answers a query by walking a tree of matchers, several Python calls
per matching article and node: the cost grew with every match. Here each
segment's posting lists are arrays (archive.index.derived), and a query is
evaluated per segment as operations on whole arrays: a term scatters its
frequencies into a dense array the size of the segment, AND and OR combine
masks, NOT subtracts, a date range compares a column. Deleted articles are
masked out at the end. What this does not cover (a field query on authors,
say) is matched by Whoosh and used as a filter, unscored. Every segment has
its arrays: they are written with it (archive.index.builder).

Scoring is BM25F: a word's frequency in the title (counted twice) and in the
body are each normalised by that field's length and summed before BM25's
saturation, with one IDF for the word (Lucene's, over every article). A
title the archive made up is not indexed, so it adds nothing.

A query becomes a plan over these arrays in archive.search.plans
(``evaluate``); any-word queries are refined by feedback in
archive.search.feedback.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from archive.index.derived import SegmentArrays, missing_arrays, open_arrays, path_for
from archive.index.vocabulary import Vocabulary
from archive.query.languages import held
from archive.whoosh_ext.columns import leaf_readers

FIELD_WEIGHTS = {"title": 2.0, "body": 1.0}  # a title match counts double


@dataclass(frozen=True)
class Settings:
    """The ranking's parameters. ``DEFAULT`` is what every search uses;
    bench/tune.py measures others, a collection left out at a time."""

    k1: float = 1.2  # BM25's term-frequency saturation
    b: dict[str, float] = field(default_factory=lambda: {"title": 0.75, "body": 0.75})
    feedback: str = "bo1"  # pseudo-relevance feedback: "bo1", "rm3" or "" (none)
    feedback_articles: int = 10  # top articles whose words expand an any-word query
    feedback_words: int = 10  # words added
    feedback_weight: float = 0.3  # Bo1: the strongest added word, against the strongest typed
    feedback_keep: float = 0.5  # RM3: the typed words' share of the expanded query
    feedback_in: int = 1  # an added word is in at least this many of the top articles
    proximity: float = 0.0  # weight of the bonus for typed words near each other
    proximity_pairs: str = "all"  # which: "all" (of the rarest) or "adjacent" (as typed)
    plain_weight: float = 0.1  # of a plain word ("what", "about") in an any-word query
    strong_stems: int = 0  # feedback adds the words sharing a typed word's first letters
    strong_weight: float = 0.3  # ... at this share of its weight


DEFAULT = Settings()


@dataclass
class Part:
    """One segment: its arrays, where its articles start among all, which live."""

    arrays: SegmentArrays
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
        numbers = [
            np.flatnonzero(mask) + part.base for mask, part in zip(self.masks, parts, strict=True)
        ]
        return np.concatenate(numbers) if numbers else np.zeros(0, np.int64)

    def score_array(self) -> np.ndarray:
        scores = [score[mask] for score, mask in zip(self.scores, self.masks, strict=True)]
        return np.concatenate(scores) if scores else np.zeros(0, np.float32)


_NO_DOCS = np.zeros(0, dtype=np.int32)
_NO_WEIGHTS = np.zeros(0, dtype=np.float32)


def _summed(pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The articles of every piece (article numbers, values; each piece's
    articles distinct) and their values summed piece by piece in float32."""
    if len(pieces) < 2:
        return pieces[0] if pieces else (_NO_DOCS, _NO_WEIGHTS)
    union, at = np.unique(np.concatenate([docs for docs, _ in pieces]), return_inverse=True)
    total = np.zeros(len(union), dtype=np.float32)
    start = 0
    for docs, values in pieces:
        total[at[start : start + len(docs)]] += values
        start += len(docs)
    return union, total


def _sorted(docs: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(docs, kind="stable")
    return docs[order], scores[order]


def _part(index: Path, leaf: Any, base: int) -> Part:
    """A segment's part: its arrays (the index is damaged without them), and
    which of its articles live."""
    size = leaf.doc_count_all()
    arrays = open_arrays(path_for(index, leaf.segment().segment_id()))
    if arrays is None or arrays.documents != size:
        raise missing_arrays(leaf)
    live = np.ones(size, dtype=bool)
    if leaf.has_deletions():
        live[np.fromiter(leaf.segment().deleted_docs(), dtype=np.int64)] = False
    return Part(arrays, leaf, base, size, live)


def _weighted_frequency(
    part: Part,
    text: str,
    fields: dict[str, float],
    average: Callable[[str], float],
    b: dict[str, float],
) -> tuple[np.ndarray, np.ndarray]:
    """The articles holding the word and its frequency in each field of
    each, normalised by the field's length (against its ``average``) and
    weighed by the field's boost, summed over fields."""
    key = text.encode("utf-8")
    weighted_fields = []
    for name, boost in fields.items():
        docs, tfs = part.arrays.postings(name, key)
        if len(docs):
            lengths = part.arrays[f"{name}.lengths"][docs]
            norm = 1 - b[name] + b[name] * lengths / average(name)
            weighted_fields.append((docs, (boost * tfs / norm).astype(np.float32)))
    if len(weighted_fields) != 2:
        return _summed(weighted_fields)
    # Title and body: the fewer merged into the more (a field's articles
    # are sorted and distinct); unsorted from here, as scores are scattered.
    (docs, weighted), (more, extra) = sorted(weighted_fields, key=lambda each: -len(each[0]))
    at = np.minimum(np.searchsorted(docs, more), len(docs) - 1)
    known = docs[at] == more
    weighted[at[known]] += extra[known]
    return np.concatenate((docs, more[~known])), np.concatenate((weighted, extra[~known]))


class Engine:
    """The array view of one searcher's segments."""

    def __init__(self, index: Path, searcher: Any) -> None:
        self.searcher = searcher
        self.settings = DEFAULT
        self.parts = [_part(index, leaf, base) for leaf, base in leaf_readers(searcher.reader())]
        self.total = max(sum(part.size for part in self.parts), 1)
        self._average: dict[str, float] = {}
        self._lexicon: Vocabulary | None = None
        self._languages: frozenset[str] | None = None
        self._columns: dict[str, np.ndarray] = {}
        # The last request's matches (archive.search.reader keeps them here).
        self.remembered: tuple[Any, tuple[np.ndarray, np.ndarray]] | None = None

    def average_length(self, field: str) -> float:
        if field not in self._average:
            total = sum(float(part.arrays[f"{field}.lengths"].sum()) for part in self.parts)
            self._average[field] = max(total / self.total, 1e-9)
        return self._average[field]

    def words(self, terms: dict[str, dict[str, float]], weights: dict[str, float]) -> Matches:
        """BM25F over title and body: ``terms`` maps each word to its field boosts."""
        masks, scores = [], []
        for (docs, scored), part in zip(self._scored(terms, weights), self.parts, strict=True):
            score = np.zeros(part.size, dtype=np.float32)
            score[docs] = scored
            masks.append(score > 0)
            scores.append(score)
        return Matches(masks, scores)

    def scored_words(
        self, groups: list[dict[str, dict[str, float]]], weights: dict[str, float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The articles holding a word of every group (a group's words ORed,
        as words() scores them; the groups ANDed, their scores summed): the
        live ones' numbers (as the searcher numbers them, ascending) and
        their scores. No array the size of the archive is made, so the cost
        follows the matches alone."""
        each = [self._scored(terms, weights) for terms in groups]
        numbers, scores = [], []
        for at, part in enumerate(self.parts):
            docs, scored = _sorted(*each[0][at])
            for more in each[1:]:  # in group order, as the masks' sum adds them
                other, extra = _sorted(*more[at])
                docs, mine, theirs = np.intersect1d(
                    docs, other, assume_unique=True, return_indices=True
                )
                scored = scored[mine] + extra[theirs]
            keep = part.live[docs]
            numbers.append(docs[keep].astype(np.int64) + part.base)
            scores.append(scored[keep])
        if not numbers:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(numbers), np.concatenate(scores)

    def _scored(
        self, terms: dict[str, dict[str, float]], weights: dict[str, float]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per segment, the articles holding any of the words and their BM25F
        scores (deleted articles included), summed word by word in float32."""
        held: list[list[tuple[np.ndarray, np.ndarray]]] = []  # per part, per word
        present: dict[str, int] = dict.fromkeys(terms, 0)
        for part in self.parts:
            row = []
            for text, fields in terms.items():
                docs, weighted = _weighted_frequency(
                    part, text, fields, self.average_length, self.settings.b
                )
                present[text] += len(docs)
                row.append((docs, weighted))
            held.append(row)
        k1 = self.settings.k1
        factors = {
            text: weights.get(text, 1.0) * self.idf(count) * (k1 + 1)
            for text, count in present.items()
            if count
        }
        scored = []
        for row in held:
            pieces = [
                (docs, factors[text] * weighted / (weighted + k1))
                for (docs, weighted), text in zip(row, terms, strict=True)
                if len(docs)
            ]
            scored.append(_summed(pieces))  # word by word
        return scored

    def idf(self, count: int) -> float:
        """Lucene's IDF of a word that ``count`` articles hold."""
        return math.log(1 + (self.total - count + 0.5) / (count + 0.5))

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

    def lexicon(self) -> Vocabulary:
        """The words as written, from every segment's arrays."""
        if self._lexicon is None:  # kept with the engine: the index's words do not change
            self._lexicon = Vocabulary([part.arrays for part in self.parts])
        return self._lexicon

    def languages(self) -> frozenset[str]:
        """The languages the articles are in (kept with the engine, as the words)."""
        if self._languages is None:
            self._languages = held(self.searcher.reader())
        return self._languages

    def column(self, name: str) -> np.ndarray:
        """A column of every article, as the searcher numbers them. Kept with
        the engine (the segments do not change): joining the segments' columns
        took a millisecond a query at 1,000,000 articles."""
        column = self._columns.get(name)
        if column is None:
            column = (
                np.concatenate([part.arrays[name] for part in self.parts])
                if self.parts
                else np.zeros(0, np.uint64)
            )
            column.flags.writeable = False  # shared by every query
            self._columns[name] = column
        return column
