"""The shape of coverage: facet counts beside the hits, and timelines.

Facets count matching articles by source, author, tag, month or week.
A timeline counts matching articles per day, week or month, optionally as a
share of everything the archive holds for that period (so a busy month for
the archive does not look like a busy month for the story), and names the
top story of the peak period.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from whoosh import sorting
from whoosh.query import DateRange, Every, Query
from whoosh.searching import Searcher

from archive.errors import QueryError
from archive.index.store import Store
from archive.model import SearchRequest
from archive.search.run import as_request, options_of, prepare, request_filter
from archive.whoosh_ext import postings as docsets
from archive.whoosh_ext.columns import Column

FACETS = ("source", "author", "tags", "date:month", "date:week")
PERIODS = ("day", "week", "month")
_VALUE_FIELDS = {"source": "source", "author": "author_values", "tags": "tag_values"}
FACET_TOP = 10
_NO_DATE = 2**64 - 1


@dataclass(frozen=True)
class Facet:
    name: str
    counts: tuple[tuple[str, int], ...]  # value and matching articles, most first
    missing: int = 0  # matching articles with no value


@dataclass(frozen=True)
class Period:
    start: datetime
    count: int
    total: int  # articles in the archive in that period

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0


@dataclass(frozen=True)
class Timeline:
    query: str
    by: str
    normalized: bool
    periods: tuple[Period, ...]
    matched: int  # matching articles
    undated: int  # matching articles without a date
    peak: Period | None = None
    top_story: tuple[str, str] | None = None  # (id, title) of the peak period's best hit


def facets(
    store: Store, request: SearchRequest | str, names: list[str], searcher: Searcher
) -> list[Facet]:
    """Counts of the articles matching the request by each facet in ``names``."""
    for name in names:
        if name not in FACETS:
            raise QueryError(f"unknown facet {name!r}", hint=f"facets are: {', '.join(FACETS)}")
    request = as_request(request)
    query, _ = prepare(store, request.query, searcher, options_of(request))
    dates = request_filter(request)
    docs = sorted(docsets.matching(searcher, query, dates))
    return [_facet(searcher, name, query, dates, docs) for name in names]


def _facet(
    searcher: Searcher, name: str, query: Query, dates: Query | None, docs: list[int]
) -> Facet:
    if name.startswith("date:"):
        when = _dates(searcher, docs)
        by = name.split(":")[1]
        periods = Counter(_period_start(d, by).date().isoformat() for d in when if d is not None)
        missing = sum(1 for d in when if d is None)
        return Facet(name, tuple(sorted(periods.items())), missing)
    field = _VALUE_FIELDS[name]
    grouped = searcher.search(
        query,
        limit=None,
        scored=False,
        filter=dates,
        groupedby=sorting.FieldFacet(field, allow_overlap=name != "source"),
    ).groups()
    counts: Counter[str] = Counter()
    for key, members in grouped.items():
        value = key.decode("utf-8") if isinstance(key, bytes) else key
        if value not in (None, ""):
            counts[str(value)] += len(members)
    with_value = {
        doc for key, members in grouped.items() if key not in (None, "") for doc in members
    }
    top = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:FACET_TOP])
    return Facet(name, top, len(docs) - len(with_value))


def _dates(searcher: Searcher, docs: list[int]) -> list[datetime | None]:
    from whoosh.util.times import long_to_datetime

    column = Column(searcher.reader(), "date")
    return [None if (raw := column[d]) == _NO_DATE else long_to_datetime(raw) for d in docs]


def _period_start(when: datetime, by: str) -> datetime:
    day = when.replace(hour=0, minute=0, second=0, microsecond=0)
    if by == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday
    if by == "month":
        return day.replace(day=1)
    return day


def timeline(
    store: Store,
    request: SearchRequest | str,
    searcher: Searcher,
    *,
    by: str = "month",
    normalized: bool = False,
) -> Timeline:
    """Matching articles per period, and the top story of the busiest period."""
    if by not in PERIODS:
        raise QueryError(f"unknown period {by!r}", hint=f"use one of: {', '.join(PERIODS)}")
    request = as_request(request)
    query, _ = prepare(store, request.query, searcher, options_of(request))
    dates = request_filter(request)
    matching = _dates(searcher, sorted(docsets.matching(searcher, query, dates)))
    counts = Counter(_period_start(d, by) for d in matching if d is not None)
    everything = Counter(
        _period_start(d, by)
        for d in _dates(searcher, sorted(docsets.matching(searcher, Every(), dates)))
        if d is not None
    )
    periods = tuple(
        Period(start, counts.get(start, 0), everything[start])
        for start in _all_periods(sorted(counts), by)
    )
    peak = max(periods, key=lambda p: p.share if normalized else p.count, default=None)
    top = _top_story(searcher, query, peak, by) if peak and peak.count else None
    return Timeline(
        query=request.query,
        by=by,
        normalized=normalized,
        periods=periods,
        matched=len(matching),
        undated=sum(1 for d in matching if d is None),
        peak=peak,
        top_story=top,
    )


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


def _top_story(searcher: Searcher, query: Query, peak: Period, by: str) -> tuple[str, str] | None:
    end = _next(peak.start, by) - timedelta(microseconds=1)
    best = searcher.search(query, filter=DateRange("date", peak.start, end), limit=1)
    if best.is_empty():
        return None
    fields: Any = best[0]
    return fields["id"], fields.get("title", "")
