"""The interactive shell, driven through prompt_toolkit's pipe input."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import search
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from archive import shell, sources
from archive.index.store import Store
from archive.locations import IndexLocation, history_file
from archive.search.reader import Reader

FIXTURES = Path(__file__).parent / "fixtures"


def session(
    keys: str, index: Path, config: Path | None = None, colour: bool = False
) -> tuple[int, str]:
    """Type ``keys`` into a shell on ``index``; return its exit code and what it printed."""
    out = io.StringIO()
    console = Console(
        file=out,
        width=100,
        highlight=False,
        force_terminal=colour,
        color_system="standard" if colour else None,
    )
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        code = shell.main(
            IndexLocation(index, "test"),
            config,
            input=pipe,
            output=DummyOutput(),
            console=console,
            pager=pager,
        )
    return code, out.getvalue()


def pager(console: Console, renderable: object, pattern: str | None = None) -> None:
    """Stands in for less: prints what would be paged, between markers."""
    console.print(f"<<pager {pattern}" if pattern else "<<pager")
    console.print(renderable)
    console.print("pager>>")


def paged(out: str) -> str:
    return out.split("<<pager", 1)[1].split("\n", 1)[1].split("pager>>", 1)[0]


def flat(text: str) -> str:
    return " ".join(text.split())


def ranks(out: str) -> list[int]:
    return [int(n) for n in re.findall(r"^\s*(\d+)\. ", out, flags=re.M)]


def test_a_query_prints_ranked_highlighted_hits(seeded: Store) -> None:
    code, out = session("withdrawal\n:quit\n", seeded.path)
    assert code == 0
    assert "2 hits for withdrawal" in out
    assert ranks(out) == [1, 2]
    assert "Russia Seeks Starting Point for Peace Talks" in out


def test_matches_are_drawn_in_the_theme_colour(seeded: Store) -> None:
    _, out = session("bishkek\n:quit\n", seeded.path, colour=True)
    assert re.search(r"\x1b\[[0-9;]*m Bishkek".replace(" ", ""), out)


def test_the_banner_names_the_index_in_use(seeded: Store) -> None:
    _, out = session(":quit\n", seeded.path)
    assert "2 articles in" in out
    assert str(seeded.path) in "".join(out.split())


def test_a_missing_index_is_built_from_the_seeds_first(index_dir: Path) -> None:
    code, out = session("zaporizhzhia\n\x04", index_dir)
    assert code == 0
    assert "No articles indexed yet" in out
    assert "2 articles added." in out
    assert "2 hits for zaporizhzhia" in out  # Zaporizhia, the other spelling, too
    assert Store.open(index_dir).ix.doc_count() == 2


def test_ctrl_c_clears_the_line_and_ctrl_d_says_goodbye(seeded: Store) -> None:
    code, out = session("beckstrom\x03putin\n\x04", seeded.path)
    assert code == 0
    assert "beckstrom" not in out
    assert "2 hits for putin" in out
    assert out.rstrip().endswith("Goodbye.")


def test_help_lists_every_registered_command_with_an_example(seeded: Store) -> None:
    _, out = session(":help\n:q\n", seeded.path)
    for entry in shell.commands.unique_commands():
        assert re.search(rf"^\s+:{entry.name}\s+{re.escape(entry.summary)}", out, flags=re.M)
        assert f"e.g. {entry.example}" in out


def test_unknown_commands_and_bad_arguments_get_one_line_hints(seeded: Store) -> None:
    keys = ":frobnicate\nthe\n:open 1\nputin\n:open 9\n:open x\n:limit 0\n:sort sideways\n:q\n"
    _, out = session(keys, seeded.path)
    assert "unknown command :frobnicate (:help lists them)" in out
    assert "has no words to search for" in out
    assert "no results yet: search for something first" in out
    assert "there is no result 9; results run 1-2" in out
    assert "expected a result number, got 'x'" in out
    assert "expected a number of results per page (1-100), got 0" in out
    assert "sort by one of: relevance, newest, oldest (now relevance)" in out
    assert "Traceback" not in out


def test_open_shows_the_whole_article_with_every_match(seeded: Store) -> None:
    _, out = session("bishkek withdraw\n:open 1\n:q\n", seeded.path, colour=True)
    article = paged(out)
    assert "Speaking to reporters in Kyrgyzstan" in article  # the full body, not a snippet
    assert "Peace talks to begin soon" in article
    assert len(re.findall(r"\x1b\[[0-9;]*mwithdraw\x1b", article)) == 3


def test_pages_turn_with_next_and_prev(bbc: Store) -> None:
    _, out = session(":limit 4\nsaid\n:next\n:next\n:prev\n:q\n", bbc.path)
    pages = re.split(r"\d+ hits for said", out)[1:]
    assert [ranks(page)[:1] for page in pages] == [[1], [5], [9], [5]]
    assert "page 2 of" in out and "page 3 of" in out


def test_the_last_page_says_so(seeded: Store) -> None:
    _, out = session("putin\n:next\n:prev\n:q\n", seeded.path)
    assert "this is the last page (1 of 1)" in out
    assert "this is the first page (1 of 1)" in out


def test_open_reaches_results_on_other_pages(bbc: Store) -> None:
    fifth = search(bbc, "said", page=3, limit=2).hits[0]
    _, out = session(":limit 2\nsaid\n:open 5\n:q\n", bbc.path)
    assert ranks(out) == [1, 2]  # only the first page was listed
    assert flat(paged(out)).startswith(flat(fifth.title))


def test_more_like_this_names_its_key_terms(bbc: Store) -> None:
    _, out = session("yukos\n:more 1\n:q\n", bbc.path)
    assert re.search(r"articles like .+ key terms: .*Yukos", out)
    assert ranks(out.split("articles like", 1)[1])[:1] == [1]


def test_sort_orders_and_reruns_the_query(seeded: Store) -> None:
    _, out = session("putin\n:sort newest\n:sort oldest\n:sort relevance\n:q\n", seeded.path)
    assert "newest first" in out and "oldest first" in out
    assert out.count("2 hits for putin") == 4


def test_stats_in_the_shell(seeded: Store) -> None:
    _, out = session(":stats\n:quit\n", seeded.path)
    assert "Articles" in out and "Schema version" in out


def test_history_persists_and_collapses_repeats(seeded: Store) -> None:
    session("putin\nputin\nkyiv\nputin\n:quit\n", seeded.path)
    entries = [
        line[1:] for line in history_file().read_text("utf-8").splitlines() if line[:1] == "+"
    ]
    assert entries == ["putin", "kyiv", "putin", ":quit"]
    assert history_file().is_relative_to(seeded.path.parent)  # never in ~


def test_the_config_file_is_created_with_comments(
    seeded: Store, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARCHIVE_CONFIG")  # the per-user config directory, then
    session(":q\n", seeded.path)
    created = isolated / "xdg_config_home" / "news-archive" / "config.toml"
    text = created.read_text("utf-8")
    assert "page_size = 10" in text and text.count("#") >= 6


def test_config_settings_change_the_shell(seeded: Store, tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text("page_size = 1\nsnippets = 0\n", encoding="utf-8")
    _, out = session("putin\n:q\n", seeded.path, config)
    assert ranks(out) == [1]
    assert "page 1 of 2" in out
    assert "…" not in out.split("score", 1)[1].split("\n", 2)[1]  # no snippet lines


def test_a_bad_config_is_reported_and_defaults_used(seeded: Store, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('page_size = "many"\ncolour = 3\n[theme]\nmatch = "not a style!"\n', "utf-8")
    code, out = session("putin\n:q\n", seeded.path, config)
    assert code == 0
    assert "page_size = 'many' is not allowed (1-100); using the default" in flat(out)
    assert "colour is not a setting" in flat(out)
    assert "theme.match = 'not a style!' is not a style" in flat(out)
    assert ranks(out) == [1, 2]


def test_config_path_comes_from_the_environment(
    seeded: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "env.toml"
    monkeypatch.setenv("ARCHIVE_CONFIG", str(config))
    session(":q\n", seeded.path)
    assert config.exists()


def test_article_text_cannot_reach_the_terminal_raw(seeded: Store, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(
        "Evil \x1b]52;c;cGF5bG9hZA==\x07 title\n\nBody \x1b[31mred\x1b[0m text.\n", "utf-8"
    )
    seeded.sync(sources.read_file(hostile))
    _, out = session("evil\n:open 1\n:q\n", seeded.path, colour=True)
    assert "\x1b]52" not in out and "\x07" not in out and "\x1b[31mred" not in out
    assert "\\x1b]52;c;cGF5bG9hZA==\\x07" in out
    assert "\\x1b[31mred\\x1b[0m" in paged(out)


def test_tab_completes_even_when_typed_in_one_burst(
    seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from archive.shell import app

    completed = threading.Event()
    built = app.build_session

    def watched(*args: object, **kwargs: object) -> object:
        session = built(*args, **kwargs)
        session.default_buffer.on_text_changed += lambda buffer: (
            completed.set() if buffer.text == "kyrgyzstan" else None
        )
        return session

    monkeypatch.setattr(app, "build_session", watched)
    out = io.StringIO()
    console = Console(file=out, width=100, highlight=False)
    with create_pipe_input() as pipe:
        pipe.send_text("kyrgyz\t")  # word and Tab arrive together, as from a fast typist

        def enter_once_completed() -> None:
            completed.wait(timeout=60)  # the line reads kyrgyzstan: Tab did its work
            pipe.send_text("\r:q\r")

        threading.Thread(target=enter_once_completed, daemon=True).start()
        shell.main(
            IndexLocation(seeded.path, "test"),
            input=pipe,
            output=DummyOutput(),
            console=console,
            pager=pager,
        )
    assert "1 hit for kyrgyzstan" in out.getvalue()


def test_ctrl_c_during_a_listing_returns_to_the_prompt(
    seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.shell import commands

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "results_view", interrupted)
    code, out = session("putin\n:stats\n:q\n", seeded.path)
    assert code == 0
    assert "(interrupted)" in out
    assert "Schema version" in out  # the shell went on to the next line


def test_vi_bindings_and_preview_come_from_the_config(seeded: Store, tmp_path: Path) -> None:
    from prompt_toolkit.enums import EditingMode

    from archive import config
    from archive.shell.app import build_session
    from archive.shell.commands import ShellState

    path = tmp_path / "vi.toml"
    path.write_text('key_bindings = "vi"\npreview = false\n', encoding="utf-8")
    settings, warnings = config.load(path)
    assert warnings == [] and settings.preview is False
    state = ShellState(
        reader=Reader(seeded),
        location=IndexLocation(seeded.path, "test"),
        console=Console(file=io.StringIO()),
        settings=settings,
    )
    with create_pipe_input() as pipe:
        built = build_session(state, input=pipe, output=DummyOutput())
        assert built.app.editing_mode == EditingMode.VI
    # With the preview off the toolbar keeps only the status line.
    from archive.shell.toolbar import toolbar

    lines = "".join(piece[1] for piece in toolbar(state, None, "putin", 300)).split("\n")
    assert len(lines) == 1 and "sort: relevance" in lines[0]
    _, out = session("putin\n:q\n", seeded.path, path)
    assert "2 hits for putin" in out


def test_all_toggles_between_stories_and_every_copy(seeded: Store, tmp_path: Path) -> None:
    original = (FIXTURES / "bbc_business" / "001.txt").read_text("utf-8")
    paragraphs = original.strip().split("\n\n")
    copy = "Another headline\n\n" + "\n\n".join(paragraphs[1:-1])
    (tmp_path / "copy.txt").write_text(copy, "utf-8")
    seeded.sync(sources.read_paths([FIXTURES / "bbc_business" / "001.txt", tmp_path / "copy.txt"]))
    _, out = session("timewarner\n:all\n:all off\n:all maybe\n:q\n", seeded.path)
    listings = re.split(r"\d+ hits? for timewarner", out)[1:]
    assert [ranks(listing) for listing in listings] == [[1], [1, 2], [1]]
    assert "+1 similar" in listings[0]
    assert "expected on or off, got 'maybe'" in out


def test_one_key_accepts_the_spelling_suggestion(bbc: Store) -> None:
    right_arrow = "\x1b[C"
    _, out = session(f"yukso\n{right_arrow}\n:q\n", bbc.path)
    assert "Did you mean yukos (3 hits)?" in flat(out)
    assert "3 hits for yukos" in out


def test_timeline_in_the_shell(seeded: Store) -> None:
    _, out = session(":timeline\nputin\n:timeline week\n:q\n", seeded.path)
    assert "no query yet: search for something first" in out
    assert "2 articles for putin, by week; 2 undated not shown" in flat(out)


def test_exact_and_any_toggles(seeded: Store) -> None:
    _, out = session(
        "zaporizhia\n:exact on\n:exact off\nputin bishkek nato\n:any\n:q\n", seeded.path
    )
    counts = re.findall(r"(\d+) hits? for", out)
    assert counts == ["2", "1", "2", "0", "2"]


def test_nothing_but_quit_closes_the_shell(seeded: Store, monkeypatch: pytest.MonkeyPatch) -> None:

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in one command")

    monkeypatch.setattr("archive.search.reader.Reader.timeline", broken)
    code, out = session(
        ":any on\n:limit 1\nputin bishkek nato\n:open 2\n:timeline\nputin\n:q\n", seeded.path
    )
    assert code == 0
    assert "error: RuntimeError: a bug in one command" in flat(out)
    assert "Traceback" not in out
    assert "2 hits for putin" in flat(out)  # the prompt came back and the next line ran
    assert "Goodbye." in out


def test_opening_a_result_on_another_page_keeps_the_search_options(seeded: Store) -> None:
    _, out = session(":any on\n:limit 1\nputin bishkek nato\n:open 2\n:q\n", seeded.path)
    page = paged(out)
    assert "Kyrgyzstan" in page or "Bishkek" in page or "Putin" in page
    assert "there is no result" not in out


def test_the_timeline_honours_any_and_exact(seeded: Store) -> None:
    _, out = session(":any on\nputin nosuchword\n:timeline week\n:q\n", seeded.path)
    assert "2 articles for putin nosuchword, by week" in flat(out)
    _, out = session(":exact on\nkiev\n:timeline\n:exact off\n:timeline\n:q\n", seeded.path)
    assert "0 articles for kiev, by month" in flat(out)
    assert re.search(r"[12] articles? for kiev, by month", flat(out))


def test_bare_quit_exit_and_help_are_commands(seeded: Store) -> None:
    _, out = session("help\n:q\n", seeded.path)
    assert ":open" in out and "hits for help" not in out
    for word in ("quit", "exit", "QUIT"):
        code, out = session(f"{word}\n", seeded.path)
        assert code == 0 and "Goodbye." in out and "hits for" not in out
    _, out = session('"help"\n:q\n', seeded.path)
    assert 'hits for "help"' in out or 'hit for "help"' in out


def test_unknown_commands_suggest_the_nearest(seeded: Store) -> None:
    _, out = session(":timelin\n:opne 1\n:q\n", seeded.path)
    assert "did you mean :timeline?" in out
    assert "did you mean :open?" in out


def test_open_takes_an_article_id(seeded: Store) -> None:
    article = sources.article_id("seed:000_44eb2994a6798eda.txt")
    _, out = session(f":open {article}\nwithdraw\n:open {article[:6]}\n:q\n", seeded.path)
    pages = out.split("<<pager")[1:]
    assert len(pages) == 2
    assert all("Russia Seeks Starting Point" in page for page in pages)


def test_without_a_terminal_the_shell_runs_each_line_and_prints_only_results(
    seeded: Store,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "archive", "--index-dir", str(seeded.path), "shell"],
        input="putin\n:sort newest\n:frobnicate\nquit\nnever run\n",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2  # one line failed
    assert done.stdout.count("2 hits for putin") == 2
    assert "newest first" in done.stdout
    assert "search>" not in done.stdout and "Input is not a terminal" not in done.stderr
    assert "news-archive" not in done.stdout and "Goodbye" not in done.stdout
    assert "unknown command :frobnicate" in done.stderr and done.stderr.count("\n") == 1
    assert "never run" not in done.stdout
    assert all(line == line.rstrip() for line in done.stdout.splitlines())


def test_a_quote_never_closed_is_refused_with_a_hint(seeded: Store) -> None:
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "archive",
            "--index-dir",
            str(seeded.path),
            "search",
            '"peace talks',
        ],
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 2 and ran.stdout == ""
    assert ran.stderr.count("\n") == 1
    assert "a quote that is never closed" in ran.stderr and 'close it: "peace talks"' in ran.stderr
    _, out = session('"peace talks\nputin "withdraw\n"peace talks"\n:q\n', seeded.path)
    assert flat(out).count("a quote that is never closed") == 2
    assert 'close it: "peace talks"' in flat(out) and 'close it: "withdraw"' in flat(out)
    assert re.findall(r"^\d+ hits? for (.*?) in ", out, flags=re.M) == ['"peace talks"']
    _, out = session(':any on\nwhat did "putin say\n:q\n', seeded.path)  # prose, pasted
    assert "never closed" not in out and 'hits for what did "putin say' in out


def test_errors_of_lines_read_without_a_terminal_name_their_line(seeded: Store) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "archive", "--index-dir", str(seeded.path), "shell"],
        input='putin\n\n:frobnicate\nthe\n:sort newest\n"peace\n',
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    said = done.stderr.splitlines()
    assert [line.split(": ", 1)[0] for line in said] == ["line 3", "line 4", "line 6"]
    assert "unknown command :frobnicate" in said[0] and "has no words" in said[1]
    assert "a quote that is never closed" in said[2]


TERMINAL_SIZE = ("LINES", "COLUMNS")  # readline exports them on a terminal


def test_no_test_sees_the_size_of_the_terminal_pytest_was_started_from() -> None:
    import os

    assert not set(TERMINAL_SIZE) & os.environ.keys()
    started = subprocess.run(
        [sys.executable, "-c", "import os; print(' '.join(sorted(os.environ)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not set(TERMINAL_SIZE) & set(started.stdout.split())


def test_a_terminal_size_around_pytest_is_taken_from_every_test() -> None:
    import os

    inner = f"{__file__}::test_no_test_sees_the_size_of_the_terminal_pytest_was_started_from"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", inner],
        env={**os.environ, "LINES": "200", "COLUMNS": "300"},
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:]
