"""Which sources the archive holds, and naming the source of records that
carry none (the export's name, or --source), so that --source finds them;
the shell's :source completes from them."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from conftest import Ran
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from archive import sources
from archive.config import Settings
from archive.index.store import Store
from archive.locations import IndexLocation
from archive.search.reader import Reader
from archive.shell.app import build_session
from archive.shell.commands import ShellState

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


def test_an_export_names_the_source_of_its_records_that_name_none(run: Run, tmp_path: Path) -> None:
    path = export(tmp_path / "wire")
    reuters = path.rename(path.with_name("reuters.jsonl"))
    assert run("index", str(reuters)).code == 0
    assert hits(run, "--source", "reuters", "cocoa OR coffee OR gold") == 2
    assert hits(run, "--source", "ap", "gold") == 1
    assert listed(run) == {
        "sources": [
            {"name": "reuters", "articles": 2, "first": "1987-03-02", "last": "1987-04-09"},
            {"name": "AP", "articles": 1, "first": "1987-05-01", "last": "1987-05-01"},
        ],
        "without_source": 0,
    }
    shown = run("sources")
    assert shown.code == 0
    assert [line.split() for line in shown.out.splitlines()] == [
        ["source", "articles", "first", "last"],
        ["reuters", "2", "1987-03-02", "1987-04-09"],
        ["AP", "1", "1987-05-01", "1987-05-01"],
    ]


def test_gzipped_csv_exports_are_named_without_their_suffixes(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "ag.news.csv.gz"
    path.write_bytes(gzip.compress(b"title,body\nOil slips,Oil fell.\n"))
    (found,) = [a for a in sources.read_file(path) if not isinstance(a, sources.Problem)]
    assert found.source == "ag.news"
    named = sources.read_stream(
        io.BufferedReader(io.BytesIO(b'{"title": "x", "body": "y"}\n')), name="-", origin="stdin"
    )
    assert [getattr(item, "source", "?") for item in named] == [None]  # standard input has no name


def test_naming_another_source_reads_an_unchanged_file_again(run: Run, tmp_path: Path) -> None:
    path = export(tmp_path / "wire")
    assert run("index", str(path)).code == 0
    assert hits(run, "--source", "wire", "cocoa OR coffee") == 2
    done = run("index", "--source", "Reuters", str(path))
    assert "2 updated, 1 unchanged" in done.out
    assert hits(run, "--source", "reuters", "cocoa") == 1
    assert hits(run, "--source", "wire", "cocoa OR coffee") == 0
    assert [s["name"] for s in listed(run)["sources"]] == ["Reuters", "AP"]  # type: ignore[index]


def test_an_aggregators_entries_keep_their_own_sources(run: Run, tmp_path: Path) -> None:
    feed = tmp_path / "digest.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Morning Digest</title>'
        "<link>https://d.example/</link><description>d</description>"
        "<item><title>Cocoa climbs</title><link>https://a.example/1</link>"
        "<description>Cocoa futures rose.</description>"
        '<source url="https://wire.example/rss">Wire One</source></item>'
        "<item><title>Coffee slips</title><link>https://a.example/2</link>"
        "<description>Coffee came in lower.</description></item>"
        "</channel></rss>"
    )
    assert run("index", str(feed)).code == 0
    assert hits(run, "--source", "wire one", "cocoa OR coffee") == 1
    assert hits(run, "--source", "morning digest", "cocoa OR coffee") == 1


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


def test_the_shells_source_filter_completes_from_the_sources_held(
    run: Run, tmp_path: Path, index_dir: Path
) -> None:
    rows = [
        {"title": f"Oil report {n}", "body": "Oil moved.", "source": source}
        for n, source in enumerate(["Wire One", "Wire One", "Wall Street Daily", "AP"])
    ]
    path = tmp_path / "wires.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert run("index", str(path)).code == 0
    state = ShellState(
        Reader(Store.open(index_dir)),
        IndexLocation(index_dir, "test"),
        Console(file=io.StringIO()),
        Settings(),
    )
    with create_pipe_input() as pipe:
        completer = build_session(state, input=pipe, output=DummyOutput()).completer
    assert completer is not None

    def offered(text: str) -> list[str]:
        found = completer.get_completions(Document(text), CompleteEvent(text_inserted=True))
        return [c.text for c in found]

    assert offered(":source ") == ["Wire One", "AP", "Wall Street Daily"]  # most articles first
    assert offered(":source w") == ["Wire One", "Wall Street Daily"]
    assert offered(":source wire o") == ["Wire One"]
    assert offered(":source x") == []
