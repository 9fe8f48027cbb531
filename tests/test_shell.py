"""The interactive shell, driven through prompt_toolkit's pipe input."""

from __future__ import annotations

import io
from pathlib import Path

from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from archive import shell
from archive.locations import IndexLocation, history_file
from archive.store import Store


def session(keys: str, index: Path) -> tuple[int, str]:
    """Type ``keys`` into a shell on ``index``; return its exit code and what it printed."""
    out = io.StringIO()
    console = Console(file=out, width=100, highlight=False)
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        code = shell.main(
            IndexLocation(index, "test"), input=pipe, output=DummyOutput(), console=console
        )
    return code, out.getvalue()


def test_a_query_prints_ranked_highlighted_hits(seeded: Store) -> None:
    code, out = session("withdrawal\n:quit\n", seeded.path)
    assert code == 0
    assert "2 hits for withdrawal" in out
    assert " 1. " in out and " 2. " in out
    assert "Russia Seeks Starting Point for Peace Talks" in out


def test_the_banner_names_the_index_in_use(seeded: Store) -> None:
    _, out = session(":quit\n", seeded.path)
    assert "2 articles in" in out
    assert str(seeded.path) in "".join(out.split())


def test_a_missing_index_is_built_from_the_seeds_first(index_dir: Path) -> None:
    code, out = session("zaporizhzhia\n\x04", index_dir)
    assert code == 0
    assert "No articles indexed yet" in out
    assert "2 articles added." in out
    assert "1 hit for zaporizhzhia" in out
    assert Store.open(index_dir).ix.doc_count() == 2


def test_ctrl_c_clears_the_line_and_ctrl_d_says_goodbye(seeded: Store) -> None:
    code, out = session("beckstrom\x03putin\n\x04", seeded.path)
    assert code == 0
    assert "beckstrom" not in out
    assert "2 hits for putin" in out
    assert out.rstrip().endswith("Goodbye.")


def test_help_lists_every_registered_command_with_an_example(seeded: Store) -> None:
    _, out = session(":help\n:q\n", seeded.path)
    for entry in {c.name: c for c in shell.COMMANDS.values()}.values():
        assert f":{entry.name}" in out
        assert f"e.g. {entry.example}" in out


def test_unknown_commands_and_bad_queries_get_one_line_hints(seeded: Store) -> None:
    _, out = session(":frobnicate\nthe\n:quit\n", seeded.path)
    assert "unknown command :frobnicate; type :help for the list" in out
    assert "has no words to search for" in out
    assert "Traceback" not in out


def test_stats_in_the_shell(seeded: Store) -> None:
    _, out = session(":stats\n:quit\n", seeded.path)
    assert "Articles" in out and "Schema version" in out


def test_history_persists_between_sessions(seeded: Store) -> None:
    session("putin\n:quit\n", seeded.path)
    saved = history_file().read_text(encoding="utf-8")
    assert "+putin" in saved
    assert history_file().is_relative_to(Path(str(seeded.path)).parent)  # never in ~
