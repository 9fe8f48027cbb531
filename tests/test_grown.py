"""Every command, in every output format, on an archive grown over several runs.

Archives in real use are built by many ``archive index`` runs: several
segments, deletions, dated and undated articles side by side. Features that
pass on an index built in one go can fail there, so each command runs here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Ran

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
FORMATS = ["text", "json", "jsonl", "csv", "md"]


@pytest.mark.parametrize("output", FORMATS)
@pytest.mark.parametrize("args", SEARCHES, ids=" ".join)
def test_search(run: Run, grown: Path, args: list[str], output: str) -> None:
    ran = run("--index-dir", str(grown), "search", "--format", output, *args)
    assert ran.code == 0, ran.err
    assert "error" not in ran.err
    if output == "json":
        found = strict_json(ran.out)
        assert found["hits"]  # type: ignore[index]
    elif output == "jsonl":
        for line in ran.out.splitlines():
            strict_json(line)


@pytest.mark.parametrize(
    "args",
    [
        ["show", "{id}"],
        ["show", "{id}", "--json"],
        ["show", "{id}", "--query", "oil"],
        ["similar", "{id}"],
        ["similar", "{id}", "--format", "json"],
        ["similar", "{id}", "--format", "csv"],
        ["timeline", "oil"],
        ["timeline", "oil", "--by", "day"],
        ["timeline", "oil", "--by", "week", "--normalize"],
        ["timeline", "oil", "--json"],
        ["timeline", "oil", "--csv", "--since", "1987-01-01"],
        ["timeline", "yukos"],
        ["stats"],
        ["stats", "--json"],
        ["check"],
        ["index"],
    ],
    ids=" ".join,
)
def test_command(run: Run, grown: Path, args: list[str]) -> None:
    article = some_id(run, grown)
    ran = run("--index-dir", str(grown), *(arg.format(id=article) for arg in args))
    assert ran.code == 0, ran.err
    assert "error" not in ran.err
    if "--json" in args or "json" in args:
        strict_json(ran.out)


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
    from archive.search.coverage import timeline
    from archive.search.run import search

    store = Store.open(grown)
    with store.searcher() as searcher:
        found = timeline(store, "oil", searcher, by="month")
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
    from archive.search.run import preview, search

    store = Store.open(grown)
    request = SearchRequest(text, **options)
    found = search(store, request)
    with store.searcher() as searcher:
        shown = preview(store, request, searcher)
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
