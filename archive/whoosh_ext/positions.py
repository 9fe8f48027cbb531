"""Where a word stands in some articles of a segment, read a block at a time.

A phrase is checked only for the articles holding all its words, but
moving Whoosh's matcher to each of them (``skip_to``, then ``value_as``)
cost several Python calls per posting passed over: at 120,000 articles,
most of a phrase search. Here each block of the word's postings is read
once, blocks without a wanted article are passed over on their header
alone, and only the wanted articles' positions are decoded, all in one
unpickling (each is a small pickle of its own).

Positions come back flat, as keys: the article number times 2**32 plus
the position, so that a phrase is checked with array operations.
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from collections.abc import Iterator
from itertools import chain
from typing import Any

import numpy as np

from archive.whoosh_ext import Internal, uses
from archive.whoosh_ext.derive import term_info, term_matcher

uses(  # besides the term access of archive.whoosh_ext.derive
    Internal("whoosh.codec.whoosh3:W3LeafMatcher", "_postfile", "attribute"),
    Internal("whoosh.codec.whoosh3:W3LeafMatcher", "_baseoffset", "attribute"),
)

_LENGTH = struct.Struct("!i")  # a block's length; negative for the last block


SHIFT = 32  # a key is the article number << SHIFT | the position


def positions(reader: Any, fieldname: str, word: str, docnums: np.ndarray) -> np.ndarray:
    """The keys of the word's positions in each of ``docnums`` (ascending,
    the segment's numbering), sorted."""
    raw = word.encode("utf-8")
    info = term_info(reader, fieldname, raw)
    if info is None:
        return np.zeros(0, np.int64)
    docs: list[np.ndarray] = []
    values: list[bytes] = []
    if info.is_inlined():
        ids, _, inlined = info.inlined_postings()
        _pick(list(ids), inlined, docnums, 0, docs, values)
    else:
        at = 0  # the first wanted article not yet passed
        for last_id, data in blocks(term_matcher(reader, fieldname, raw)):
            if docnums[at] <= last_id:  # this block may hold some: read it
                gaps, _, block_values = data()
                at = _pick(np.cumsum(gaps), block_values, docnums, at, docs, values)
                if at == len(docnums):
                    break
    return _keys(np.concatenate(docs) if docs else np.zeros(0, np.int64), values)


def blocks(matcher: Any) -> Iterator[tuple[int, Any]]:
    """A term's posting blocks, from a Whoosh matcher: each block's last
    article number, and a function giving its data (the gaps between its
    article numbers, its weights, its values). Whoosh's own reader of a
    block header makes a dozen Python calls; this makes one."""
    postfile = matcher._postfile
    view = postfile._buf if isinstance(getattr(postfile, "_buf", None), memoryview) else None
    position = matcher._baseoffset
    while True:
        if view is not None:
            (length,) = _LENGTH.unpack_from(view, position)
            chunk = view[position + 4 : position + 4 + abs(length)]
        else:
            length = postfile.get_int(position)
            chunk = postfile.get(position + 4, abs(length))
        stream = io.BytesIO(chunk)
        _, last_id, _, compressed, _, _ = pickle.load(stream)  # the block's header
        start = stream.tell()

        def data(chunk: Any = chunk, start: int = start, compressed: int = compressed) -> Any:
            raw = chunk[start:]
            return pickle.loads(zlib.decompress(raw) if compressed else raw)

        yield last_id, data
        if length < 0:
            return
        position += 4 + abs(length)


def _pick(
    ids: Any, values: Any, docnums: np.ndarray, at: int, docs: list[np.ndarray], out: list[bytes]
) -> int:
    """Keep the values of the wanted articles among one block's postings;
    the index of the first wanted article past the block."""
    stop = int(np.searchsorted(docnums, ids[-1], side="right")) if len(ids) else at
    wanted = docnums[at:stop]
    where = np.searchsorted(ids, wanted)
    held = np.asarray(ids)[np.minimum(where, len(ids) - 1)] == wanted
    docs.append(wanted[held])
    out.extend(values[i] for i in where[held].tolist())
    return stop


def _keys(docs: np.ndarray, values: list[bytes]) -> np.ndarray:
    """Whoosh's Positions values (a count, then the pickled gaps between
    positions, the pickle's closing STOP byte dropped or not) as keys."""
    if not values:
        return np.zeros(0, np.int64)
    # Each value is a whole pickle of a list: between a MARK and a LIST
    # opcode, they unpickle at once as a list of lists.
    joined = b"".join(v[4:-1] if v.endswith(b".") else v[4:] for v in values)
    gaps = pickle.loads(b"\x80\x02(" + joined + b"l.")
    counts = np.fromiter(map(len, gaps), np.int64, count=len(gaps))
    flat = np.fromiter(chain.from_iterable(gaps), np.int64, count=int(counts.sum()))
    running = np.concatenate(([0], np.cumsum(flat)))
    starts = np.cumsum(counts) - counts  # where each article's gaps start in ``flat``
    before = np.repeat(running[starts], counts)  # the gaps of the articles before
    return (np.repeat(docs.astype(np.int64), counts) << SHIFT) | (running[1:] - before)
