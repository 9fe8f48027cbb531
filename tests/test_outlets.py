"""Which sources the archive holds, and naming the source of records that
carry none, so that --source finds them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import Ran

from archive.index.store import Store

Run = Callable[..., Ran]


def export(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "wire.jsonl"
    rows = [
        {"title": "Cocoa prices climb", "body": "Cocoa futures rose.", "date": "1987-03-02"},
        {"title": "Coffee harvest slips", "body": "Coffee came in lower.", "date": "1987-04-09"},
        {"title": "Gold steady", "body": "Gold held.", "date": "1987-05-01", "source": "AP"},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def listed(run: Run) -> dict[str, object]:
    done = run("sources", "--json")
    assert done.code in (0, 1), done.err
    return json.loads(done.out)


def hits(run: Run, *args: str) -> int:
    return int(json.loads(run("search", "--json", *args).out)["total"])


def test_index_source_names_what_names_none_and_rebuild_keeps_it(run: Run, tmp_path: Path) -> None:
    path = export(tmp_path / "wire")
    assert run("index", "--source", "Reuters", str(path)).code == 0
    assert hits(run, "--source", "reuters", "cocoa OR coffee OR gold") == 2
    assert hits(run, "--source", "ap", "gold") == 1
    assert listed(run) == {
        "sources": [
            {"name": "Reuters", "articles": 2, "first": "1987-03-02", "last": "1987-04-09"},
            {"name": "AP", "articles": 1, "first": "1987-05-01", "last": "1987-05-01"},
        ],
        "without_source": 0,
    }
    assert run("rebuild").code == 0
    assert hits(run, "--source", "reuters", "cocoa OR coffee") == 2
    assert run("index", str(path)).code == 0  # a plain run keeps what was chosen
    assert hits(run, "--source", "reuters", "cocoa OR coffee") == 2


def test_naming_another_source_reads_an_unchanged_file_again(run: Run, tmp_path: Path) -> None:
    path = export(tmp_path / "wire")
    assert run("index", str(path)).code == 0
    assert listed(run)["without_source"] == 2
    done = run("index", "--source", "Reuters", str(path))
    assert "2 updated, 1 unchanged" in done.out
    assert hits(run, "--source", "reuters", "cocoa") == 1
    assert listed(run)["without_source"] == 0


def test_sources_counts_the_articles_that_name_none(run: Run, seeded: Store) -> None:
    assert listed(run) == {"sources": [], "without_source": 2}
    done = run("sources")
    assert done.code == 1
    assert done.out.split() == ["source", "articles", "first", "last", "(none)", "2"]


def test_a_blank_source_name_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    path = export(tmp_path / "wire")
    done = run("index", "--source", " ", str(path))
    assert done.code == 2
    assert "not a source name" in done.err and done.err.count("\n") == 1
