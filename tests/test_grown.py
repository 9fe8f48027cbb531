"""Every command, in every output format, on an archive grown over several runs.

Archives in real use are built by many ``archive index`` runs: several
segments, deletions, dated and undated articles side by side. Features that
pass on an index built in one go can fail there, so each command runs here.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Ran, search

Run = Callable[..., Ran]


def strict_json(text: str) -> object:
    """Parse as a strict parser would: NaN and Infinity are not JSON."""

    def refuse(name: str) -> object:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def some_id(run: Run, grown: Path) -> str:
    found = run("--index-dir", str(grown), "search", "--json", "oil")
    return str(strict_json(found.out)["hits"][0]["id"])  # type: ignore[index]


SEARCHES = [
    ["oil"],
    ["--all", "oil"],
    ["--any", "oil prices"],
    ["--exact", "oil"],
    ["--sort", "newest", "oil"],
    ["--sort", "oldest", "oil"],
    ["--since", "1987-01-01", "--until", "2024-12-31", "oil"],
    ["--page", "2", "--limit", "3", "oil"],
    ["--facet", "source", "--facet", "author", "--facet", "tags", "oil"],
    ["--facet", "date:month", "--facet", "date:week", "--since", "1987-01-01", "oil"],
    ["--explain", "yukos"],
]
FORMATS = ["text", "jsonl", "csv", "md"]


def json_of(run: Run, grown: Path, *args: str) -> dict[str, Any]:
    ran = run("--index-dir", str(grown), *args, "--format", "json")
    assert ran.code in (0, 1), ran.err
    found = strict_json(ran.out)
    assert isinstance(found, dict)
    return found


@pytest.mark.parametrize("output", FORMATS)
@pytest.mark.parametrize("args", SEARCHES, ids=" ".join)
def test_search_says_in_every_format_what_its_json_says(
    run: Run, grown: Path, args: list[str], output: str
) -> None:
    expected = json_of(run, grown, "search", *args)
    hits = expected["hits"]
    assert hits, "every search here finds something"
    ran = run("--index-dir", str(grown), "search", "--format", output, *args)
    assert ran.code == 0, ran.err
    assert "error" not in ran.err
    ids = [hit["id"] for hit in hits]
    if output == "jsonl":
        lines = [strict_json(line) for line in ran.out.splitlines()]
        assert lines == hits
    elif output == "csv":
        rows = list(csv.DictReader(io.StringIO(ran.out)))
        assert [(int(row["rank"]), row["id"]) for row in rows] == ranks_and_ids(expected)
        assert [row["title"] for row in rows] == [hit["title"] for hit in hits]
        assert [row["language"] for row in rows] == [hit["language"] or "" for hit in hits]
    elif output == "md":
        assert re.findall(r"\(archive ID (\w+)\)", ran.out) == ids
        noun = "hit" if expected["total"] == 1 else "hits"
        assert f"({expected['total']:,} {noun})" in ran.out.splitlines()[0]
    else:
        assert text_ids(ran.out) == ranks_and_ids(expected)
        noun = "hit" if expected["total"] == 1 else "hits"
        assert ran.out.startswith(f"{expected['total']:,} {noun} for ")
        for name, facet in expected.get("facets", {}).items():
            assert facet_in_text(ran.out, name) == facet


def ranks_and_ids(found: dict[str, Any]) -> list[tuple[int, str]]:
    return [(hit["rank"], hit["id"]) for hit in found["hits"]]


def text_ids(out: str) -> list[tuple[int, str]]:
    """Each hit's rank and ID, as the text output shows them."""
    found = re.findall(r"^ *(\d+)\. .*\n +([0-9a-f]{12})\b", out, flags=re.M)
    return [(int(rank), article) for rank, article in found]


def facet_in_text(out: str, name: str) -> dict[str, Any]:
    """A facet's counts as the text output lists them."""
    block = out.split(f"\n{name}\n", 1)[1] if f"\n{name}\n" in out else out.split(name, 1)[1]
    counts: dict[str, int] = {}
    missing = 0
    for line in block.splitlines()[2:]:
        match = re.fullmatch(r"\s*(.+?)\s+([\d,]+)", line)
        if match is None:
            break
        value, count = match[1], int(match[2].replace(",", ""))
        if value == "(none)":
            missing = count
        else:
            counts[value] = count
    return {"counts": counts, "missing": missing}


TIMELINES = [
    ["oil"],
    ["oil", "--by", "day"],
    ["oil", "--by", "week", "--normalize"],
    ["oil", "--since", "1987-02-26", "--until", "2024-12-31", "--by", "day"],
    ["said", "--since", "2022-09-20", "--by", "month"],
    ["oil", "--any"],
]


@pytest.mark.parametrize("args", TIMELINES, ids=" ".join)
def test_timeline_says_in_every_format_what_its_json_says(
    run: Run, grown: Path, args: list[str]
) -> None:
    base = ["--index-dir", str(grown), "timeline", *args]
    ran = run(*base, "--json")
    assert ran.code == 0, ran.err
    expected = strict_json(ran.out)
    assert isinstance(expected, dict)
    periods = expected["periods"]
    rows = list(csv.DictReader(io.StringIO(run(*base, "--csv").out)))
    assert [(r["period"], int(r["count"]), int(r["total"])) for r in rows] == [
        (p["start"], p["count"], p["total"]) for p in periods
    ]
    text = run(*base).out
    noun = "article" if expected["matched"] == 1 else "articles"
    assert text.startswith(f"{expected['matched']:,} {noun} for ")
    label = (lambda day: day[:7]) if "month" in args or "--by" not in args else (lambda d: d)
    for period in periods:
        if period["count"]:
            amount = f"{period['share']:.1%}" if expected["normalized"] else f"{period['count']:,}"
            assert re.search(rf"^{label(period['start'])} +{re.escape(amount)} ", text, re.M)
    assert f"Peak: {expected['peak']}" in text and expected["top_story"]["id"] in text


@pytest.mark.parametrize("args", TIMELINES, ids=" ".join)
def test_the_timelines_top_story_is_its_best_match_in_the_peak(
    run: Run, grown: Path, args: list[str]
) -> None:
    found = strict_json(run("--index-dir", str(grown), "timeline", *args, "--json").out)
    assert isinstance(found, dict)
    wanted = [a for a in args if a not in ("--by", "day", "week", "month", "--normalize")]
    every = json_of(run, grown, "search", "--all", "--limit", "1000", *wanted)
    assert every["articles"] == found["matched"]
    peak = found["peak"]
    period = {"day": 10, "week": 10, "month": 7}  # characters of a date that name it
    by = args[args.index("--by") + 1] if "--by" in args else "month"
    in_peak = [hit for hit in every["hits"] if hit["date"] and in_period(hit["date"], peak, by)]
    assert in_peak, "the peak holds matches"
    assert found["top_story"]["id"] == in_peak[0]["id"]  # the best-ranked of them
    assert period[by] and sum(p["count"] for p in found["periods"]) + found["undated"] == len(
        every["hits"]
    )
    since = args[args.index("--since") + 1] if "--since" in args else None
    if since is not None:
        assert all(hit["date"] and hit["date"][:10] >= since for hit in every["hits"])


def in_period(date: str, start: str, by: str) -> bool:
    from datetime import date as day
    from datetime import timedelta

    when, first = day.fromisoformat(date[:10]), day.fromisoformat(start)
    if by == "day":
        return when == first
    if by == "week":
        return first <= when < first + timedelta(days=7)
    return (when.year, when.month) == (first.year, first.month)


def test_similar_and_show_say_in_every_format_what_their_json_says(run: Run, grown: Path) -> None:
    article = some_id(run, grown)
    like = json_of(run, grown, "similar", article)
    assert like["like"] == article and like["hits"]
    rows = list(
        csv.DictReader(
            io.StringIO(run("--index-dir", str(grown), "similar", article, "--format", "csv").out)
        )
    )
    assert [(int(r["rank"]), r["id"]) for r in rows] == ranks_and_ids(like)
    assert text_ids(run("--index-dir", str(grown), "similar", article).out) == ranks_and_ids(like)
    shown = strict_json(run("--index-dir", str(grown), "show", article, "--json").out)
    assert isinstance(shown, dict)
    text = run("--index-dir", str(grown), "show", article, "--query", "oil").out
    assert text.splitlines()[0] == shown["title"]
    assert text.splitlines()[1].startswith(article)
    assert shown["body"].split("\n")[0] in text


@pytest.mark.parametrize("args", [["stats"], ["check"], ["index"]], ids=" ".join)
def test_command(run: Run, grown: Path, args: list[str]) -> None:
    ran = run("--index-dir", str(grown), *args)
    assert ran.code == 0, ran.err
    assert "error" not in ran.err


def test_stats_say_in_text_what_their_json_says(run: Run, grown: Path) -> None:
    figures = strict_json(run("--index-dir", str(grown), "stats", "--json").out)
    assert isinstance(figures, dict)
    text = run("--index-dir", str(grown), "stats").out
    assert re.search(rf"Articles +{figures['articles']:,}\n", text)
    assert re.search(rf"Segments +{figures['segments']}\n", text)
    assert figures["segments"] > 1


def test_rebuild_keeps_every_article(run: Run, grown: Path) -> None:
    before = strict_json(run("--index-dir", str(grown), "stats", "--json").out)
    ran = run("--index-dir", str(grown), "rebuild")
    assert ran.code == 0, ran.err
    after = strict_json(run("--index-dir", str(grown), "stats", "--json").out)
    assert after["articles"] == before["articles"]  # type: ignore[index]
    assert run("--index-dir", str(grown), "check").code == 0


# -- answers that agree with each other on a grown archive -------------------


def test_timeline_counts_are_the_date_searches_counts(grown: Path) -> None:
    from archive.index.store import Store
    from archive.search.reader import Reader

    store = Store.open(grown)
    with Reader(store) as reader:
        found = reader.timeline(reader.prepare("oil"), by="month")
    every = search(store, "oil", all_copies=True)
    assert found.matched == every.articles
    dated = 0
    for period in found.periods:
        month = period.start.strftime("%Y-%m")
        assert period.count == search(store, f"oil date:{month}", all_copies=True).articles, month
        dated += period.count
    assert dated + found.undated == found.matched
    assert found.undated > 0 and dated > 0  # both kinds, across segments


def test_date_facets_count_every_matching_article(run: Run, grown: Path) -> None:
    ran = run("--index-dir", str(grown), "search", "--json", "--facet", "date:month", "bank")
    found = strict_json(ran.out)
    months = found["facets"]["date:month"]  # type: ignore[index]
    assert sum(months["counts"].values()) + months["missing"] == found["articles"]  # type: ignore[index]
    assert months["counts"] and months["missing"]


@pytest.mark.parametrize(
    "options",
    [["--since", "1987-03-01"], ["--until", "1987-02-28"], ["--exact"], ["--any"]],
    ids=" ".join,
)
def test_facets_count_what_the_search_found(run: Run, grown: Path, options: list[str]) -> None:
    query = ["oil", "prices"] if "--any" in options else ["oil"]
    ran = run("--index-dir", str(grown), "search", "--json", "--facet", "source", *options, *query)
    found = strict_json(ran.out)
    source = found["facets"]["source"]  # type: ignore[index]
    assert sum(source["counts"].values()) + source["missing"] == found["articles"]  # type: ignore[index]


def test_date_sorts_show_no_score_and_print_strict_json(run: Run, grown: Path) -> None:
    for sort in ("newest", "oldest"):
        text = run("--index-dir", str(grown), "search", "--sort", sort, "oil")
        assert "score" not in text.out and "inf" not in text.out
        found = strict_json(
            run("--index-dir", str(grown), "search", "--json", "--sort", sort, "oil").out
        )
        hits = found["hits"]  # type: ignore[index]
        assert all(hit["score"] is None for hit in hits)
        dates = [hit["date"] for hit in hits if hit["date"]]
        assert dates == sorted(dates, reverse=sort == "newest")
        assert hits[-1]["date"] is None  # undated articles come last
    relevance = strict_json(run("--index-dir", str(grown), "search", "--json", "oil").out)
    assert all(isinstance(hit["score"], float) for hit in relevance["hits"])  # type: ignore[index]


def test_a_page_past_the_last_has_no_hits_and_says_so(run: Run, grown: Path) -> None:
    ran = run("--index-dir", str(grown), "search", "--page", "500", "oil")
    assert ran.code == 1
    assert "Page 500 is past the last page" in ran.out
    found = strict_json(
        run("--index-dir", str(grown), "search", "--json", "--page", "500", "oil").out
    )
    assert found["hits"] == [] and found["total"] > 0  # type: ignore[index]


@pytest.mark.parametrize(
    "options",
    [{}, {"all_copies": True}, {"any_words": True}, {"exact": True}, {"since": "1987-01-01"}],
    ids=str,
)
@pytest.mark.parametrize("text", ["oil", "bank rates", "title:oil", "yukos", "oil prices"])
def test_the_preview_shows_what_enter_finds(grown: Path, text: str, options: dict) -> None:
    from archive.index.store import Store
    from archive.model import SearchRequest
    from archive.search.reader import Reader

    store = Store.open(grown)
    request = SearchRequest(text, **options)
    found = search(store, request)
    with Reader(store) as reader:
        shown = reader.preview(reader.prepare(request))
    assert shown.total == found.total
    assert list(shown.titles) == [hit.title for hit in found.hits[:3]]
    assert len(set(shown.titles)) == len(shown.titles) or options.get("all_copies")


def shell_examples() -> list[str]:
    from archive.shell import COMMANDS

    return sorted({entry.example for entry in COMMANDS.values() if entry.name != "quit"})


@pytest.mark.parametrize("example", shell_examples())
def test_shell_command(
    grown: Path, example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_shell import session

    monkeypatch.chdir(tmp_path)  # where :save writes
    code, out = session(f"oil\n{example}\n:q\n", grown)
    assert code == 0
    assert "error: " not in out, out
    assert "Goodbye." in out
