"""Each segment's posting lists as arrays, written with the segment.

Whoosh's segments are the record; the archive searches a copy of what it
needs as arrays, in a file beside each segment (``<segment>.arrays``, named
like the segment's own files so that it goes with them), written by the
same writer from the same lists (archive.index.builder): for the title and
body, the sorted terms, each term's postings (article numbers and term
frequencies, and each posting's positions), each term's frequency over
every article and hash (to look many up at once), and each article's field
lengths; which articles hold each value of the fields counted beside the
hits (source, authors, tags, language); each article's story cluster, date, text
hash and near-duplicate band keys; and the words as written, per field and
all together, with how many articles hold each (for spelling help,
completion, variants and fuzzy terms). archive.search.engine evaluates
queries over them, a whole posting list at a time.

The file is a small JSON header and the arrays, each aligned, read through a
memory map (nothing is copied until used). It is written atomically, before
the segment is committed: a segment without its arrays is damaged.
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
from archive.whoosh_ext.segments import segment_folder

SUFFIX = ".arrays"
MAGIC = b"ARCHIVE-ARRAYS\n"
FORMAT = 9
ALIGN = 64
TEXT_FIELDS = ("title", "body")
# Fields whose values are counted beside the hits (facets): each value a term.
VALUE_FIELDS = ("source", "author_values", "tag_values", "language")
LIST_SEPARATOR = ";"  # authors and tags are stored joined with this


def path_for(index: Path, segment_id: str) -> Path:
    return index / f"{segment_id}{SUFFIX}"


# -- making ------------------------------------------------------------------------


def hashed(terms: list[bytes]) -> np.ndarray:
    """A 64-bit hash of each term, the same in every process."""
    return np.array(
        [int.from_bytes(blake2b(term, digest_size=8).digest(), "little") for term in terms],
        dtype=np.uint64,
    )


def narrowest(counts: np.ndarray) -> np.ndarray:
    """Counts (none negative) in the narrowest unsigned type that holds them:
    most term frequencies and positions fit a byte or two."""
    top = int(counts.max()) if len(counts) else 0
    for kind in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(kind).max:
            return counts.astype(kind)
    return counts.astype(np.int64)


def places(values: np.ndarray) -> np.ndarray:
    """Offsets into other arrays in 32 bits, where they fit (they do but in
    a segment of billions of words)."""
    top = int(values.max()) if len(values) else 0
    return values.astype(np.int32 if top < 2**31 else np.int64)


def strings(name: str, items: list[bytes]) -> dict[str, np.ndarray]:
    """Sorted byte strings as one blob and the offsets into it."""
    offsets = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum([len(item) for item in items], out=offsets[1:])
    blob = np.frombuffer(b"".join(items), dtype=np.uint8)
    return {name: blob, f"{name}.offsets": places(offsets)}


def hashed_terms(
    field: str, terms: list[bytes], offsets: np.ndarray, tfs: np.ndarray
) -> dict[str, np.ndarray]:
    """Each term's hash, sorted, with the term it stands for (to look many
    terms up at once), and each term's frequency over every article."""
    hashes = hashed(terms)
    order = np.argsort(hashes, kind="stable")
    totals = np.add.reduceat(tfs, offsets[:-1]) if len(terms) else np.zeros(0, np.float32)
    return {
        f"{field}.hashes": hashes[order],
        f"{field}.hashed": places(order),
        f"{field}.cf": totals.astype(np.float32),
    }


def decoded_lengths(lengths: np.ndarray) -> np.ndarray:
    """Field lengths as Whoosh keeps them: coded in a byte, read back."""
    from whoosh.util.numeric import _length_byte_cache, byte_to_length

    coded = np.minimum(np.searchsorted(np.asarray(_length_byte_cache), lengths), 255)
    table = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)
    table[0] = 0  # no such field in the article
    return table[coded]


def vocabulary_arrays(fields: dict[str, Any]) -> dict[str, np.ndarray]:
    """The words as written of every field together, each with the most
    articles any one field has it in."""
    merged: dict[str, int] = {}
    for counts in fields.values():
        for word, count in counts.items():
            merged[word] = max(merged.get(word, 0), count)
    ordered = sorted(merged, key=lambda w: w.encode("utf-8"))
    return {
        **strings("words", [w.encode("utf-8") for w in ordered]),
        "words.df": np.array([merged[w] for w in ordered], dtype=np.int32),
    }


def split_values(value: Any) -> list[str]:
    """A field's values: a list's, a ';'-joined text's, or one text's."""
    if not value:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v]
    return [part for part in str(value).split(LIST_SEPARATOR) if part]


def value_postings(field: str, pairs: list[tuple[str, int]]) -> dict[str, np.ndarray]:
    """Which articles hold each value: values sorted, each value's articles ascending."""
    pairs = sorted(set(pairs), key=lambda p: (p[0].encode("utf-8"), p[1]))
    values = sorted({v for v, _ in pairs}, key=lambda v: v.encode("utf-8"))
    where = {v: i for i, v in enumerate(values)}
    numbers = np.array([where[v] for v, _ in pairs], dtype=np.int64)
    return {
        **strings(f"{field}.terms", [v.encode("utf-8") for v in values]),
        f"{field}.postings": places(np.searchsorted(numbers, np.arange(len(values) + 1))),
        f"{field}.docs": np.array([d for _, d in pairs], dtype=np.int32),
    }


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
                data = np.ascontiguousarray(array).view(np.uint8).data
                out.write(data)
                out.write(b"\0" * (_aligned(len(data)) - len(data)))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _aligned(size: int) -> int:
    return -(-size // ALIGN) * ALIGN


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

    def positions(self, field: str, term: bytes, docnums: np.ndarray) -> np.ndarray:
        """Where a term stands in each of ``docnums`` (ascending) that holds
        it, as keys: the article number << 32 | the position, sorted."""
        at = self.where(field, term)
        if at < 0 or not len(docnums):
            return np.zeros(0, np.int64)
        bounds = self[f"{field}.postings"]
        start, end = int(bounds[at]), int(bounds[at + 1])
        docs = self[f"{field}.docs"][start:end]
        where = np.searchsorted(docs, docnums)
        held = where < len(docs)
        held[held] = docs[where[held]] == docnums[held]
        # The term's positions begin at termpositions[at], posting after posting.
        counts_all = self[f"{field}.tfs"][start:end].astype(np.int64)
        ends = int(self[f"{field}.termpositions"][at]) + np.cumsum(counts_all)
        counts = counts_all[where[held]]
        first = ends[where[held]] - counts
        flat = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        places = self[f"{field}.positions"][flat].astype(np.int64)
        return np.repeat(docnums[held].astype(np.int64), counts) << 32 | places

    def written(self, field: str, word: str) -> np.ndarray:
        """The articles of the segment holding ``word`` as written (folded) in
        a field (title or body)."""
        name = VOCABULARY_FIELDS[TEXT_FIELDS.index(field)]
        at = self.find(f"{name}.terms", word.encode("utf-8"))
        if at < 0:
            return _NO_DOCS
        bounds = self[f"{name}.postings"]
        return self[f"{name}.docs"][int(bounds[at]) : int(bounds[at + 1])]

    def postings(self, field: str, term: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The article numbers and term frequencies of a term in a field."""
        at = self.where(field, term)
        if at < 0:
            return _NO_DOCS, _NO_TFS
        bounds = self[f"{field}.postings"]
        start, end = int(bounds[at]), int(bounds[at + 1])
        return self[f"{field}.docs"][start:end], self[f"{field}.tfs"][start:end].astype(np.float32)


# -- duplicates: exact (by text hash) and near (by band key) -------------------------


def holding(arrays: SegmentArrays, text_hash: str) -> np.ndarray:
    """The articles of the segment whose exact text hashes to ``text_hash``."""
    keys = arrays["text_hash.keys"]
    wanted = np.uint64(int(text_hash[:16], 16))
    start = int(np.searchsorted(keys, wanted, side="left"))
    stop = int(np.searchsorted(keys, wanted, side="right"))
    return arrays["text_hash.docs"][start:stop]


def sharing(arrays: SegmentArrays, keys: list[int]) -> np.ndarray:
    """The articles of the segment with any of these LSH band keys, once
    for each key they share."""
    return owners(arrays["bands.keys"], arrays["bands.docs"], keys)


def owners(held: np.ndarray, docs: np.ndarray, keys: list[int]) -> np.ndarray:
    """``docs[i]`` for each ``held[i]`` (sorted) equal to one of ``keys``, once
    for each key. Most keys are held by none: one search tells which are."""
    if not len(held) or not keys:
        return _NO_DOCS
    wanted = np.array(keys, dtype=held.dtype)
    starts = np.searchsorted(held, wanted, side="left")
    inside = starts < len(held)
    present = np.flatnonzero(inside & (held[np.minimum(starts, len(held) - 1)] == wanted))
    if not len(present):
        return _NO_DOCS
    stops = np.searchsorted(held, wanted[present], side="right")
    found = [docs[a:b] for a, b in zip(starts[present].tolist(), stops.tolist(), strict=True)]
    return np.concatenate(found) if len(found) > 1 else found[0]


def for_segment(reader: Any) -> SegmentArrays | None:
    """The arrays of a Whoosh segment reader's segment, if it has them."""
    folder = segment_folder(reader)
    if folder is None or not hasattr(reader, "segment"):
        return None
    found = open_arrays(path_for(folder, reader.segment().segment_id()))
    return found if found is not None and found.documents == reader.doc_count_all() else None


def missing_arrays(reader: Any) -> Exception:
    """The error of a segment without its arrays: the index is damaged."""
    from archive.errors import IndexUnreadable

    name = reader.segment().segment_id() if hasattr(reader, "segment") else "a segment"
    return IndexUnreadable(
        f"the arrays of {name} are missing or unreadable: the index is damaged",
        hint="'archive rebuild' re-creates it from its sources",
    )


def words_starting(reader: Any, fieldname: str, prefix: str) -> list[str] | None:
    """A segment's words as written in a field (title or body) that start
    with ``prefix``, from its arrays; None when it has none (then Whoosh's
    lexicon is read)."""
    arrays = for_segment(reader)
    if arrays is None or fieldname not in TEXT_FIELDS:
        return None
    name = f"{VOCABULARY_FIELDS[TEXT_FIELDS.index(fieldname)]}.terms"
    return arrays.decoded(name, arrays.starting(name, prefix.encode("utf-8")))


Arrays = SegmentArrays


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


# Files of arrays are never changed once written (a segment's are written
# with it), so an open one serves every reader of the process while the same
# file is there: keyed by its path and its identity on disk.
_OPEN: dict[Path, tuple[tuple[int, int], SegmentArrays]] = {}


def open_arrays(path: Path) -> SegmentArrays | None:
    """The arrays at ``path`` (kept open for the process), or None if missing or unreadable."""
    try:
        seen = path.stat()
    except OSError:
        _OPEN.pop(path, None)
        return None
    identity = (seen.st_ino, seen.st_mtime_ns)
    known = _OPEN.get(path)
    if known is not None and known[0] == identity:
        return known[1]
    try:
        found = SegmentArrays(path)
    except (OSError, ValueError, KeyError):
        return None
    for other in list(_OPEN):  # a copy: the shell's preview thread opens arrays too
        if not other.exists():
            _OPEN.pop(other, None)  # its segment was merged away: let its space go
    if len(_OPEN) > 256:
        _OPEN.clear()
    _OPEN[path] = (identity, found)
    return found
