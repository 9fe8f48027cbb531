"""A segment's field lengths, read as the bytes Whoosh stores them in.

Scoring a match needs the length of the field in that article. Whoosh asks
for it through five layers of calls (searcher, reader, per-document reader,
column, struct) for every match scored; a query that matches 8,000 articles
spent a fifth of its time there. Here a segment's lengths are read once per
searcher, as the bytes they are stored as, and looked up directly.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length

from archive.whoosh_ext import Internal, uses

uses(
    Internal("whoosh.reading:SegmentReader", "_perdoc", "attribute"),
    Internal(
        "whoosh.codec.whoosh3:W3PerDocReader", "_cached_reader", "method", ("fieldname", "column")
    ),
    Internal("whoosh.codec.whoosh3", "_lenfield", "function", ("fieldname",)),
    Internal("whoosh.codec.whoosh3", "LENGTHS_COLUMN", "attribute"),
    Internal("whoosh.columns:FixedBytesColumn.Reader", "_dbfile", "attribute"),
    Internal("whoosh.columns:FixedBytesColumn.Reader", "_basepos", "attribute"),
    Internal("whoosh.columns:FixedBytesColumn.Reader", "_count", "attribute"),
)

# Length byte -> field length, as Whoosh decodes it; 1 for an article without
# the field (the scorer's default).
DECODED = [byte_to_length(byte) or 1 for byte in range(256)]
_LENGTHS: weakref.WeakKeyDictionary[Any, dict[str, Callable[[int], float]]] = (
    weakref.WeakKeyDictionary()
)


def length_bytes(reader: Any, fieldname: str) -> bytes | None:
    """A segment's length bytes for a field, as stored (None if not a plain segment)."""
    try:
        column = reader._perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        return bytes(column._dbfile.get(column._basepos, column._count)) if column else b""
    except AttributeError:
        return None


def field_lengths(reader: Any, fieldname: str) -> Callable[[int], float] | None:
    """A fast ``docnum -> length of the field`` for one segment, or None when
    the reader is not a plain Whoosh 3 segment (Whoosh's own lookup is used)."""
    try:
        known = _LENGTHS.setdefault(reader, {})
    except TypeError:
        return None
    if fieldname not in known:
        try:
            column = reader._perdoc._cached_reader(
                whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN
            )
            stored = column._dbfile.get(column._basepos, column._count) if column else b""
        except AttributeError:
            return None
        count = len(stored)

        def length(docnum: int) -> float:
            return DECODED[stored[docnum]] if docnum < count else 1

        known[fieldname] = length
    return known[fieldname]
