"""Standard streams that are not what a terminal gives: closed, or in an
encoding that cannot hold every character (PYTHONIOENCODING=ascii, or an
old locale). Every command still says what it has to say, in real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive import sources
from archive.index.store import Store


def archive(*args: str, closed: bool = False, ascii: bool = False, stdin: str = "") -> Ran:
    environ = {**os.environ, **({"PYTHONIOENCODING": "ascii"} if ascii else {})}
    command = [sys.executable, "-m", "archive", *args]
    if closed:  # the shell closes standard output before the program starts
        command = ["sh", "-c", 'exec "$@" >&-', "sh", *command]
    done = subprocess.run(command, input=stdin.encode(), capture_output=True, env=environ)
    return Ran(done.returncode, done.stdout, done.stderr)


class Ran:
    def __init__(self, code: int, out: bytes, err: bytes) -> None:
        self.code, self.out, self.err = code, out, err

    def text(self) -> str:
        """Standard output, which must be ASCII."""
        return self.out.decode("ascii")


SEED = sources.article_id("seed:000_44eb2994a6798eda.txt")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["search", "putin"], 0),
        (["search", "--json", "putin"], 0),
        (["search", "qqzx"], 1),
        (["show", SEED], 0),
        (["index"], 0),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_a_closed_standard_output_prints_nowhere_and_no_traceback(
    seeded: Store, args: list[str], code: int
) -> None:
    done = archive("--index-dir", str(seeded.path), *args, closed=True)
    assert done.code == code
    assert done.err == b""


@pytest.fixture
def foreign(grown: Path, tmp_path: Path) -> Path:
    """The grown archive with an article of accents, curly quotes and dashes,
    from a file whose name has an accent too."""
    note = tmp_path / "news" / "café.txt"
    note.write_text(
        "Café owners in Kyiv — “open as usual”\n\n"
        "The café’s owners said oil prices doubled the cost of heating – again.\n",
        "utf-8",
    )
    assert archive("--index-dir", str(grown), "index", str(note)).code == 0
    return grown


def test_search_output_falls_back_to_ascii_where_the_encoding_has_no_such_character(
    foreign: Path,
) -> None:
    done = archive("--index-dir", str(foreign), "search", "--all", "oil", "prices", ascii=True)
    assert done.code == 0, done.err
    text = done.text()
    assert 'Cafe owners in Kyiv -- "open as usual"' in text
    assert "The cafe's owners said oil prices doubled" in text
    assert " - score " in text  # the separator of the details line
    assert "..." in text  # a cut snippet
    bars = archive("--index-dir", str(foreign), "timeline", "oil", ascii=True).text()
    assert "1987-02 4 ####" in bars and "Peak: 1987-02-01 - top story" in bars
    data = json.loads(
        archive("--index-dir", str(foreign), "search", "--json", "cafe", ascii=True).text()
    )
    assert data["hits"][0]["title"] == "Café owners in Kyiv — “open as usual”"  # JSON loses nothing


def every_command(index: Path, tmp_path: Path) -> list[tuple[list[str], str]]:
    """Each command with arguments that make it print, and standard input."""
    cafe = json.loads(archive("--index-dir", str(index), "search", "--json", "cafe").out)
    some = cafe["hits"][0]["id"]
    topics, qrels = tmp_path / "topics.tsv", tmp_path / "qrels.trec"
    topics.write_text("1\toil prices\n", "utf-8")
    qrels.write_text(f"1 0 {some} 1\n", "utf-8")
    lines = "cafe\n:filters\n:timeline\n:open 1\n:note 1 seen before\n:cite 1 mla\n"
    lines += ":stats\n:facet source\noil\n:save! x.md\n"
    return [
        (["--help"], ""),
        *(([name, "--help"], "") for name in COMMANDS),
        *(
            (["search", "--format", kind, "cafe"], "")
            for kind in ("text", "md", "csv", "jsonl", "json")
        ),
        (["search", "--facet", "source", "--facet", "date:month", "oil"], ""),
        (["show", some], ""),
        (["show", "--json", some], ""),
        (["similar", some], ""),
        (["timeline", "oil"], ""),
        (["timeline", "--csv", "oil"], ""),
        (["stats"], ""),
        (["sources"], ""),
        (["tag", "+cafe-story", "cafe"], ""),
        (["mark", "flagged", "cafe"], ""),
        (["note", some, "café crème, déjà vu"], ""),
        (["note", some], ""),
        (["cite", some], ""),
        (["cite", "--style", "bibtex", some], ""),
        (["tags"], ""),
        (["tags", "--export", "-"], ""),
        (["check"], ""),
        (["eval", "--id-field", "id", "--per-query", str(topics), str(qrels)], ""),
        (["watch", "add", "cafes", "cafe"], ""),
        (["watch"], ""),
        (["watch", "show", "cafes"], ""),
        (["follow", "--list"], ""),
        (["update"], ""),
        (["index", str(tmp_path / "news")], ""),
        (["shell"], lines),
        (["rebuild"], ""),
    ]


COMMANDS = [
    "check", "cite", "eval", "follow", "index", "mark", "note", "rebuild", "search", "serve",
    "shell",
    "show", "similar", "sources", "stats", "tag", "tags", "timeline", "unfollow", "update",
    "watch",
]  # fmt: skip


def test_every_command_writes_ascii_to_an_ascii_stream(
    foreign: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.cli import cli

    assert sorted(COMMANDS) == sorted(cli.commands)
    monkeypatch.chdir(tmp_path)
    for args, lines in every_command(foreign, tmp_path):
        done = archive("--index-dir", str(foreign), *args, ascii=True, stdin=lines)
        said = done.err.decode("ascii")
        assert done.code in (0, 1), (args, said)
        assert "Traceback" not in said and "Error" not in said, (args, said)
        assert done.text().strip() or args == ["update"], args  # it printed, in ASCII
