"""Telling Whoosh's results which terms to highlight, without recording them
for every article scored (for a fuzzy word with 9,000 matches that was a
fifth of the search)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from archive.whoosh_ext import Internal, uses

uses(
    Internal("whoosh.searching:Results", "termdocs", "attribute"),
    Internal("whoosh.searching:Results", "docterms", "attribute"),
)


def highlight_terms(results: Any, terms: Iterable[tuple[str, bytes]]) -> None:
    """Mark ``terms`` (field, bytes) as matched in every hit of ``results``."""
    results.termdocs = dict.fromkeys(sorted(terms), ())
    results.docterms = {}
