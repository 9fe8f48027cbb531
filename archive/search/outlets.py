"""What the archive holds by source: each source's articles and the dates
they span, counted over the segments' arrays (the source facet's own)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from archive.model import Outlet
from archive.search.engine import Engine
from archive.whoosh_ext.columns import NO_DATE

# Whoosh numbers a datetime by its microseconds since the year 1.
_YEAR_ONE = datetime(1, 1, 1)


def outlets(engine: Engine) -> tuple[list[Outlet], int]:
    """Every source with its live articles and first and last dates, most
    articles first; and how many articles name no source."""
    counts: dict[str, int] = {}
    spans: dict[str, tuple[int, int]] = {}
    with_source = 0
    for part in engine.parts:
        offsets, docs = part.arrays.values("source")
        dates = part.arrays["date"]
        held = np.zeros(part.size, dtype=bool)
        for at in range(len(offsets) - 1):
            mine = docs[offsets[at] : offsets[at + 1]]
            mine = mine[part.live[mine]]
            if not len(mine):
                continue
            held[mine] = True
            name = part.arrays.string("source.terms", at).decode("utf-8")
            counts[name] = counts.get(name, 0) + len(mine)
            dated = dates[mine][dates[mine] != np.uint64(NO_DATE)]
            if len(dated):
                low, high = int(dated.min()), int(dated.max())
                old = spans.get(name, (low, high))
                spans[name] = (min(old[0], low), max(old[1], high))
        with_source += int(np.count_nonzero(held & part.live))
    live = sum(int(np.count_nonzero(part.live)) for part in engine.parts)
    found = [
        Outlet(name, count, *(_when(n) for n in spans[name]) if name in spans else (None, None))
        for name, count in counts.items()
    ]
    found.sort(key=lambda outlet: (-outlet.articles, outlet.name.casefold()))
    return found, live - with_source


def _when(number: int) -> datetime:
    return _YEAR_ONE + timedelta(microseconds=number)
