"""The words a fuzzy, wildcard or range term stands for, counted up to a limit."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from whoosh.query import Query

from archive.whoosh_ext import Internal, uses

uses(Internal("whoosh.query.terms:MultiTerm", "_btexts", "method", ("ixreader",)))


def pattern_words(leaf: Query, reader: Any, limit: int | None = None) -> Iterator[Any]:
    """The index's terms that ``leaf`` (a MultiTerm) stands for, at most ``limit``."""
    words = leaf._btexts(reader)
    return itertools.islice(words, limit) if limit is not None else iter(words)
