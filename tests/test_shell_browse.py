"""Browsing in the shell on a grown archive: filters, facets, saving, the
marker, the pager; driven through prompt_toolkit's pipe input."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from conftest import search
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console
from test_shell import flat, pager, session

from archive import shell
from archive.cli import main as cli_main
from archive.index.store import Store
from archive.locations import IndexLocation
from archive.search.reader import Reader

ALT_DOWN, ALT_UP = "\x1b[1;3B", "\x1b[1;3A"  # as terminals send them


def header(out: str, query: str) -> list[str]:
    """Each result header printed for ``query``."""
    return re.findall(rf"^\d+ hits? for {re.escape(query)}.*$", out, flags=re.M)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_date_filters_narrow_the_search_and_clear_drops_them(grown: Path) -> None:
    everything = search(Store.open(grown), "oil").total
    since = search(Store.open(grown), "oil", since="2024-01-01").total
    assert 0 < since < everything
    code, out = session("oil\n:since 2024-01-01\n:filters\n:clear\n:filters\n:q\n", grown)
    assert code == 0
    counts = [int(line.split()[0]) for line in header(out, "oil")]
    assert counts == [everything, since, everything]
    assert ":since 2024-01-01" in out
    assert "no filters: every article" in out


def test_a_bad_date_is_refused_and_the_filters_stay(grown: Path) -> None:
    code, out = session("oil\n:since the day after tomorrowish\n:filters\n:q\n", grown)
    assert code == 0
    assert "no filters: every article" in out  # nothing was set
    assert "error: " not in out and "date" in out.split("tomorrowish", 1)[1]


def test_the_source_filter_keeps_one_source(grown: Path, tmp_path: Path) -> None:
    wire = tmp_path / "wires.jsonl"
    rows = [
        {"title": f"Oil report {n}", "body": f"Oil prices moved {n}.", "source": source}
        for n, source in enumerate(["Wire One", "Wire One", "Daily Two"])
    ]
    wire.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    assert cli_main(["--index-dir", str(grown), "index", str(wire)]) == 0  # one more run
    everything = search(Store.open(grown), "oil report").total
    code, out = session(":source wire one\noil report\n:source\n:q\n", grown)
    assert code == 0
    assert [int(line.split()[0]) for line in header(out, "oil report")] == [2, everything]
    filtered = out.split("2 hits for oil report", 1)[1].split(f"{everything} hits", 1)[0]
    assert "Oil report 0" in filtered and "Oil report 2" not in filtered


def test_facets_are_counted_beside_the_hits_until_turned_off(grown: Path) -> None:
    code, out = session("oil\n:facet author\n:facet author\n:q\n", grown)
    assert code == 0
    tables = re.findall(r"^ +author *\n value +articles *\n A\. Reporter +1 *$", out, flags=re.M)
    assert len(tables) == 1  # counted beside the second listing, not the third
    assert len(header(out, "oil")) == 3
    code, out = session(":facet colour\n:q\n", grown)
    assert code == 0
    assert "facets are: source, author, tags, tag, language, date:month, date:week" in out


def test_save_writes_every_page_in_the_format_its_name_says(grown: Path, here: Path) -> None:
    total = search(Store.open(grown), "oil").total
    assert total > 3
    lines = ":limit 3\noil\n:save oil.md\n:save oil.csv\n:save oil.json\n:save oil.jsonl\n:q\n"
    code, out = session(lines, grown)
    assert code == 0 and out.count(f"saved {total} results to") == 4
    markdown = (here / "oil.md").read_text("utf-8")
    assert len(re.findall(r"^\d+\. \*\*", markdown, flags=re.M)) == total
    assert len(list(csv.DictReader(io.StringIO((here / "oil.csv").read_text("utf-8"))))) == total
    assert len(json.loads((here / "oil.json").read_text("utf-8"))["hits"]) == total
    jsonl = (here / "oil.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["rank"] for line in jsonl] == list(range(1, total + 1))


def test_save_refuses_to_replace_a_file_unless_told(grown: Path, here: Path) -> None:
    (here / "notes.md").write_text("my notes\n", "utf-8")
    code, out = session("oil\n:save notes.md\n:save report.txt\n:q\n", grown)
    assert code == 0
    assert (here / "notes.md").read_text("utf-8") == "my notes\n"
    assert "notes.md exists: :save! notes.md replaces it" in out
    assert "cannot tell a format from 'report.txt'" in out
    code, out = session("oil\n:save! notes.md\n:q\n", grown)
    assert code == 0
    assert (here / "notes.md").read_text("utf-8").startswith("Search: `oil`")


def test_more_becomes_the_current_results(grown: Path, here: Path) -> None:
    code, out = session(":limit 2\noil\n:more 1\n:next\n:open 3\n:save like.jsonl\n:q\n", grown)
    assert code == 0
    assert "no pages to turn" not in out and "error" not in out
    like = re.search(r"^(\d+) articles like (.+?) · key terms", out, flags=re.M)
    assert like is not None
    assert "page 2 of" in out.split(like.group(0), 1)[1]
    assert "<<pager" in out  # :open 3 reached the third article like it
    saved = (here / "like.jsonl").read_text("utf-8").splitlines()
    assert len(saved) == int(like.group(1))


def run_keys(keys: str, index: Path, height: int = 200) -> str:
    out = io.StringIO()
    console = Console(file=out, width=100, height=height, highlight=False, force_terminal=True)
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        shell.main(
            IndexLocation(index, "test"),
            input=pipe,
            output=DummyOutput(),
            console=console,
            pager=pager,
        )
    return re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())


def test_alt_arrows_walk_the_hits_and_enter_opens_the_marked_one(grown: Path) -> None:
    titles = [hit.title for hit in search(Store.open(grown), "oil").hits]
    out = run_keys(f"oil\r{ALT_DOWN}{ALT_DOWN}{ALT_DOWN}{ALT_UP}\r:q\r", grown)
    opened = out.split("<<pager", 1)[1].split("\n", 1)[1]
    assert opened.startswith(titles[1])  # down three, up one: the second


def test_the_marker_is_shown_in_the_toolbar(grown: Path) -> None:
    from archive.config import Settings
    from archive.shell.commands import ShellState
    from archive.shell.toolbar import toolbar

    store = Store.open(grown)
    location = IndexLocation(grown, "test")
    state = ShellState(Reader(store), location, Console(file=io.StringIO()), Settings())
    state.run_query("oil")
    state.move_marker(+1)
    state.move_marker(+1)
    state.request = state.request.__class__(**{**state.request.__dict__, "source": "reuters"})
    line = "".join(text for _, text, *_ in toolbar(state, None, "", 200))
    assert f"→ 2. {state.results.hits[1].title}" in line
    assert "filters: :source reuters" in line


def test_long_output_goes_through_the_pager_and_the_header_is_repeated(grown: Path) -> None:
    out = run_keys("oil\r:limit 1\roil\r:q\r", grown, height=30)
    first, second = out.split("<<pager", 1), out.split("pager>>", 1)[1]
    assert len(first) == 2  # the page of ten was paged...
    assert header(second, "oil")  # ...its header printed again after it
    assert "<<pager" not in second  # one hit fits: printed inline


def test_open_tells_the_pager_the_words_to_find(grown: Path) -> None:
    out = run_keys("yukos\r:open 1\r:q\r", grown)
    pattern = out.split("<<pager ", 1)[1].split("\n", 1)[0]
    assert re.search(pattern, "Yukos"), pattern


def test_watch_saves_the_search_and_the_banner_tells_what_is_new(
    grown: Path, tmp_path: Path
) -> None:
    from archive.follow.table import FollowTable

    code, out = session(":since 1987-01-01\noil\n:watch oil-desk\n:q\n", grown)
    assert code == 0 and "watching oil-desk" in out
    table = FollowTable(grown)
    [watch] = table.watches()
    table.close()
    assert (watch.name, watch.request.query, watch.request.since) == (
        "oil-desk",
        "oil",
        "1987-01-01",
    )
    code, out = session(":q\n", grown)
    assert "new matches" not in out
    note = tmp_path / "new.jsonl"
    note.write_text(
        json.dumps({"title": "Oil output", "body": "Oil output rose.", "date": "2026-11-30"})
        + "\n",
        "utf-8",
    )
    assert cli_main(["--index-dir", str(grown), "index", str(note)]) == 0
    code, out = session(":q\n", grown)
    assert "1 watched search has new matches: oil-desk" in out


def test_without_a_terminal_each_message_is_one_line(grown: Path) -> None:
    import subprocess
    import sys

    long_date = "garbage-" + "and-more-" * 12
    done = subprocess.run(
        [sys.executable, "-m", "archive", "--index-dir", str(grown), "shell"],
        input=f":since {long_date}\ngoverment\n",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()  # not wrapped at 80 columns
    assert long_date in line
    assert "press →" not in done.stdout + done.stderr  # no keys to press in a pipe


def test_a_failed_save_leaves_the_file_it_was_to_replace(grown: Path, here: Path) -> None:
    import resource
    import signal
    import subprocess
    import sys

    notes = here / "notes.md"
    notes.write_text("my notes\n", "utf-8")
    notes.chmod(0o640)

    def small_files() -> None:  # a disk that fills after 4 KB
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = subprocess.run(
        [sys.executable, "-m", "archive", "--index-dir", str(grown), "shell"],
        input="said\n:save! notes.md\n",
        capture_output=True,
        text=True,
        preexec_fn=small_files,
    )
    assert done.returncode == 2
    assert "cannot write notes.md: File too large" in done.stderr
    assert notes.read_text("utf-8") == "my notes\n"
    assert [path.name for path in here.iterdir() if path.is_file()] == ["notes.md"]  # no leftovers
    code, _ = session("said\n:save! notes.md\n:q\n", grown)
    assert code == 0 and notes.read_text("utf-8").startswith("Search: `said`")
    assert notes.stat().st_mode & 0o777 == 0o640  # replaced, its permissions kept


def test_save_never_follows_a_link_to_a_file_that_is_not_there(grown: Path, here: Path) -> None:
    (here / "link.md").symlink_to("elsewhere.md")
    _, out = session("oil\n:save link.md\n:save! link.md\n:q\n", grown)
    assert "link.md exists: :save! link.md replaces it" in flat(out)
    assert "link.md is a link to elsewhere.md, which does not exist" in flat(out)
    assert not (here / "elsewhere.md").exists()
    (here / "elsewhere.md").write_text("old\n", "utf-8")
    _, out = session("oil\n:save! link.md\n:q\n", grown)
    assert (here / "link.md").is_symlink()  # the link stays; the file it names is replaced
    assert (here / "elsewhere.md").read_text("utf-8").startswith("Search: `oil`")


def test_filters_names_every_filter_and_option_as_the_toolbar_does(grown: Path) -> None:
    from archive.config import Settings
    from archive.shell.commands import ShellState
    from archive.shell.toolbar import toolbar

    keys = ":filters\n:sort newest\n:limit 3\n:exact on\n:since 1987-01-01\n:filters\n:q\n"
    _, out = session(keys, grown)
    assert "no filters: every article\nsort: relevance · 10 per page\n" in out
    assert "filters: :since 1987-01-01 · :exact on\nsort: newest · 3 per page\n" in out
    state = ShellState(
        Reader(Store.open(grown)),
        IndexLocation(grown, "test"),
        Console(file=io.StringIO()),
        Settings(),
    )
    for line in (":sort newest", ":limit 3", ":exact on", ":since 1987-01-01"):
        shell.commands.dispatch(state, line)
    shown = "".join(text for _, text, *_ in toolbar(state, None, "", 300))
    assert "filters: :since 1987-01-01 · :exact on\n" in shown
    assert shown.endswith("sort: newest · 3 per page")
