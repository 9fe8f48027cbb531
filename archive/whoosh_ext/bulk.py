"""Whoosh segments written whole, from posting lists already sorted.

Whoosh's own writer takes a document at a time: it analyses each field into
Token objects, puts every posting into a pool, sorts the pool on disk and
writes the posting lists a posting at a time; at 10,000 articles that was
four fifths of a build. Here the archive hands over each field's posting
lists whole (terms sorted, each term's articles ascending, as arrays) and
they are written in Whoosh's own format (W3: the term index, the posting
blocks, the per-document columns), so that Whoosh, and the archive through
Whoosh, read the segment as one of its own.

Per-document values (stored fields, field lengths, columns) go through
Whoosh's per-document writer as each document arrives: they are small, and
its format is its own business.
"""

from __future__ import annotations

import pickle
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from archive.whoosh_ext import Internal, uses

uses(
    Internal(
        "whoosh.codec.whoosh3:W3Codec", "per_document_writer", "method", ("storage", "segment")
    ),
    Internal("whoosh.codec.whoosh3:W3Codec", "TERMS_EXT", "attribute"),
    Internal("whoosh.codec.whoosh3:W3Codec", "POSTS_EXT", "attribute"),
    Internal(
        "whoosh.codec.whoosh3:W3PerDocWriter",
        "add_field",
        "method",
        ("fieldname", "fieldobj", "value", "length"),
    ),
    Internal(
        "whoosh.codec.whoosh3:W3PerDocWriter",
        "add_column_value",
        "method",
        ("fieldname", "column", "value"),
    ),
    Internal("whoosh.codec.whoosh3:W3TermInfo", "set_extent", "method", ("offset", "length")),
    Internal("whoosh.codec.whoosh3:W3TermInfo", "to_bytes", "method"),
    Internal("whoosh.codec.whoosh3", "WHOOSH3_HEADER_MAGIC", "attribute"),
    Internal("whoosh.codec.whoosh3:W3Segment", "set_doc_count", "method", ("dc",)),
    Internal("whoosh.filedb.filetables:OrderedHashWriter", "add", "method", ("key", "value")),
    Internal("whoosh.reading:TermInfo", "_df", "attribute"),
    Internal("whoosh.reading:TermInfo", "_weight", "attribute"),
    Internal("whoosh.reading:TermInfo", "_minlength", "attribute"),
    Internal("whoosh.reading:TermInfo", "_maxlength", "attribute"),
    Internal("whoosh.reading:TermInfo", "_maxweight", "attribute"),
    Internal("whoosh.reading:TermInfo", "_minid", "attribute"),
    Internal("whoosh.reading:TermInfo", "_maxid", "attribute"),
)

BLOCK = 128  # postings a block, as Whoosh's codec writes them
COMPRESSION = 3  # zlib level of a block's data, as Whoosh's codec
_LENGTH_LIMITS: np.ndarray | None = None  # Whoosh's field length -> byte table


@dataclass
class FieldPostings:
    """Every posting list of one field of a segment, whole.

    ``values`` holds each posting's value bytes: None for a format without
    values (Existence), or a list of bytes (Positions); a format of fixed
    4-byte values (Frequency) gives the frequencies in ``frequencies``.
    """

    name: str
    terms: Sequence[bytes]  # sorted
    offsets: np.ndarray  # where each term's postings start (one more at the end)
    docs: np.ndarray  # article numbers, ascending within a term
    weights: np.ndarray  # each posting's weight
    frequencies: np.ndarray | None = None
    values: Sequence[bytes] | None = None


class SegmentWriter:
    """One new segment of an index: documents' values as they come, then
    every field's postings at once (``finish``)."""

    def __init__(self, ix: Any) -> None:
        self.storage = ix.storage
        self.schema = ix.schema
        self.codec = _codec()
        self.segment = self.codec.new_segment(self.storage, ix.indexname)
        # Its own temporary folder (Whoosh's writer shares one per index, which
        # writers in several processes cannot), named so that a killed run's
        # is cleaned away by the next writer.
        self._temporary = self.storage.temp_storage(f"{ix.indexname}_{self.segment_id}.tmp")
        self._perdoc = _per_document_writer(self.codec, self.storage, self.segment, self._temporary)
        self.count = 0

    @property
    def segment_id(self) -> str:
        return str(self.segment.segment_id())

    def add(self, stored: dict[str, Any], lengths: dict[str, int], columns: dict[str, Any]) -> int:
        """A document's stored fields, field lengths and column values; its number."""
        writer, schema = self._perdoc, self.schema
        writer.start_doc(self.count)
        for name in sorted(set(stored) | set(lengths)):
            writer.add_field(name, schema[name], stored.get(name), lengths.get(name, 0))
        for name, value in columns.items():
            field = schema[name]
            writer.add_column_value(name, field.column_type, field.to_column_value(value))
        writer.finish_doc()
        self.count += 1
        return self.count - 1

    def finish(self, fields: list[FieldPostings], lengths: dict[str, np.ndarray]) -> Any:
        """Write the postings and close the segment's files; the new segment.
        ``lengths`` gives each scored field's length per document."""
        self._perdoc.close()
        self.segment.set_doc_count(self.count)
        write_postings(self.storage, self.segment, fields, lengths)
        self.segment.create_compound_file(self.storage)  # one file, as Whoosh's writer leaves it
        self._temporary.destroy()
        return self.segment

    def cancel(self) -> None:
        if not self._perdoc.is_closed:
            self._perdoc.close()
        self._temporary.destroy()


def _per_document_writer(codec: Any, storage: Any, segment: Any, temporary: Any) -> Any:
    """Whoosh's per-document writer, its columns gathered in ``temporary``."""
    from whoosh.codec.whoosh3 import STORED_COLUMN, W3PerDocWriter
    from whoosh.filedb import compound

    class PerDocWriter(W3PerDocWriter):
        def __init__(self) -> None:  # as Whoosh's, but for the temporary folder
            self._codec, self._storage, self._segment = codec, storage, segment
            self._cols = compound.CompoundWriter(temporary)
            self._colwriters: dict[str, Any] = {}
            self._create_column("_stored", STORED_COLUMN)
            self._fieldlengths: dict[str, int] = defaultdict(int)
            self._doccount, self._docnum, self._storedfields = 0, None, None
            self._indoc, self.is_closed, self._vpostfile = False, False, None

    return PerDocWriter()


def _codec() -> Any:
    from whoosh.codec import default_codec

    return default_codec()


def write_postings(
    storage: Any, segment: Any, fields: list[FieldPostings], lengths: dict[str, np.ndarray]
) -> None:
    """The term index and posting blocks of a segment, fields in name order."""
    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.filedb.filetables import OrderedHashWriter

    index = OrderedHashWriter(segment.create_file(storage, W3Codec.TERMS_EXT))
    fieldmap: dict[str, int] = {}
    index.extras["fieldmap"] = fieldmap
    postfile = segment.create_file(storage, W3Codec.POSTS_EXT)
    try:
        offset = postfile.tell()  # then counted here: most terms are a few bytes
        for field in sorted(fields, key=lambda f: f.name):
            fieldmap[field.name] = number = len(fieldmap)
            prefix = number.to_bytes(2, "big")
            coded = _length_bytes(lengths.get(field.name))
            # Most terms hold a posting or two: plain lists beat NumPy calls there.
            offsets, docs, weights = field.offsets.tolist(), field.docs, field.weights
            for at, term in enumerate(field.terms):
                start, stop = offsets[at], offsets[at + 1]
                term_docs = docs[start:stop]
                bytes_of = coded[term_docs].tolist() if coded is not None else None
                written, info = _write_term(
                    field, start, term_docs.tolist(), weights[start:stop].tolist(), bytes_of
                )
                postfile.write(written)
                info.set_extent(offset, len(written))
                offset += len(written)
                index.add(prefix + term, bytes(info.to_bytes()))
    finally:
        index.close()
        postfile.close()


def _write_term(
    field: FieldPostings,
    start: int,
    docs: list[int],
    weights: list[float],
    bytes_of: list[int] | None,
) -> tuple[bytes, Any]:
    """One term's posting blocks, and its term info (its extent still to set)."""
    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo

    info = W3TermInfo()
    info._df, info._weight = len(docs), float(sum(weights))
    info._maxweight = float(max(weights))
    info._minid, info._maxid = docs[0], docs[-1]
    info._minlength = _byte_length(min(bytes_of)) if bytes_of is not None else None
    info._maxlength = _byte_length(max(bytes_of)) if bytes_of is not None else 0
    parts = [WHOOSH3_HEADER_MAGIC]
    for first in range(0, len(docs), BLOCK):
        last = min(first + BLOCK, len(docs))
        coded = bytes_of[first:last] if bytes_of is not None else None
        values = _values(field, start + first, start + last)
        block = (docs[first:last], weights[first:last], coded, values)
        parts.append(_block(*block, final=last == len(docs)))
    return b"".join(parts), info


def _block(
    docs: list[int],
    weights: list[float],
    coded: list[int] | None,
    values: Any,
    final: bool,
) -> bytes:
    """One block of postings, framed as Whoosh's W3 codec frames it."""
    gaps = tuple(d - p for p, d in zip([0, *docs[:-1]], docs, strict=True))  # from 0
    top = max(weights)
    if min(weights) == top:
        shown: Any = None if weights[0] == 1.0 else float(weights[0])
    else:
        shown = tuple(weights)
    data = zlib.compress(pickle.dumps((gaps, shown, values), 2), COMPRESSION)
    header = pickle.dumps(
        (
            len(docs),
            docs[-1],
            float(top),
            COMPRESSION,
            min(coded) if coded is not None else 0,
            max(coded) if coded is not None else 0,
        ),
        2,
    )
    size = len(header) + len(data)
    return (-size if final else size).to_bytes(4, "big", signed=True) + header + data


def _values(field: FieldPostings, first: int, last: int) -> Any:
    if field.frequencies is not None:
        return field.frequencies[first:last].astype(">u4").tobytes()
    if field.values is None:
        return None
    return tuple(field.values[first:last])


def _length_bytes(lengths: np.ndarray | None) -> np.ndarray | None:
    """Each document's field length as Whoosh codes it in a byte."""
    if lengths is None:
        return None
    from whoosh.util.numeric import _length_byte_cache

    table = np.asarray(_length_byte_cache)
    coded = np.searchsorted(table, lengths, side="left")
    return np.minimum(coded, 255).astype(np.uint8)


def _byte_length(coded: int) -> int:
    from whoosh.util.numeric import byte_to_length

    return int(byte_to_length(coded))
