"""Facets and timelines on real dated news: every 15th Reuters-21578 story."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import Ran, reference_ids, reference_index, search

from archive.index.store import Store
from archive.model import Facet, Timeline
from archive.search.reader import Reader

Run = Callable[..., Ran]


@pytest.fixture(scope="module")
def reuters(wire_index: Path) -> Iterator[Store]:
    store = Store.open(wire_index)
    yield store
    store.close()


def timeline(store: Store, text: str, by: str = "month", normalized: bool = False) -> Timeline:
    with Reader(store) as reader:
        return reader.timeline(reader.prepare(text), by=by, normalized=normalized)


def facets(store: Store, text: str, names: list[str]) -> list[Facet]:
    with Reader(store) as reader:
        return reader.facets(reader.prepare(text), names)


def count(store: Store, query: str) -> int:
    return search(store, query, all_copies=True).total


def test_monthly_timeline_counts_match_date_searches(reuters: Store) -> None:
    found = timeline(reuters, "oil", by="month")
    starts = [p.start for p in found.periods]
    assert starts[0] >= datetime(1987, 2, 1) and starts[-1] <= datetime(1987, 10, 1)
    assert all(b.month == a.month % 12 + 1 for a, b in itertools.pairwise(starts))
    for period in found.periods:
        month = period.start.strftime("%Y-%m")
        assert period.count == count(reuters, f"oil date:{month}")
        assert period.total == count(reuters, f"date:{month}") or period.total == 0
    assert sum(p.count for p in found.periods) + found.undated == found.matched
    assert found.matched == count(reuters, "oil")


def test_the_peak_and_its_top_story(reuters: Store) -> None:
    found = timeline(reuters, "oil", by="month")
    assert found.peak == max(found.periods, key=lambda p: p.count)
    assert found.top_story is not None
    month = found.peak.start.strftime("%Y-%m")
    best = search(reuters, f"oil date:{month}", all_copies=True).hits[0]
    assert found.top_story == (best.id, best.title)


def test_normalized_timelines_are_shares_of_each_period(reuters: Store) -> None:
    found = timeline(reuters, "crude", by="month", normalized=True)
    for period in found.periods:
        expected = period.count / period.total if period.total else 0.0
        assert period.share == pytest.approx(expected)
    assert any(0 < p.share < 1 for p in found.periods)
    assert found.peak == max(found.periods, key=lambda p: p.share)


def test_weeks_start_on_monday_and_quiet_weeks_show_as_zero(reuters: Store) -> None:
    found = timeline(reuters, "coffee", by="week")
    assert all(p.start.weekday() == 0 for p in found.periods)
    starts = [p.start for p in found.periods]
    assert all((b - a).days == 7 for a, b in itertools.pairwise(starts))


def test_tag_and_month_facets_match_searches(reuters: Store) -> None:
    tags, months = facets(reuters, "oil", ["tags", "date:month"])
    assert tags.counts[0][0] == "crude"
    for tag, number in tags.counts[:3]:
        assert number == count(reuters, f'oil tags:"{tag}"')
    for month, number in months.counts:
        assert number == count(reuters, f"oil date:{month[:7]}")


def test_timeline_and_facets_on_the_command_line(run: Run, reuters: Store) -> None:
    base = ["--index-dir", str(reuters.path)]
    chart = run(*base, "timeline", "oil")
    assert chart.code == 0 and "1987-03" in chart.out and "Peak: 1987-" in chart.out
    data = json.loads(run(*base, "timeline", "oil", "--json").out)
    assert data["by"] == "month" and data["matched"] == count(reuters, "oil")
    csv_lines = run(*base, "timeline", "oil", "--by", "week", "--csv").out.splitlines()
    assert csv_lines[0] == "period,count,total,share" and len(csv_lines) > 10
    found = json.loads(run(*base, "search", "--json", "--facet", "tags", "oil").out)
    assert found["facets"]["tags"]["counts"]["crude"] == count(reuters, 'oil tags:"crude"')
    text = run(*base, "search", "--facet", "date:month", "oil").out
    assert "date:month" in text and "1987-03-01" in text
    assert run(*base, "timeline", "zzzxqv").code == 1


def test_counts_are_exact_with_dates_in_the_query(reuters: Store, tmp_path: Path) -> None:
    # Whoosh's len() of a top-N search skips matches it need not score and
    # undercounts; totals must equal a full count however the dates are given.
    in_query = search(reuters, "oil date:[1987-03-01 to 1987-06-30]", limit=1)
    as_options = search(reuters, "oil", since="1987-03-01", until="1987-06-30", limit=1)
    every = search(reuters, "oil date:[1987-03-01 to 1987-06-30]", limit=1, all_copies=True)
    assert in_query.articles == as_options.articles == every.total
    assert in_query.total <= in_query.articles
    plain = reference_index(reuters, tmp_path / "plain")  # dates indexed by Whoosh
    with Reader(reuters) as reader:
        query = reader.prepare("oil date:[1987-03-01 to 1987-06-30]").query
    assert every.total == len(reference_ids(plain, query)) > 0
