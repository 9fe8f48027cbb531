"""A Whoosh segment read whole into arrays: posting lists, field lengths, columns
and the vocabulary of words as written.

The archive searches a copy of each segment's posting lists held as arrays
(archive.index.derived), made once when the segment is committed; this reads
them from the segment, a block at a time, deleted articles included (the
searcher masks them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from archive.whoosh_ext import Internal, uses
from archive.whoosh_ext.lengths import DECODED

uses(
    Internal("whoosh.reading:SegmentReader", "_terms", "attribute"),
    Internal(
        "whoosh.codec.whoosh3:W3TermsReader",
        "matcher",
        "method",
        ("fieldname", "tbytes", "format_"),
    ),
    Internal("whoosh.codec.whoosh3:W3TermsReader", "term_info", "method", ("fieldname", "tbytes")),
    Internal("whoosh.codec.whoosh3:W3TermInfo", "is_inlined", "method"),
    Internal("whoosh.codec.whoosh3:W3TermInfo", "inlined_postings", "method"),
    Internal("whoosh.codec.whoosh3:W3LeafMatcher", "_read_ids", "method"),
    Internal("whoosh.codec.whoosh3:W3LeafMatcher", "_read_weights", "method"),
    Internal("whoosh.codec.whoosh3:W3LeafMatcher", "_ids", "attribute"),
    Internal("whoosh.codec.whoosh3:W3LeafMatcher", "_weights", "attribute"),
    Internal("whoosh.codec.whoosh3:W3LeafMatcher", "_atend", "attribute"),
)

_DECODED = np.array(DECODED, dtype=np.float32)
_DECODED[0] = 0  # no such field in the article


def postings(reader: Any, fieldname: str) -> tuple[list[bytes], np.ndarray, np.ndarray, np.ndarray]:
    """Every term of a field of one segment, in the index's order (bytes), with
    the offsets of each term's postings in the arrays of article numbers and
    term frequencies."""
    form = reader.schema[fieldname].format
    terms: list[bytes] = []
    offsets = [0]
    docs: list[Any] = []
    tfs: list[Any] = []
    for text, info in reader.iter_field(fieldname):
        raw = text if isinstance(text, bytes) else text.encode("utf-8")
        ids, weights = _read(reader, fieldname, raw, info, form)
        terms.append(raw)
        docs.append(ids)
        tfs.append(weights)
        offsets.append(offsets[-1] + len(ids))
    joined_docs = np.fromiter(_chain(docs), dtype=np.int32, count=offsets[-1])
    joined_tfs = np.fromiter(_chain(tfs), dtype=np.float32, count=offsets[-1])
    return terms, np.array(offsets, dtype=np.int64), joined_docs, joined_tfs


def term_info(reader: Any, fieldname: str, raw: bytes) -> Any:
    """A term's information in one segment (Whoosh's W3TermInfo), or None."""
    from whoosh.reading import TermNotFound

    try:
        return reader._terms.term_info(fieldname, raw)
    except TermNotFound:
        return None


def term_matcher(reader: Any, fieldname: str, raw: bytes) -> Any:
    """Whoosh's block matcher over a term's postings in one segment."""
    return reader._terms.matcher(fieldname, raw, reader.schema[fieldname].format)


def term_postings(reader: Any, fieldname: str, raw: bytes) -> tuple[Any, Any]:
    """One term's article numbers and frequencies in one segment (deleted
    articles included), or two empty lists."""
    info = term_info(reader, fieldname, raw)
    if info is None:
        return [], []
    return _read(reader, fieldname, raw, info, reader.schema[fieldname].format)


def _read(reader: Any, fieldname: str, raw: bytes, info: Any, form: Any) -> tuple[Any, Any]:
    if info.is_inlined():
        inlined_ids, inlined_weights, _ = info.inlined_postings()
        return inlined_ids, inlined_weights
    matcher = reader._terms.matcher(fieldname, raw, form)
    ids: list[int] = []
    weights: list[float] = []
    while not matcher._atend and matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        ids.extend(matcher._ids)
        weights.extend(matcher._weights)
        matcher._next_block()
    return ids, weights


def _chain(parts: list[Any]) -> Iterator[Any]:
    for part in parts:
        yield from part


def lengths(reader: Any, fieldname: str) -> np.ndarray:
    """Each article's length in the field, as Whoosh stores it (a byte, decoded)."""
    from archive.whoosh_ext.lengths import length_bytes

    stored = length_bytes(reader, fieldname)
    count = reader.doc_count_all()
    if stored is None:
        return np.array(
            [reader.doc_field_length(n, fieldname, 0) for n in range(count)], np.float32
        )
    coded = np.zeros(count, dtype=np.uint8)
    known = np.frombuffer(stored, dtype=np.uint8)[:count]
    coded[: len(known)] = known
    return _DECODED[coded]


def column(reader: Any, name: str, dtype: Any, default: int) -> np.ndarray:
    """A column of one segment as an array (``default`` where a segment has none)."""
    count = reader.doc_count_all()
    if not reader.has_column(name):
        return np.full(count, default, dtype=dtype)
    values = reader.column_reader(name, translate=False)
    if dtype == np.uint64 and count and isinstance(values[0], bytes):
        return np.frombuffer(b"".join(values[n] for n in range(count)), dtype="<u8").copy()
    return np.fromiter((values[n] for n in range(count)), dtype=dtype, count=count)


def field_terms(reader: Any, fieldname: str) -> tuple[list[bytes], list[int]]:
    """A field's terms in one segment, sorted, with how many articles hold
    each (none if the schema lacks the field)."""
    terms: list[bytes] = []
    frequencies: list[int] = []
    if fieldname in reader.schema:
        for text, info in reader.iter_field(fieldname):
            terms.append(text if isinstance(text, bytes) else text.encode("utf-8"))
            frequencies.append(info.doc_frequency())
    return terms, frequencies


def vocabulary(reader: Any, fieldnames: tuple[str, ...]) -> dict[str, int]:
    """Words as written in these fields, with the articles that hold each."""
    found: dict[str, int] = {}
    for fieldname in fieldnames:
        if fieldname not in reader.schema:
            continue
        for text, info in reader.iter_field(fieldname):
            word = text.decode("utf-8") if isinstance(text, bytes) else text
            found[word] = max(found.get(word, 0), info.doc_frequency())
    return found
