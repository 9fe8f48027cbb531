"""A copy of each segment's posting lists as arrays, made when it is committed.

Whoosh's index is the record; searching walks Whoosh's matcher tree one
Python call per posting, which made every query pay per match. So each
committed segment also gets a file of arrays beside it (``<segment>.arrays``,
which Whoosh deletes with the segment): for the title and body fields, the
sorted terms, each term's posting lists (article numbers and term
frequencies), frequency over every article and hash (to look many up at
once), and each article's field lengths; the story cluster and date of
each article; and the words as written, per field and all together with
how many articles hold each. archive.search.engine evaluates queries over them, a whole posting
list at a time.

The file is a small JSON header and the arrays, each aligned, read through a
memory map (nothing is copied until used). It is written atomically; an
index whose segments lack it (made by an earlier version, or read-only) is
searched through Whoosh's matchers instead.
"""

from __future__ import annotations

import json
import mmap
import os
import tempfile
from bisect import bisect_left
from hashlib import blake2b
from pathlib import Path
from typing import Any, cast

import numpy as np

from archive.index.files import shareable
from archive.index.schema import SCHEMA_VERSION, VOCABULARY_FIELDS
from archive.whoosh_ext.columns import NO_DATE
from archive.whoosh_ext.segments import segment_folder

SUFFIX = ".arrays"
MAGIC = b"ARCHIVE-ARRAYS\n"
FORMAT = 5
ALIGN = 64
TEXT_FIELDS = ("title", "body")
# Fields whose values are counted beside the hits (facets): each value a term.
VALUE_FIELDS = ("source", "author_values", "tag_values")


def path_for(index: Path, segment_id: str) -> Path:
    return index / f"{segment_id}{SUFFIX}"


# -- making ------------------------------------------------------------------------


def build(reader: Any) -> dict[str, np.ndarray]:
    """The arrays of one segment, read from Whoosh's segment reader."""
    from archive.whoosh_ext import derive

    arrays: dict[str, np.ndarray] = {}
    for field in TEXT_FIELDS:
        terms, offsets, docs, tfs = derive.postings(reader, field)
        arrays.update(_strings(f"{field}.terms", terms))
        arrays[f"{field}.postings"] = offsets
        arrays[f"{field}.docs"] = docs
        arrays[f"{field}.tfs"] = tfs
        arrays[f"{field}.lengths"] = derive.lengths(reader, field)
        arrays.update(_hashed(field, terms, offsets, tfs))
    for field in VALUE_FIELDS:  # which articles hold each value
        terms, offsets, docs, _ = derive.postings(reader, field)
        arrays.update(_strings(f"{field}.terms", terms))
        arrays[f"{field}.postings"] = offsets
        arrays[f"{field}.docs"] = docs
    arrays["cluster"] = derive.column(reader, "cluster", np.uint64, 0)
    arrays["date"] = derive.column(reader, "date", np.uint64, NO_DATE)
    for field in VOCABULARY_FIELDS:  # each text field's words as written
        terms, frequencies = derive.field_terms(reader, field)
        arrays.update(_strings(f"{field}.terms", terms))
        arrays[f"{field}.df"] = np.array(frequencies, dtype=np.int32)
    words = derive.vocabulary(reader, VOCABULARY_FIELDS)
    ordered = sorted(words)
    arrays.update(_strings("words", [word.encode("utf-8") for word in ordered]))
    arrays["words.df"] = np.array([words[word] for word in ordered], dtype=np.int32)
    return arrays


def _hashed(
    field: str, terms: list[bytes], offsets: np.ndarray, tfs: np.ndarray
) -> dict[str, np.ndarray]:
    """Each term's hash, sorted, with the term it stands for (to look many
    terms up at once), and each term's frequency over every article."""
    hashes = hashed(terms)
    order = np.argsort(hashes, kind="stable")
    totals = np.add.reduceat(tfs, offsets[:-1]) if len(terms) else np.zeros(0, np.float32)
    return {
        f"{field}.hashes": hashes[order],
        f"{field}.hashed": order.astype(np.int64),
        f"{field}.cf": totals.astype(np.float32),
    }


def hashed(terms: list[bytes]) -> np.ndarray:
    """A 64-bit hash of each term, the same in every process."""
    return np.array(
        [int.from_bytes(blake2b(term, digest_size=8).digest(), "little") for term in terms],
        dtype=np.uint64,
    )


def _strings(name: str, items: list[bytes]) -> dict[str, np.ndarray]:
    """Sorted byte strings as one blob and the offsets into it."""
    offsets = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum([len(item) for item in items], out=offsets[1:])
    return {name: np.frombuffer(b"".join(items), dtype=np.uint8), f"{name}.offsets": offsets}


def write(path: Path, arrays: dict[str, np.ndarray], documents: int) -> None:
    """Write the arrays atomically: a crash leaves the old file or none."""
    layout: dict[str, list[Any]] = {}
    position = 0
    for name, array in arrays.items():
        layout[name] = [array.dtype.str, list(array.shape), position]
        position += _aligned(array.nbytes)
    header = {"format": FORMAT, "schema": SCHEMA_VERSION, "documents": documents, "arrays": layout}
    head = json.dumps(header).encode("utf-8")
    start = _aligned(len(MAGIC) + 8 + len(head))
    # Named like the index's own files, so that a killed run's leftover is cleaned away.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"_{path.name}-", suffix=".tmp")
    try:
        shareable(fd)
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + len(head).to_bytes(8, "little") + head)
            out.write(b"\0" * (start - len(MAGIC) - 8 - len(head)))
            for array in arrays.values():
                data = np.ascontiguousarray(array).tobytes()
                out.write(data + b"\0" * (_aligned(len(data)) - len(data)))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _aligned(size: int) -> int:
    return -(-size // ALIGN) * ALIGN


def ensure(index: Path, reader: Any) -> int:
    """Make the arrays of every segment of the index that lacks them (only
    with the write lock held); how many were made."""
    from archive.whoosh_ext.columns import leaf_readers

    made = 0
    for leaf, _ in leaf_readers(reader):
        target = path_for(index, leaf.segment().segment_id())
        found = open_arrays(target) if target.exists() else None
        if found is None or found.documents != leaf.doc_count_all():
            write(target, build(leaf), leaf.doc_count_all())
            made += 1
    return made


# -- reading -----------------------------------------------------------------------


class SegmentArrays:
    """The arrays of one segment, memory-mapped."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as source:
            self._map = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[: len(MAGIC)] != MAGIC:
            raise ValueError(f"{path.name} is not a file of arrays")
        size = int.from_bytes(self._map[len(MAGIC) : len(MAGIC) + 8], "little")
        header = json.loads(self._map[len(MAGIC) + 8 : len(MAGIC) + 8 + size])
        if header.get("format") != FORMAT or header.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"{path.name} was made by another version")
        self.documents = int(header["documents"])
        self._start = _aligned(len(MAGIC) + 8 + size)
        self._layout = header["arrays"]
        self._cache: dict[str, np.ndarray] = {}
        self._decoded: dict[tuple[str, int, int], list[str]] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        found = self._cache.get(name)
        if found is None:
            dtype, shape, offset = self._layout[name]
            count = int(np.prod(shape)) if shape else 1
            found = np.frombuffer(
                self._map, dtype=np.dtype(dtype), count=count, offset=self._start + offset
            ).reshape(shape)
            self._cache[name] = found
        return found

    def strings(self, name: str) -> tuple[memoryview, np.ndarray]:
        return memoryview(cast(Any, self[name])).cast("B"), self[f"{name}.offsets"]

    def find(self, name: str, key: bytes) -> int:
        """The index of ``key`` among the sorted strings ``name``, or -1."""
        blob, offsets = self.strings(name)
        at = bisect_left(_Strings(blob, offsets), key)
        if at < len(offsets) - 1 and blob[offsets[at] : offsets[at + 1]] == key:
            return at
        return -1

    def starting(self, name: str, prefix: bytes) -> range:
        """The indexes of the strings ``name`` that start with ``prefix``."""
        blob, offsets = self.strings(name)
        strings = _Strings(blob, offsets)
        # UTF-8 has no byte 0xff: every string that starts with the prefix sorts before this.
        return range(bisect_left(strings, prefix), bisect_left(strings, prefix + b"\xff"))

    def decoded(self, name: str, at: range) -> list[str]:
        """The strings ``name`` at these indexes, as text (kept for the next call)."""
        key = (name, at.start, at.stop)
        found = self._decoded.get(key)
        if found is None:
            blob, offsets = self.strings(name)
            found = [bytes(blob[offsets[i] : offsets[i + 1]]).decode("utf-8") for i in at]
            if len(self._decoded) > 64:
                self._decoded.clear()
            self._decoded[key] = found
        return found

    def string(self, name: str, at: int) -> bytes:
        blob, offsets = self.strings(name)
        return bytes(blob[offsets[at] : offsets[at + 1]])

    def lookup(self, field: str, terms: list[bytes]) -> np.ndarray:
        """Where each term stands among the field's terms (-1 if absent), by hash."""
        sorted_hashes = self[f"{field}.hashes"]
        if not len(terms) or not len(sorted_hashes):
            return np.full(len(terms), -1, dtype=np.int64)
        wanted = hashed(terms)
        at = np.minimum(np.searchsorted(sorted_hashes, wanted), len(sorted_hashes) - 1)
        found = np.where(sorted_hashes[at] == wanted, self[f"{field}.hashed"][at], -1)
        blob, offsets = self.strings(f"{field}.terms")
        for i in np.flatnonzero(found >= 0):  # a hash can be shared: check the word
            n = int(found[i])
            if blob[offsets[n] : offsets[n + 1]] != terms[i]:
                found[i] = self.find(f"{field}.terms", terms[i])
        return found

    def frequencies(self, field: str, terms: list[bytes]) -> np.ndarray:
        """How often each term occurs in the field over every article."""
        at, totals = self.lookup(field, terms), self[f"{field}.cf"]
        if not len(totals):
            return np.zeros(len(terms))
        return np.where(at >= 0, totals[np.maximum(at, 0)], 0).astype(np.float64)

    def where(self, field: str, term: bytes) -> int:
        """Where one term stands among the field's terms (-1 if absent): the
        lookup of one term, without the arrays that lookup() makes for many."""
        sorted_hashes = self[f"{field}.hashes"]
        wanted = int.from_bytes(blake2b(term, digest_size=8).digest(), "little")
        at = int(sorted_hashes.searchsorted(np.uint64(wanted)))
        if at == len(sorted_hashes) or int(sorted_hashes[at]) != wanted:
            return -1
        n = int(self[f"{field}.hashed"][at])
        blob, offsets = self.strings(f"{field}.terms")
        if blob[offsets[n] : offsets[n + 1]] == term:
            return n
        return self.find(f"{field}.terms", term)  # another term with the same hash

    def values(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """A value field's postings: where each value's articles start, and the articles."""
        return self[f"{field}.postings"], self[f"{field}.docs"]

    def value(self, field: str, at: int) -> str:
        return self.string(f"{field}.terms", at).decode("utf-8")

    def postings(self, field: str, term: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The article numbers and term frequencies of a term in a field."""
        at = self.where(field, term)
        if at < 0:
            return _NO_DOCS, _NO_TFS
        bounds = self[f"{field}.postings"]
        start, end = int(bounds[at]), int(bounds[at + 1])
        return self[f"{field}.docs"][start:end], self[f"{field}.tfs"][start:end]


def for_segment(reader: Any) -> SegmentArrays | None:
    """The arrays of a Whoosh segment reader's segment, if it has them."""
    folder = segment_folder(reader)
    if folder is None or not hasattr(reader, "segment"):
        return None
    found = open_arrays(path_for(folder, reader.segment().segment_id()))
    return found if found is not None and found.documents == reader.doc_count_all() else None


def words_starting(reader: Any, fieldname: str, prefix: str) -> list[str] | None:
    """A segment's words of a field that start with ``prefix``, from its
    arrays; None when it has none (then Whoosh's lexicon is read)."""
    arrays = for_segment(reader)
    if arrays is None:
        return None
    name = f"{fieldname}.terms"
    return arrays.decoded(name, arrays.starting(name, prefix.encode("utf-8")))


class ReaderArrays:
    """The same arrays read from a segment through Whoosh, as they are asked
    for: for a segment without its file (an index made by an earlier version,
    or one that cannot be written)."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.documents = reader.doc_count_all()
        self._cache: dict[str, np.ndarray] = {}
        self._values: dict[str, list[str]] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        from archive.whoosh_ext import derive

        found = self._cache.get(name)
        if found is None:
            if name.endswith(".lengths"):
                found = derive.lengths(self.reader, name.removesuffix(".lengths"))
            elif name == "date":
                found = derive.column(self.reader, "date", np.uint64, NO_DATE)
            elif name == "cluster":
                found = derive.column(self.reader, "cluster", np.uint64, 0)
            else:
                raise KeyError(name)
            self._cache[name] = found
        return found

    def postings(self, field: str, term: bytes) -> tuple[np.ndarray, np.ndarray]:
        from archive.whoosh_ext import derive

        docs, tfs = derive.term_postings(self.reader, field, term)
        if not len(docs):
            return _NO_DOCS, _NO_TFS
        return np.asarray(docs, dtype=np.int32), np.asarray(tfs, dtype=np.float32)

    def frequencies(self, field: str, terms: list[bytes]) -> np.ndarray:
        from archive.whoosh_ext import derive

        return np.array([sum(derive.term_postings(self.reader, field, t)[1]) for t in terms])

    def values(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        from archive.whoosh_ext import derive

        if field not in self._values:
            terms, offsets, docs, _ = derive.postings(self.reader, field)
            self._values[field] = [term.decode("utf-8") for term in terms]
            self._cache[f"{field}.postings"], self._cache[f"{field}.docs"] = offsets, docs
        return self._cache[f"{field}.postings"], self._cache[f"{field}.docs"]

    def value(self, field: str, at: int) -> str:
        return self._values[field][at]


Arrays = SegmentArrays | ReaderArrays


_NO_DOCS = np.zeros(0, dtype=np.int32)
_NO_TFS = np.zeros(0, dtype=np.float32)


class _Strings:
    """A sorted blob of strings as a sequence, for bisect."""

    def __init__(self, blob: memoryview, offsets: np.ndarray) -> None:
        self.blob, self.offsets = blob, offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, at: int) -> bytes:
        return bytes(self.blob[int(self.offsets[at]) : int(self.offsets[at + 1])])


_OPEN: dict[Path, SegmentArrays] = {}


def open_arrays(path: Path) -> SegmentArrays | None:
    """The arrays at ``path`` (kept open for the process), or None if missing or unreadable."""
    found = _OPEN.get(path)
    if found is None:
        try:
            found = SegmentArrays(path)
        except (OSError, ValueError, KeyError):
            return None
        for known in list(_OPEN):  # a copy: the shell's preview thread opens arrays too
            if not known.exists():
                _OPEN.pop(known, None)  # its segment was merged away: let its space go
        if len(_OPEN) > 256:
            _OPEN.clear()
        _OPEN[path] = found
    return found
