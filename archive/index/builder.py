"""A segment built whole: documents in, Whoosh's files and the arrays out.

Documents (as archive.index.documents lays them out) are taken one at a
time: their stored fields, lengths and columns go to Whoosh's per-document
writer at once, and their words are kept as compact lists of numbers. The
title and body are analysed with the fast analyzer (archive.index.analysis,
held equal to the schema's by a test) a document at a time; the few words
of the other indexed fields (the outlet, authors, tags, language, ID) by
the schema's own analyzers. ``finish`` sorts every field's postings at once
with NumPy, hands them to Whoosh's format (archive.whoosh_ext.bulk) and
writes the segment's arrays (archive.index.derived) from the same lists,
with the positions the phrase path reads.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from archive.index import derived
from archive.index.analysis import analysed
from archive.index.schema import ANALYSED_FIELDS, VOCABULARY_FIELDS
from archive.index.similarity import band_keys
from archive.whoosh_ext.bulk import FieldPostings, SegmentWriter
from archive.whoosh_ext.columns import NO_DATE, datetime_number

_STORED_PREFIX = "_stored_"
_NO_KEYS, _NO_DOCS = np.zeros(0, np.uint32), np.zeros(0, np.int32)
MOST_VALUES = 10_000  # analysed values of the small fields kept for the next article


class Analysed:
    """One analysed field's postings so far: a term number, article and
    position for each word, and how many articles hold each word as written."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.terms = array("i")
        self.docs = array("i")
        self.positions = array("i")
        self.words: Counter[str] = Counter()
        self.written: dict[str, array[int]] = defaultdict(lambda: array("i"))  # word -> articles
        self.lengths = array("i")

    def add(self, docnum: int, text: str, language: str | None = None) -> int:
        """Add a document's text (in ``language``); its length in words."""
        words, stems = analysed(text, language)
        numbers = self.numbers
        self.terms.extend([numbers.setdefault(stem, len(numbers)) for stem in stems])
        self.docs.extend([docnum] * len(stems))
        self.positions.extend(range(len(stems)))
        distinct = set(words)
        self.words.update(distinct)
        for word in distinct:
            self.written[word].append(docnum)
        while len(self.lengths) < docnum:
            self.lengths.append(0)
        self.lengths.append(len(stems))
        return len(stems)

    def postings(
        self, name: str, documents: int, boost: float
    ) -> tuple[FieldPostings, dict[str, np.ndarray]]:
        """The field's posting lists, and its arrays: term strings, postings,
        positions."""
        terms = sorted(self.numbers, key=lambda t: t.encode("utf-8"))
        rank = np.empty(len(terms), dtype=np.int32)
        rank[[self.numbers[t] for t in terms]] = np.arange(len(terms), dtype=np.int32)
        term_of = (
            rank[np.frombuffer(self.terms, dtype=np.int32)] if self.terms else np.zeros(0, np.int32)
        )
        docs = np.frombuffer(self.docs, dtype=np.int32) if self.docs else np.zeros(0, np.int32)
        positions = (
            np.frombuffer(self.positions, dtype=np.int32)
            if self.positions
            else np.zeros(0, np.int32)
        )
        # Words were added article by article, each article's in order: sorted
        # by term alone (stably), each term's are by article and position.
        order = np.argsort(term_of, kind="stable")
        term_of, docs, positions = term_of[order], docs[order], positions[order]
        del order
        first = np.ones(len(term_of), dtype=bool)  # the first word of a posting
        np.not_equal(term_of[1:], term_of[:-1], out=first[1:])
        first[1:] |= docs[1:] != docs[:-1]
        starts = np.flatnonzero(first)
        del first
        frequencies = np.diff(np.append(starts, len(term_of))).astype(np.int32)
        post_terms, post_docs = term_of[starts], docs[starts]
        offsets = np.searchsorted(post_terms, np.arange(len(terms) + 1)).astype(np.int64)
        encoded = [t.encode("utf-8") for t in terms]
        weights = (frequencies * boost).astype(np.float32)
        field = FieldPostings(name, encoded, offsets, post_docs, weights, frequencies=frequencies)
        # Each term's positions follow one another, posting by posting: where a
        # term's begin is enough, and its postings' frequencies tell the rest.
        term_positions = np.concatenate(([0], np.cumsum(frequencies, dtype=np.int64)))[offsets]
        arrays: dict[str, np.ndarray] = {
            f"{name}.postings": derived.places(offsets),
            f"{name}.docs": post_docs,
            f"{name}.tfs": derived.narrowest(frequencies),
            f"{name}.termpositions": derived.places(term_positions),
            f"{name}.positions": derived.narrowest(positions),
            **derived.strings(f"{name}.terms", encoded),
            **derived.hashed_terms(name, encoded, offsets, frequencies.astype(np.float32)),
        }
        return field, arrays

    def padded_lengths(self, documents: int) -> np.ndarray:
        found = np.zeros(documents, dtype=np.int64)
        found[: len(self.lengths)] = (
            np.frombuffer(self.lengths, dtype=np.int32) if self.lengths else []
        )
        return found


class SegmentBuilder:
    """Documents in, one segment out (its Whoosh files and its arrays)."""

    def __init__(self, ix: Any, folder: Path) -> None:
        self.folder = folder
        self.schema = ix.schema
        self.writer = SegmentWriter(ix)
        self.analysed = {name: Analysed() for name in ANALYSED_FIELDS}
        self.small: dict[str, list[tuple[bytes, int, float, bytes]]] = defaultdict(list)
        self.small_lengths: dict[str, dict[int, int]] = defaultdict(dict)
        self.values: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self.dates: list[int] = []
        self.clusters: list[int] = []
        self.hashes: list[tuple[int, int]] = []
        self.band_keys, self.band_docs = array("I"), array("i")  # each key with its article
        self._analysed_values: dict[tuple[str, Any], list[Any]] = {}

    @property
    def count(self) -> int:
        return self.writer.count

    def add(self, doc: dict[str, Any]) -> None:
        docnum = self.writer.count
        stored, lengths, columns = {}, {}, {}
        for name in sorted(n for n in doc if not n.startswith("_")):
            value = doc[name]
            if value is None:
                continue
            field = self.schema[name]
            if name in self.analysed:
                lengths[name] = self.analysed[name].add(docnum, value, doc.get("language"))
            elif field.indexed:
                lengths[name] = self._index(name, field, value, docnum)
            if field.stored:
                stored[name] = doc.get(_STORED_PREFIX + name, value)
            if field.column_type is not None:
                columns[name] = value
        self._remember(doc, docnum)
        self.writer.add(stored, {k: v for k, v in lengths.items() if v}, columns)

    def _index(self, name: str, field: Any, value: Any, docnum: int) -> int:
        length = 0
        for term, frequency, weight, data in self._terms(name, field, value):
            self.small[name].append((term, docnum, weight, data))
            length += frequency if field.scorable else 0
        if length:
            self.small_lengths[name][docnum] = length
        return length

    def _terms(self, name: str, field: Any, value: Any) -> list[tuple[bytes, int, float, bytes]]:
        """A small field's terms, by its analyzer: an outlet's or an author's
        name recurs from article to article, and is analysed once."""
        if name == "id":  # every one is new
            return list(field.index(value))
        key = (name, value)
        found = self._analysed_values.get(key)
        if found is None:
            found = list(field.index(value))
            if len(self._analysed_values) < MOST_VALUES:
                self._analysed_values[key] = found
        return found

    def _remember(self, doc: dict[str, Any], docnum: int) -> None:
        """What the arrays keep of a document besides its words."""
        date = doc.get("date")
        self.dates.append(datetime_number(date) if isinstance(date, datetime) else NO_DATE)
        self.clusters.append(cluster_key(str(doc.get("cluster") or doc["id"])))
        text_hash = doc.get("text_hash")
        if text_hash:
            self.hashes.append((int(str(text_hash)[:16], 16), docnum))
        keys = band_keys(doc)  # as the run found them, else from the text
        self.band_keys.extend(keys)
        self.band_docs.extend([docnum] * len(keys))
        for name, listed in (
            ("source", doc.get("source")),
            ("author_values", doc.get("authors")),
            ("tag_values", doc.get("tags")),
            ("language", doc.get("language")),
        ):
            for value in derived.split_values(listed):
                self.values[name].append((value, docnum))

    def finish(self) -> Any:
        """Write the segment; the new segment (Whoosh's segment object)."""
        documents = self.count
        fields, arrays, lengths = [], {}, {}
        for name, field in self.analysed.items():
            postings, more = field.postings(name, documents, self.schema[name].format.field_boost)
            fields.append(postings)
            arrays.update(more)
            lengths[name] = field.padded_lengths(documents)
            arrays[f"{name}.lengths"] = derived.decoded_lengths(lengths[name])
            arrays.update(self._vocabulary(name, field))
        for name, pairs in self.small.items():
            fields.append(_small_field(name, pairs, self.schema[name]))
            if self.schema[name].scorable:
                known = self.small_lengths[name]
                lengths[name] = np.array([known.get(n, 0) for n in range(documents)], np.int64)
        segment = self.writer.finish(fields, lengths)
        arrays.update(self._columns())
        arrays.update(
            derived.vocabulary_arrays({name: f.words for name, f in self.analysed.items()})
        )
        derived.write(derived.path_for(self.folder, segment.segment_id()), arrays, documents)
        return segment

    def _vocabulary(self, name: str, field: Analysed) -> dict[str, np.ndarray]:
        """The field's words as written, with the articles holding each (an
        exact search reads these), and how many."""
        words = sorted(field.words, key=lambda w: w.encode("utf-8"))
        spelled = VOCABULARY_FIELDS[ANALYSED_FIELDS.index(name)]
        counts = np.array([field.words[w] for w in words], dtype=np.int64)
        holding = [field.written[w] for w in words]
        return {
            **derived.strings(f"{spelled}.terms", [w.encode("utf-8") for w in words]),
            f"{spelled}.df": counts.astype(np.int32),
            f"{spelled}.postings": derived.places(np.concatenate(([0], np.cumsum(counts)))),
            f"{spelled}.docs": (
                np.concatenate([np.frombuffer(d, dtype=np.int32) for d in holding])
                if holding
                else np.zeros(0, np.int32)
            ),
        }

    def _columns(self) -> dict[str, np.ndarray]:
        hashes = sorted(self.hashes)
        keys = np.frombuffer(self.band_keys, dtype=np.uint32) if self.band_keys else _NO_KEYS
        docs = np.frombuffer(self.band_docs, dtype=np.int32) if self.band_docs else _NO_DOCS
        order = np.argsort(keys, kind="stable")  # by key, each key's articles ascending
        found: dict[str, np.ndarray] = {
            "bands.keys": keys[order],
            "bands.docs": docs[order],
            "date": np.array(self.dates, dtype=np.uint64),
            "cluster": np.array(self.clusters, dtype=np.uint64),
            "text_hash.keys": np.array([h for h, _ in hashes], dtype=np.uint64),
            "text_hash.docs": np.array([d for _, d in hashes], dtype=np.int32),
        }
        for name in derived.VALUE_FIELDS:
            found.update(derived.value_postings(name, self.values.get(name, [])))
        return found

    def cancel(self) -> None:
        self.writer.cancel()


def _small_field(
    name: str, postings: list[tuple[bytes, int, float, bytes]], field: Any
) -> FieldPostings:
    postings.sort(key=lambda p: (p[0], p[1]))
    terms = sorted({p[0] for p in postings})
    starts = [0]
    for at in range(1, len(postings)):
        if postings[at][0] != postings[at - 1][0]:
            starts.append(at)
    offsets = np.array([*starts, len(postings)], dtype=np.int64)
    docs = np.array([p[1] for p in postings], dtype=np.int32)
    weights = np.array([p[2] for p in postings], dtype=np.float32)
    size = field.format.fixed_value_size()
    if size == 0:
        return FieldPostings(name, terms, offsets, docs, weights)
    return FieldPostings(name, terms, offsets, docs, weights, values=[p[3] for p in postings])


def cluster_key(cluster: str) -> int:
    """The 64-bit key of a story cluster, as the arrays keep it."""
    return int.from_bytes(
        hashlib.blake2b(cluster.encode("utf-8"), digest_size=8).digest(), "little"
    )
