"""A per-article column over every segment of an index, as Whoosh stores it.

Whoosh's multi-segment ``column_reader`` leaves out the segments that have
no file for the column (a segment whose articles are all undated has no date
column), and then maps article numbers of later segments to the wrong
segment: wrong values, or an IndexError or a struct error. Here each segment
gives its own reader (one that returns the default value when the segment
has no such column), so every article number maps to its own segment.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from typing import Any

from whoosh import fields

# The column value of an article without a date: a DATETIME field's default
# (the largest unsigned 64-bit number), so undated articles sort last.
NO_DATE: int = fields.DATETIME(sortable=True).default


def datetime_number(when: datetime) -> int:
    """A date as Whoosh numbers dates (microseconds since the year 1), as
    date ranges in queries compare them."""
    from whoosh.util.times import datetime_to_long

    return int(datetime_to_long(when))


def leaf_readers(reader: Any) -> list[tuple[Any, int]]:
    """The segment readers of ``reader`` with the article number each starts at
    (none for an index without articles, whose reader has no columns at all)."""
    leaves = [(reader, 0)] if reader.is_atomic() else list(reader.leaf_readers())
    return [(leaf, start) for leaf, start in leaves if leaf.doc_count_all()]


class Column:
    """``column[docnum]``: the stored column value of any article of the index."""

    def __init__(self, reader: Any, name: str, translate: bool = False) -> None:
        self._starts: list[int] = []
        self._readers: list[Any] = []
        for leaf, start in leaf_readers(reader):
            self._starts.append(start)
            self._readers.append(leaf.column_reader(name, translate=translate))

    def __getitem__(self, docnum: int) -> Any:
        segment = bisect_right(self._starts, docnum) - 1
        if segment < 0:
            raise IndexError(docnum)
        return self._readers[segment][docnum - self._starts[segment]]
