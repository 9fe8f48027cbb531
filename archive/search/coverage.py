"""The shape of coverage: facet counts beside the hits, and timelines.

Both are counted over the matches the search itself finds (archive.search.
hits.matches: the same query, filters and limits), with the segments'
arrays: a facet adds up, value by value, which matching articles hold it;
a timeline buckets the matches' dates by day, week or month. Neither runs
the query again through Whoosh's matchers, so a query that answers quickly
counts quickly.

A timeline can show each period's share of everything the archive holds
for that period (within the same filters), so a busy month for the archive
does not look like a busy month for the story, and names the top story of
the peak period: its best-ranked match, as the hits rank it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta

import numpy as np

from archive.errors import QueryError
from archive.model import Facet, Period, Timeline
from archive.query.marks import documents
from archive.search.engine import Engine
from archive.search.hits import Matched
from archive.search.plans import evaluate
from archive.search.prepared import Prepared
from archive.whoosh_ext.columns import NO_DATE

FACETS = ("source", "author", "tags", "tag", "language", "date:month", "date:week")
PERIODS = ("day", "week", "month")
_VALUE_FIELDS = {
    "source": "source",
    "author": "author_values",
    "tags": "tag_values",
    "language": "language",
}
FACET_TOP = 10
# Whoosh numbers a datetime by its microseconds since the year 1; NumPy by
# those since 1970.
_UNIX_EPOCH = 62_135_596_800_000_000


def facets(
    engine: Engine,
    matched: Matched,
    names: list[str],
    tags: Mapping[str, frozenset[str]] | None = None,
) -> list[Facet]:
    """Counts of the matching articles by each facet in ``names`` (``tag``
    counts by the user's ``tags``: each tag's article IDs)."""
    for name in names:
        if name not in FACETS:
            raise QueryError(f"unknown facet {name!r}", hint=f"facets are: {', '.join(FACETS)}")
    docnums = matched[0]
    return [
        _periods_facet(engine, name, docnums)
        if name.startswith("date:")
        else _tags_facet(engine, docnums, tags or {})
        if name == "tag"
        else _values_facet(engine, name, docnums)
        for name in names
    ]


def _values_facet(engine: Engine, name: str, docnums: np.ndarray) -> Facet:
    field = _VALUE_FIELDS[name]
    counts: Counter[str] = Counter()
    with_value = 0
    for part, mask in zip(engine.parts, _masks(engine, docnums), strict=True):
        offsets, docs = part.arrays.values(field)
        if not len(docs):
            continue
        held = np.concatenate(([0], np.cumsum(mask[docs], dtype=np.int64)))
        per_value = held[offsets[1:]] - held[offsets[:-1]]
        for at in np.flatnonzero(per_value).tolist():
            counts[part.arrays.string(f"{field}.terms", at).decode("utf-8")] += int(per_value[at])
        holds = np.zeros(part.size, dtype=bool)
        holds[docs] = True
        with_value += int(np.count_nonzero(mask & holds))
    top = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:FACET_TOP])
    return Facet(name, top, len(docnums) - with_value)


def _tags_facet(engine: Engine, docnums: np.ndarray, tags: Mapping[str, frozenset[str]]) -> Facet:
    """The matches counted by the user's tags (archive.index.desk)."""
    counts: Counter[str] = Counter()
    tagged: set[int] = set()
    for tag, ids in tags.items():
        numbers = np.fromiter(_numbers(engine, ids), dtype=np.int64)
        held = numbers[np.isin(numbers, docnums)]
        if len(held):
            counts[tag] = len(held)
            tagged.update(held.tolist())
    top = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:FACET_TOP])
    return Facet("tag", top, len(docnums) - len(tagged))


def _numbers(engine: Engine, ids: frozenset[str]) -> list[int]:
    """The numbers of the live articles with these IDs, as the searcher numbers them."""
    return [number + part.base for part in engine.parts for number in documents(part.reader, ids)]


def _periods_facet(engine: Engine, name: str, docnums: np.ndarray) -> Facet:
    dates = engine.column("date")[docnums]
    dated = dates[dates != np.uint64(NO_DATE)]
    starts, counts = np.unique(period_starts(dated, name.split(":")[1]), return_counts=True)
    periods = tuple(
        (day.date().isoformat(), int(count))
        for day, count in zip(_datetimes(starts), counts.tolist(), strict=True)
    )
    return Facet(name, periods, len(dates) - len(dated))


def _masks(engine: Engine, docnums: np.ndarray) -> list[np.ndarray]:
    """Per segment, which of its articles are among ``docnums`` (ascending)."""
    masks = []
    for part in engine.parts:
        start, stop = np.searchsorted(docnums, [part.base, part.base + part.size])
        mask = np.zeros(part.size, dtype=bool)
        mask[docnums[start:stop] - part.base] = True
        masks.append(mask)
    return masks


def period_starts(dates: np.ndarray, by: str) -> np.ndarray:
    """The first day of the day, week (from Monday) or month of each date
    (Whoosh's numbers of datetimes), as NumPy days."""
    days = (dates.astype(np.int64) - _UNIX_EPOCH).astype("datetime64[us]").astype("datetime64[D]")
    if by == "month":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    if by == "week":
        numbers = days.astype(np.int64)
        return (numbers - (numbers + 3) % 7).astype("datetime64[D]")  # 1970-01-01 was a Thursday
    return days


def _datetimes(days: np.ndarray) -> list[datetime]:
    return [datetime(d.year, d.month, d.day) for d in days.astype("datetime64[D]").tolist()]


def timeline(
    engine: Engine, prepared: Prepared, matched: Matched, by: str, normalized: bool
) -> Timeline:
    """Matching articles per period, and the top story of the busiest period."""
    if by not in PERIODS:
        raise QueryError(f"unknown period {by!r}", hint=f"use one of: {', '.join(PERIODS)}")
    docnums, scores = matched
    dates = engine.column("date")[docnums]
    dated = dates != np.uint64(NO_DATE)
    starts = period_starts(dates[dated], by)
    counts = _counted(starts)
    everything = _counted(period_starts(_dates_kept(engine, prepared), by))
    periods = tuple(
        Period(start, counts.get(start, 0), everything.get(start, 0))
        for start in _all_periods(sorted(counts), by)
    )
    peak = max(periods, key=lambda p: p.share if normalized else p.count, default=None)
    top = None
    if peak is not None and peak.count:
        best = _best_in(starts, peak.start, docnums[dated], scores[dated])
        fields = engine.searcher.stored_fields(best)
        top = (str(fields["id"]), str(fields.get("title", "")))
    return Timeline(
        query=prepared.text,
        by=by,
        normalized=normalized,
        periods=periods,
        matched=len(docnums),
        undated=int(np.count_nonzero(~dated)),
        peak=peak,
        top_story=top,
    )


def _counted(starts: np.ndarray) -> dict[datetime, int]:
    distinct, counts = np.unique(starts, return_counts=True)
    return dict(zip(_datetimes(distinct), counts.tolist(), strict=True))


def _dates_kept(engine: Engine, prepared: Prepared) -> np.ndarray:
    """The dates of every article the request's filters keep, whatever it matches."""
    kept = prepared.kept
    every = evaluate(engine, kept) if kept is not None else engine.everything()
    dates = engine.column("date")[every.docnums(engine.parts)]
    return dates[dates != np.uint64(NO_DATE)]


def _best_in(starts: np.ndarray, peak: datetime, docnums: np.ndarray, scores: np.ndarray) -> int:
    """The best-scored match of the peak period (the first of equals)."""
    inside = np.flatnonzero(starts == np.datetime64(peak.date(), "D"))
    best = inside[np.lexsort((docnums[inside], -scores[inside].astype(np.float64)))[0]]
    return int(docnums[best])


def _all_periods(starts: list[datetime], by: str) -> list[datetime]:
    """Every period from the first to the last, so quiet periods show as zero."""
    if not starts:
        return []
    periods, current = [], starts[0]
    while current <= starts[-1]:
        periods.append(current)
        current = _next(current, by)
    return periods


def _next(start: datetime, by: str) -> datetime:
    if by == "day":
        return start + timedelta(days=1)
    if by == "week":
        return start + timedelta(weeks=1)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month)
