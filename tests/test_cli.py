"""The one-shot commands as scripts and people use them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SEED_000, SEED_001, Ran, seed_id

from archive.index.store import Store

Run = Callable[..., Ran]


def archive(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run the real program in a subprocess, as a script would."""
    return subprocess.run(
        [sys.executable, "-m", "archive", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )


def test_index_builds_the_seed_archive_and_reports_one_summary_line(run: Run) -> None:
    first = run("index")
    assert first.code == 0
    assert "2 added, 0 updated, 0 unchanged, 0 removed, 0 duplicates, 0 skipped" in first.out
    again = run("index")
    assert "0 added, 0 updated, 2 unchanged, 0 removed, 0 duplicates, 0 skipped" in again.out
    assert len(again.out.strip().splitlines()) == 1


def test_index_of_a_folder_reports_bad_files_and_exits_3(run: Run, tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "good.txt").write_text("Ferry service resumes\n\nFerries sail again.\n", "utf-8")
    (news / "bad.txt").write_bytes(b"\xff\xfe\x00\x00binary")
    ran = run("index", str(news))
    assert ran.code == 3
    assert ran.err.strip() == f"archive: skipped {news / 'bad.txt'}: binary file, not text"
    assert "1 added, 0 updated, 0 unchanged, 0 removed, 0 duplicates, 1 skipped" in ran.out
    assert run("search", "ferries").code == 0


def test_a_skipped_record_is_reported_once_not_on_every_run(run: Run, tmp_path: Path) -> None:
    wire = tmp_path / "wire.jsonl"
    rows = [
        {"newid": 1, "title": "Cocoa review", "body": "Showers eased the drought."},
        {"newid": 2, "title": None, "body": ""},  # as Reuters-21578 has
        {"newid": 3, "title": "Tin prices", "body": "Tin fell in London."},
    ]
    wire.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    first = run("index", str(wire))
    assert first.code == 3
    assert first.err == f"archive: skipped {wire} (line 2): record has no title or text\n"
    for again in (run("index", str(wire)), run("rebuild"), run("index", str(wire))):
        assert (again.code, again.err) == (0, ""), again
        assert "1 skipped earlier" in again.out
    with wire.open("a", encoding="utf-8") as more:  # a changed file is read again
        more.write(json.dumps({"newid": 4, "title": "Zinc", "body": "Zinc held."}) + "\n")
        more.write(json.dumps({"newid": 5, "body": "  "}) + "\n")
    changed = run("index", str(wire))
    assert changed.code == 3
    assert changed.err == f"archive: skipped {wire} (line 5): record has no title or text\n"
    assert "1 added" in changed.out and "1 skipped with errors" in changed.out
    assert "1 skipped earlier" in changed.out
    assert run("index", str(wire)).code == 0


def test_a_bad_file_in_a_folder_is_reported_once_and_read_when_it_changes(
    run: Run, tmp_path: Path
) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "good.txt").write_text("Ferry service resumes\n\nFerries sail again.\n", "utf-8")
    (news / "bad.txt").write_bytes(b"\xff\xfe\x00\x00binary")
    assert run("index", str(news)).code == 3
    again = run("index", str(news))
    assert (again.code, again.err) == (0, "")
    assert "1 skipped earlier" in again.out
    (news / "bad.txt").write_text("Port reopens\n\nThe port reopened.\n", "utf-8")
    fixed = run("index", str(news))
    assert fixed.code == 0 and "1 added" in fixed.out


def test_a_mistyped_path_is_a_usage_error_and_nothing_is_indexed(
    run: Run, tmp_path: Path, index_dir: Path
) -> None:
    story = tmp_path / "story.txt"
    story.write_text("Ferry service resumes\n\nFerries sail again.\n", "utf-8")
    ran = run("index", str(story), str(tmp_path / "stroy.txt"))
    assert ran.code == 2
    assert ran.err.count("\n") == 1 and "stroy.txt" in ran.err and "does not exist" in ran.err
    assert ran.out == "" and not index_dir.exists()


def test_an_unreadable_file_is_reported_and_the_rest_indexed(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = tmp_path / "news"
    news.mkdir()
    for name in ("open.txt", "locked.txt"):
        (news / name).write_text(f"{name} reopens\n\nThe harbour reopened.\n", "utf-8")
    opened = Path.open

    def locked(path: Path, *args: object, **kwargs: object) -> object:
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return opened(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", locked)
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)  # as for another user
    ran = run("index", str(news / "locked.txt"), str(news / "open.txt"))
    assert ran.code == 3
    assert ran.err == f"archive: skipped {news / 'locked.txt'}: Permission denied\n"
    assert "1 added" in ran.out


def test_search_json_has_the_documented_shape(run: Run, seeded: Store) -> None:
    ran = run("search", "--json", "peace", "talks")
    assert ran.code == 0
    data = json.loads(ran.out)
    assert data["query"] == "peace talks"
    assert data["total"] == 2
    for hit in data["hits"]:
        assert set(hit) >= {"id", "title", "date", "source", "path", "score", "snippets"}
        assert isinstance(hit["score"], float)
        assert hit["date"] is None and hit["source"] is None
        assert Path(hit["path"]).name in {SEED_000, SEED_001}
        for snippet in hit["snippets"]:
            for start, end in snippet["matches"]:
                assert snippet["text"][start:end].lower() in {"peace", "talks"}


def test_exit_codes_follow_grep(run: Run, seeded: Store) -> None:
    assert run("search", "putin").code == 0
    none = run("search", "zebra")
    assert none.code == 1
    assert "0 hits for zebra" in none.out
    bad = run("search", "the")
    assert bad.code == 2
    assert bad.err.count("\n") == 1 and bad.err.startswith("archive: error: ")


def test_usage_errors_exit_2(run: Run) -> None:
    assert run("search").code == 2
    assert run("search", "--limit", "0", "x").code == 2
    assert run("no-such-command").code == 2


def test_unexpected_errors_are_one_line_unless_traceback(
    run: Run, seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("archive.search.reader.Reader.search", broken)
    ran = run("search", "putin")
    assert ran.code == 2
    expected = "RuntimeError: disk on fire (run with --traceback for details)"
    assert ran.err == f"archive: error: {expected}\n"
    with pytest.raises(RuntimeError):
        run("--traceback", "search", "putin")


def test_show_prints_the_article_with_matches(run: Run, seeded: Store) -> None:
    ran = run("show", seed_id(SEED_000)[:6], "--query", "zaporizhia")
    assert ran.code == 0
    assert ran.out.startswith("Russia Seeks Starting Point for Peace Talks")
    assert ran.out.count("Institute for the Study of War") == 1
    data = json.loads(run("show", seed_id(SEED_001), "--json").out)
    assert set(data) >= {"id", "title", "body", "date", "source", "path"}
    assert data["id"] == seed_id(SEED_001)
    assert "Also Read" not in data["body"]


def test_show_of_an_unknown_id_exits_1(run: Run, seeded: Store) -> None:
    ran = run("show", "ffffffffffff")
    assert ran.code == 1
    assert ran.err == "archive: error: no article has the ID 'ffffffffffff'\n"
    assert "at least 4 characters" in run("show", "ab").err


def test_stats_names_the_index_and_counts(run: Run, seeded: Store, index_dir: Path) -> None:
    text = run("stats").out
    assert str(index_dir) in "".join(text.split())  # in full, perhaps folded, never cut
    assert "from $ARCHIVE_INDEX_DIR" in text
    assert "6 repeated paragraphs and 1 link line removed" in " ".join(text.split())
    data = json.loads(run("stats", "--json").out)
    assert data["index"] == str(index_dir)
    assert data["articles"] == 2


def test_index_dir_option_beats_the_environment(run: Run, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert run("--index-dir", str(other), "index").code == 0
    assert json.loads(run("--index-dir", str(other), "stats", "--json").out)["index"] == str(other)
    assert run("stats").code == 2  # $ARCHIVE_INDEX_DIR still has no index


def test_piped_output_has_no_colour_or_padding(seeded: Store) -> None:
    done = archive("search", "withdrawal")
    assert done.returncode == 0
    assert "\x1b" not in done.stdout
    assert all(line == line.rstrip() for line in done.stdout.splitlines())
    assert "2 hits for withdrawal" in done.stdout


def test_one_shot_search_does_not_load_the_shell_or_rich_for_json(seeded: Store) -> None:
    code = (
        "import sys; from archive.cli import main; main(['search', '--json', 'putin']); "
        "sys.stderr.write(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stderr.split())
    assert "whoosh" in loaded
    assert "prompt_toolkit" not in loaded
    assert "rich" not in loaded


# What the command line's entry point (archive.cli.run) does before anything else.
STARTED = "from archive.whoosh_ext.startup import prepare; prepare(); "


def test_whoosh_compile_warnings_never_reach_the_user(tmp_path: Path) -> None:
    # Whoosh 2.7.4 has invalid escape sequences; Python 3.12+ warns when compiling them.
    fake = tmp_path / "site" / "whoosh"
    fake.mkdir(parents=True)
    (fake / "oldcode.py").write_text('PATTERN = "\\d+\\s"\n', encoding="utf-8")
    script = f"import sys; sys.path.insert(0, {str(fake)!r}); {{}}import oldcode"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONWARNINGS": "default"}
    bare = subprocess.run(
        [sys.executable, "-c", script.format("")], capture_output=True, text=True, env=env
    )
    assert "invalid escape sequence" in bare.stderr  # the warning is real...
    ours = subprocess.run(
        [sys.executable, "-c", script.format(STARTED)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ours.returncode == 0
    assert ours.stderr == ""  # ...and the command line's start silences it


def test_ctrl_c_exits_130(index_dir: Path, tmp_path: Path) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text(
        "import sys, time, archive.search.reader\n"
        "def crawl(*a, **k):\n    print('searching', file=sys.stderr, flush=True)\n"
        "    time.sleep(30)\n"
        "archive.search.reader.Reader.search = crawl\n"
        "from archive.cli import run\nrun()\n",
        encoding="utf-8",
    )
    archive("index")
    proc = subprocess.Popen(
        [sys.executable, str(slow), "search", "putin"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert proc.stderr.readline() == "searching\n"  # it is searching now
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert err.strip().endswith("archive: interrupted")
    assert "Traceback" not in err


def test_bare_archive_when_piped_prints_help(run: Run) -> None:
    ran = run()
    assert ran.code == 0
    assert "Usage: archive" in ran.out and "search" in ran.out


def test_python_dash_m_works() -> None:
    done = archive("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("archive, version ")


def test_a_search_does_not_load_what_whoosh_imports_but_never_uses(seeded: Store) -> None:
    script = f"""
import sys
{STARTED}
from archive.cli import main
main(["--index-dir", {str(seeded.path)!r}, "search", "--json", "putin"])
loaded = [name for name in ("urllib.request", "whoosh.lang.morph_en")
          if getattr(sys.modules[name], "__file__", None)]
print("LOADED", loaded)
from whoosh.lang.morph_en import variations
import urllib.request
print("WORKS", len(variations("rendering")), callable(urllib.request.urlopen))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert '"total": 2' in done.stdout  # the search ran
    assert "LOADED []" in done.stdout
    assert "WORKS 16 True" in done.stdout  # and both load when something does use them


def test_a_folder_of_other_files_is_not_made_an_index(run: Run, tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "story.txt").write_text("Harbour reopens\n\nThe harbour reopened today.\n")
    ran = run("--index-dir", str(news), "index", str(news))
    assert ran.code == 2
    assert f"{news} holds other files and no index" in ran.err and "--index-dir" in ran.err
    assert sorted(p.name for p in news.iterdir()) == ["story.txt"]
    hidden = tmp_path / "fresh"  # a folder with only hidden files (a checkout's index/) is fine
    hidden.mkdir()
    (hidden / ".gitignore").write_text("*\n")
    assert run("--index-dir", str(hidden), "index").code == 0


def test_an_unreadable_folder_is_reported_and_the_rest_indexed(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    news = tmp_path / "news"
    (news / "locked").mkdir(parents=True)
    (news / "open.txt").write_text("Harbour reopens\n\nThe harbour reopened today.\n")
    real = os.scandir

    def scandir(path: object = ".") -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    ran = run("index", str(news))
    assert ran.code == 3
    assert f"skipped {news / 'locked'}: folder not read: Permission denied" in ran.err
    assert "1 added" in ran.out


def test_a_read_only_index_says_so_in_words(
    run: Run, seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.index import locking

    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(locking.os, "open", refuse)
    ran = run("index")
    assert ran.code == 2
    assert ran.err.count("\n") == 1
    assert f"the index at {seeded.path} is read-only (permission denied)" in ran.err
    assert "WRITELOCK" not in ran.err and "Errno" not in ran.err
    assert run("search", "putin").code == 0  # reading still works


def test_the_missing_index_hint_names_the_index_dir_given(run: Run, tmp_path: Path) -> None:
    where = tmp_path / "my index"
    ran = run("--index-dir", str(where), "search", "putin")
    assert ran.code == 2
    assert f"build one with 'archive --index-dir '{where}' index'" in ran.err


def test_piped_output_never_wraps_long_lines(run: Run, tmp_path: Path) -> None:
    deep = tmp_path / ("a-folder-with-a-long-name-" * 4) / "story.txt"
    deep.parent.mkdir(parents=True)
    deep.write_text("Harbour reopens\n\n" + "The harbour reopened today after repairs. " * 10)
    assert run("index", str(deep)).code == 0
    found = run("search", "harbour")
    assert any(len(line) > 200 for line in found.out.splitlines())  # one line, not wrapped
    stats = run("stats")
    assert any(str(tmp_path / "index") in line for line in stats.out.splitlines())
    assert all(line == line.rstrip() for line in found.out.splitlines())


def test_importing_the_library_changes_nothing_global() -> None:
    code = (
        "import sys, warnings\n"
        "import numpy  # adds its own warning filters when imported, as anywhere\n"
        "before = list(warnings.filters)\n"
        "from whoosh.codec import whoosh3\n"
        "original = whoosh3.W3PerDocReader._cached_reader\n"
        "import archive, archive.index.store, archive.search.reader, archive.cli\n"
        "assert warnings.filters == before, 'warning filters changed'\n"
        "assert type(sys.modules['urllib.request']).__name__ == 'module'\n"
        "assert whoosh3.W3PerDocReader._cached_reader is original, 'Whoosh patched on import'\n"
        "import urllib.request; assert hasattr(urllib.request, 'Request')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["search", "--page", "0", "x"],
        ["search"],
        ["bogus"],
        ["watch", "show"],
        ["search", "--sort", "x", "y"],
    ],
    ids=" ".join,
)
def test_bad_usage_is_one_line_naming_the_help(run: Run, args: list[str]) -> None:
    ran = run(*args)
    assert ran.code == 2
    assert len(ran.err.strip().splitlines()) == 1, ran.err
    assert ran.err.startswith("archive: error: ") and "--help' shows how to use it" in ran.err
