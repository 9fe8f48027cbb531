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

A query becomes a plan over these arrays in archive.search.plans; any-word
queries are refined by feedback in archive.search.feedback.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from weakref import WeakKeyDictionary

import numpy as np
from whoosh.query import (
    Query,
)

from archive.index.derived import (
    NO_DATE,
    Arrays,
    ReaderArrays,
    SegmentArrays,
    open_arrays,
    path_for,
)
from archive.index.schema import VOCABULARY_FIELDS
from archive.whoosh_ext.columns import leaf_readers

K1 = 1.2  # BM25's term-frequency saturation
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


class Engine:
    """The array view of one searcher's segments."""

    def __init__(self, index: Path, searcher: Any, derived: bool = True) -> None:
        # Not the searcher itself: engines are kept per searcher, weakly.
        self._searcher = weakref.ref(searcher)
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
        self._lexicon: Lexicon | None = None
        self._columns: dict[str, np.ndarray] = {}

    @property
    def searcher(self) -> Any:
        found = self._searcher()
        if found is None:
            raise RuntimeError("the searcher of this engine is gone")
        return found

    def average_length(self, field: str) -> float:
        if field not in self._average:
            total = sum(float(part.arrays[f"{field}.lengths"].sum()) for part in self.parts)
            self._average[field] = max(total / self.total, 1e-9)
        return self._average[field]

    # -- evaluating ----------------------------------------------------------------

    def evaluate(self, query: Query, weights: dict[str, float] | None = None) -> Matches:
        """The articles ``query`` matches and their scores; ``weights`` weighs
        words (by term text) beyond their boosts, as feedback does."""
        from archive.search.plans import compile_query

        plan = compile_query(query, self)
        found = plan(self, weights or {})
        return Matches(
            [mask & part.live for mask, part in zip(found.masks, self.parts, strict=True)],
            found.scores,
        )

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
        found: list[list[tuple[np.ndarray, np.ndarray]]] = []  # per part, per word
        present: dict[str, int] = dict.fromkeys(terms, 0)
        for part in self.parts:
            row = []
            for text, fields in terms.items():
                docs, weighted = self._weighted_frequency(part, text, fields)
                present[text] += len(docs)
                row.append((docs, weighted))
            found.append(row)
        factors = {
            text: weights.get(text, 1.0) * self.idf(count) * (K1 + 1)
            for text, count in present.items()
            if count
        }
        scored = []
        for row in found:
            pieces = [
                (docs, factors[text] * weighted / (weighted + K1))
                for (docs, weighted), text in zip(row, terms, strict=True)
                if len(docs)
            ]
            scored.append(_summed(pieces))  # word by word
        return scored

    def idf(self, count: int) -> float:
        """Lucene's IDF of a word that ``count`` articles hold."""
        return math.log(1 + (self.total - count + 0.5) / (count + 0.5))

    def _weighted_frequency(
        self, part: Part, text: str, fields: dict[str, float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The articles holding the word and its frequency in each field of
        each, normalised by the field's length and weighed by the field's
        boost, summed over fields."""
        key = text.encode("utf-8")
        found = []
        for field, boost in fields.items():
            docs, tfs = part.arrays.postings(field, key)
            if len(docs):
                lengths = part.arrays[f"{field}.lengths"][docs]
                b = B[field]
                norm = 1 - b + b * lengths / self.average_length(field)
                found.append((docs, (boost * tfs / norm).astype(np.float32)))
        if len(found) != 2:
            return _summed(found)
        # Title and body: the fewer merged into the more (a field's articles
        # are sorted and distinct); unsorted from here, as scores are scattered.
        (docs, weighted), (more, extra) = sorted(found, key=lambda each: -len(each[0]))
        at = np.minimum(np.searchsorted(docs, more), len(docs) - 1)
        known = docs[at] == more
        weighted[at[known]] += extra[known]
        return np.concatenate((docs, more[~known])), np.concatenate((weighted, extra[~known]))

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
        if self._lexicon is None:  # kept with the engine: the index's words do not change
            self._lexicon = Lexicon([cast(SegmentArrays, part.arrays) for part in self.parts])
        return self._lexicon

    def column(self, name: str) -> np.ndarray:
        """A column of every article, as the searcher numbers them. Kept with
        the engine (the segments do not change): joining the segments' columns
        took a millisecond a query at 1,000,000 articles."""
        found = self._columns.get(name)
        if found is None:
            found = (
                np.concatenate([part.arrays[name] for part in self.parts])
                if self.parts
                else np.zeros(0, np.uint64)
            )
            found.flags.writeable = False  # shared by every query
            self._columns[name] = found
        return found


class Lexicon:
    """The index's words as written (spelling's Lexicon), from the segments'
    arrays: each text field's words with how many articles hold each. What it
    reads is kept: it lives as long as the searcher, and the words do not change."""

    def __init__(self, segments: list[SegmentArrays]) -> None:
        self.segments = segments
        self._near: dict[tuple[str, int], list[str]] = {}
        self._bound: dict[str, int] = {}
        self._frequency: dict[str, int] = {}

    def frequency(self, word: str) -> int:
        found = self._frequency.get(word)
        if found is None:
            key, found = word.encode("utf-8"), 0
            for field in VOCABULARY_FIELDS:
                total = 0
                for arrays in self.segments:
                    at = arrays.find(f"{field}.terms", key)
                    total += int(arrays[f"{field}.df"][at]) if at >= 0 else 0
                found = max(found, total)
            self._frequency[word] = found
        return found

    def bound(self, word: str) -> int:
        """At least the word's frequency (known for every word ``near`` gave)."""
        found = self._bound.get(word)
        return found if found is not None else self.frequency(word)

    def near(self, word: str) -> list[str]:
        """Words with the word's first letter and about its length (two edits)."""
        key = (word[:1], len(word.encode("utf-8")))
        found = self._near.get(key)
        if found is None:
            slack = 2 if word.isascii() else 8  # a letter may take several bytes
            words: set[str] = set()
            for arrays in self.segments:
                at = arrays.starting("words", key[0].encode("utf-8"))
                offsets = arrays["words.offsets"]
                sizes = np.diff(offsets[at.start : at.stop + 1])
                close = at.start + np.flatnonzero(np.abs(sizes - key[1]) <= slack)
                frequencies = arrays["words.df"]
                for i in close.tolist():
                    text = arrays.string("words", i).decode("utf-8")
                    words.add(text)
                    self._bound[text] = self._bound.get(text, 0) + int(frequencies[i])
            found = self._near[key] = sorted(words)
        return found


_ENGINES: WeakKeyDictionary[Any, Engine] = WeakKeyDictionary()


def engine_for(index: Path, searcher: Any) -> Engine:
    """The engine over a searcher's segments, made once per searcher."""
    found = _ENGINES.get(searcher)
    if found is None:
        found = _ENGINES[searcher] = Engine(index, searcher)
    return found
