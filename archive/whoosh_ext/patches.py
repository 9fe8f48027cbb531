"""Small corrections to Whoosh 2.7, applied when an index is first opened or made.

Lengths. Whoosh caches the per-segment reader of a field's length column, but not the
fact that a field has no such column (ID, KEYWORD and stored-only fields).
It then asks the file system again for every posting it writes or scores:
profiling a 10,000-article build showed 820,000 ``stat`` calls, a third of
the commit. Remembering the absence as well removes them; nothing else
changes (a segment's files never change once written).

Segment files. A segment is one compound file, mapped into memory; Whoosh
opens each file inside it (postings, terms, columns) as ``BytesIO(view)``,
which copies the whole file into the heap. Every searcher so copied the
whole index: at 40,000 articles, 44 MB in the indexing process, which also
keeps a searcher open; more for each search process. Here the files are read
from the mapping in place.

Column offsets. A column of byte strings (the stored fields among them) keeps
where each document's value starts only in segments of more than 32,768
documents; for smaller ones Whoosh adds up the lengths in a Python loop each
time a reader opens the column: about 2 ms a segment of 25,000 articles,
paid by every one-shot command that shows a hit. Here they are added up in C.
"""

from __future__ import annotations

import os
import struct
from array import array
from itertools import accumulate
from typing import Any

from whoosh import columns
from whoosh.codec import whoosh3
from whoosh.filedb import compound, structfile

from archive.whoosh_ext import Internal, uses

uses(
    Internal(
        "whoosh.codec.whoosh3:W3PerDocReader", "_cached_reader", "method", ("fieldname", "column")
    ),
    Internal("whoosh.codec.whoosh3:W3PerDocReader", "_readers", "attribute"),
    Internal("whoosh.filedb.compound:CompoundStorage", "open_file", "method", ("name",)),
    Internal("whoosh.filedb.compound:CompoundStorage", "_source", "attribute"),
    Internal("whoosh.filedb.compound:CompoundStorage", "range", "method", ("name",)),
    Internal("whoosh.filedb.compound:CompoundStorage", "is_closed", "attribute"),
    Internal("whoosh.filedb.structfile:BufferFile", "_buf", "attribute"),
    Internal("whoosh.columns:VarBytesColumn.Reader", "_read_offsets_and_lengths", "method"),
    *(
        Internal("whoosh.columns:VarBytesColumn.Reader", name, "attribute")
        for name in ("_dbfile", "_basepos", "_length", "_doccount", "_offsets", "_lengths")
    ),
)


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    readers = self._readers
    if fieldname not in readers:
        readers[fieldname] = (
            self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        )
    return readers[fieldname]


class _ViewReader:
    """The read side of a file over a memoryview, without copying it."""

    __slots__ = ("_pos", "_view")

    def __init__(self, view: memoryview) -> None:
        self._view: memoryview | None = view
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        view = self._open()
        start = self._pos
        end = len(view) if size is None or size < 0 else min(len(view), start + size)
        self._pos = max(start, end)
        return view[start:end].tobytes()

    def readline(self, size: int | None = -1) -> bytes:
        view = self._open()
        end = len(view) if size is None or size < 0 else min(len(view), self._pos + size)
        line = bytearray()
        while self._pos < end:
            chunk = view[self._pos : min(end, self._pos + 256)].tobytes()
            newline = chunk.find(b"\n")
            if newline >= 0:
                chunk = chunk[: newline + 1]
            line += chunk
            self._pos += len(chunk)
            if newline >= 0:
                break
        return bytes(line)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: len(self._open())}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._view = None

    def _open(self) -> memoryview:
        if self._view is None:
            raise ValueError("I/O operation on closed file")
        return self._view


class _MappedFile(structfile.BufferFile):
    def __init__(self, view: memoryview, name: str | None = None) -> None:
        super().__init__(b"", name=name)
        self._buf = view
        self.file = _ViewReader(view)


def _open_in_place(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    if self._source is None:
        return _copying_open(self, name, *args, **kwargs)
    if self.is_closed:
        raise compound.StorageError("Storage was closed")
    offset, length = self.range(name)
    return _MappedFile(memoryview(self._source)[offset : offset + length], name=name)


_copying_open = compound.CompoundStorage.open_file


def _read_offsets_and_lengths(self: Any) -> None:
    """Whoosh's reading of a column's lengths and offsets, the offsets (when
    the segment did not store them) added up by ``accumulate``."""
    dbfile, doccount = self._dbfile, self._doccount
    lastbyte = self._basepos + self._length - 1  # the lengths' type code
    lens_code = chr(dbfile.get_byte(lastbyte))
    offsets = None
    if lens_code == "X":  # offsets stored: then their type code, before it the lengths'
        self.had_stored_offsets = True
        lens_code = chr(dbfile.get_byte(lastbyte - 2))
        offsets_code = chr(dbfile.get_byte(lastbyte - 1))
        lastbyte = (lastbyte - 2) - doccount * struct.calcsize(offsets_code)
        offsets = dbfile.get_array(lastbyte, offsets_code, doccount)
    lengths_start = lastbyte - struct.calcsize(lens_code) * doccount
    lengths = dbfile.get_array(lengths_start, lens_code, doccount)
    if offsets is None:
        offsets = array("L", accumulate(lengths, initial=0))
        offsets.pop()  # the end of the last value
    self._offsets = offsets
    self._lengths = lengths


def apply() -> None:
    """Correct Whoosh (once): the archive does so when it opens or creates an
    index, not when it is imported."""
    whoosh3.W3PerDocReader._cached_reader = _cached_reader
    compound.CompoundStorage.open_file = _open_in_place
    columns.VarBytesColumn.Reader._read_offsets_and_lengths = _read_offsets_and_lengths
