"""Crashes and concurrent writers, with real processes.

``kill -9`` at several points of a real indexing run (early, midway, and
during the final commit) must leave an index that opens and holds the
articles of the last completed run; re-running completes the work.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, SEED_000, SEEDS, band_keys_held, search, seed_id

from archive.index.store import Store


def archive(index: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "archive", "--index-dir", str(index), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = process.communicate(timeout=300)
    return process.returncode, err.decode()


def no_process_left(index: Path, within: float = 60.0) -> bool:
    """Whether, soon (a hang guard, not a measure), no process works on ``index``."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = []
        for entry in Path("/proc").iterdir():
            try:
                if str(index).encode() in (entry / "cmdline").read_bytes():
                    alive.append(entry.name)
            except OSError:
                continue
        if not alive:
            return True
        time.sleep(0.1)
    return False


def wait_until_writing(index: Path, process: subprocess.Popen[bytes]) -> None:
    """Until ``process`` holds the index's write lock (it names itself when it does)."""
    pid_file = index / "archive-writer.pid"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text().split(" ")[0] == str(process.pid):
            return
        time.sleep(0.02)
    raise AssertionError("the indexer never started writing")


@pytest.fixture(scope="module")
def full_run(wire: Path, tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many articles a whole run adds."""
    index = tmp_path_factory.mktemp("full") / "index"
    finish(archive(index, "index"))
    code, err = finish(archive(index, "index", str(wire)))
    assert code == 0, err
    return Store.open(index).ix.doc_count() - 2


class Watched:
    """An ``archive index`` run whose standard error is a terminal: the test
    reads its live count of articles read off it, as a user would."""

    def __init__(self, index: Path, *args: str) -> None:
        import pty
        import threading

        self.index = index
        main, other = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "archive", "--index-dir", str(index), *args],
            stdout=subprocess.PIPE,
            stderr=other,
        )
        os.close(other)
        self.said = b""
        self._reading = threading.Thread(target=self._read, args=(main,), daemon=True)
        self._reading.start()

    def _read(self, main: int) -> None:
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the run has ended and closed its terminal
                chunk = b""
            if not chunk:
                os.close(main)
                return
            self.said += chunk

    def wait_until_read(self, articles: int) -> None:
        """Until the run says it has read at least this many articles."""
        import re

        while self.process.poll() is None:
            counts = re.findall(rb"(\d[\d,]*) articles? (?:\xc2\xb7|-) ", self.said)
            if counts and int(counts[-1].replace(b",", b"")) >= articles:
                return
            time.sleep(0.02)
        raise AssertionError(f"the run ended before reading {articles} articles")

    def wait_until_committed(self) -> None:
        """Until the run's commit has written a new table of contents."""
        before = set(self.index.glob("_MAIN_*.toc"))
        while self.process.poll() is None:
            if set(self.index.glob("_MAIN_*.toc")) - before:
                return
            time.sleep(0.005)
        raise AssertionError("the run ended before its commit was seen")

    def finish(self) -> tuple[int, str, str]:
        """The exit status, standard output and (once the terminal is closed) error."""
        out, _ = self.process.communicate()
        self._reading.join()
        return self.process.returncode, out.decode(), self.said.decode(errors="replace")


@pytest.mark.parametrize("when", ["early", "midway", "committing"])
def test_kill_9_leaves_the_last_completed_run(
    wire: Path, full_run: int, tmp_path: Path, when: str
) -> None:
    added = full_run
    index = tmp_path / "index"
    assert finish(archive(index, "index"))[0] == 0  # the completed run: the two seeds
    run = Watched(index, "index", str(wire))
    if when == "committing":  # the commit written, the record of files being written
        run.wait_until_committed()
    else:  # a fifth, or three fifths, of the articles read
        run.wait_until_read(added // 5 if when == "early" else added * 3 // 5)
    run.process.send_signal(signal.SIGKILL)
    run.finish()  # reap it and close its pipes
    assert no_process_left(index)  # its indexing workers do not outlive it
    survived = Store.open(index)  # opens: no half-written state is visible
    assert survived.ix.doc_count() in (2, 2 + added)
    assert search(survived, "putin").total == 2  # and answers queries
    code, err = finish(archive(index, "index", str(wire)))  # a re-run completes the work
    assert code == 0, err
    assert Store.open(index).ix.doc_count() == 2 + added


def test_a_second_indexer_with_no_wait_names_the_first(wire: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    finish(archive(index, "index"))
    first = archive(index, "index", str(wire))
    wait_until_writing(index, first)
    code, err = finish(archive(index, "index", "--no-wait"))
    assert code == 4
    assert f"being written by process {first.pid}" in err
    os.kill(first.pid, signal.SIGKILL)  # the writer dies holding the lock...
    first.communicate(timeout=30)
    code, err = finish(archive(index, "index", "--no-wait"))  # ...and the lock is free
    assert code == 0, err


def damaged_copy(tmp_path: Path, how: str) -> Path:
    index = tmp_path / how
    code, err = finish(archive(index, "index"))
    assert code == 0, err
    if how == "truncated":
        (segment,) = index.glob("*.seg")
        data = segment.read_bytes()
        segment.write_bytes(data[: len(data) // 2])
    else:
        (toc,) = index.glob("_MAIN_*.toc")
        data = toc.read_bytes()
        toc.write_bytes(data[:40] + b"garbage" * 20 + data[180:])
    return index


def run_cli(index: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archive", "--index-dir", str(index), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_truncated_segment_is_reported_as_damage_not_an_interruption(tmp_path: Path) -> None:
    index = damaged_copy(tmp_path, "truncated")
    for args in (("search", "putin"), ("check",)):
        done = run_cli(index, *args)
        assert done.returncode == 2
        assert "damaged" in done.stderr and "interrupted" not in done.stderr
        assert "Traceback" not in done.stderr


def test_garbage_in_the_table_of_contents_is_a_clear_error(tmp_path: Path) -> None:
    done = run_cli(damaged_copy(tmp_path, "garbage"), "search", "putin")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is damaged and cannot be opened" in lines[0]
    assert "'archive rebuild' re-creates it" in lines[0]


def test_check_passes_a_sound_index(tmp_path: Path) -> None:
    index = tmp_path / "sound"
    finish(archive(index, "index"))
    done = run_cli(index, "check")
    assert done.returncode == 0
    assert done.stdout.strip() == f"The index at {index} is sound: 2 articles."


def test_ctrl_c_commits_what_was_read_and_a_rerun_completes(
    wire: Path, full_run: int, tmp_path: Path
) -> None:
    added = full_run
    index = tmp_path / "index"
    assert finish(archive(index, "index"))[0] == 0
    run = Watched(index, "index", str(wire))
    run.wait_until_read(added // 10)  # reading has begun; it takes most of the run
    run.process.send_signal(signal.SIGINT)
    code, out, err = run.finish()
    assert code == 130, err
    assert "stopping after the current article" in err
    assert "run the same command again to index the rest" in err
    committed = int(out.split(": ", 1)[1].split(" added")[0])
    assert 0 < committed < added  # part of the work, and the summary says how much
    assert Store.open(index).ix.doc_count() == 2 + committed
    code, err_text = finish(archive(index, "index", str(wire)))
    assert code == 0, err_text
    assert Store.open(index).ix.doc_count() == 2 + added


def segment_holding(index: Path, origin_prefix: str) -> Path:
    """The segment file whose articles came from ``origin_prefix``."""
    from whoosh.reading import SegmentReader

    ix = Store.open(index).ix
    for segment in ix._segments():
        reader = SegmentReader(ix.storage, ix.schema, segment)
        origins = {fields["origin"] for fields in reader.all_stored_fields()}
        reader.close()
        if all(origin.startswith(origin_prefix) for origin in origins):
            return index / f"{segment.segment_id()}.seg"
    raise AssertionError(f"no segment holds only {origin_prefix}")


def test_rebuild_recreates_a_damaged_index_from_its_sources(tmp_path: Path) -> None:
    index = tmp_path / "index"
    folder = tmp_path / "news"
    shutil.copytree(FIXTURES / "bbc_business", folder)
    assert run_cli(index, "index").returncode == 0
    assert run_cli(index, "index", str(folder)).returncode == 0
    piped = subprocess.run(
        [sys.executable, "-m", "archive", "--index-dir", str(index), "index", "-"],
        input="Zebras cross the high street\n\nA herd of zebras crossed the high street.\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert "1 added" in piped.stdout
    before = {fields["id"] for fields in Store.open(index).ix.searcher().all_stored_fields()}
    assert len(before) == 33
    damaged = segment_holding(index, str(folder))  # the 30 files' segment is cut short
    damaged.write_bytes(damaged.read_bytes()[:200])
    assert run_cli(index, "check").returncode == 2

    done = run_cli(index, "rebuild")
    assert done.returncode == 0, done.stderr
    assert "33 articles from 30 files and the seed articles, 1 carried over" in done.stdout
    assert run_cli(index, "check").returncode == 0
    after = {fields["id"] for fields in Store.open(index).ix.searcher().all_stored_fields()}
    assert after == before  # nothing lost: re-read from the files, or carried over
    assert "1 hit for zebras" in run_cli(index, "search", "zebras").stdout
    (kept,) = index.glob(".before-rebuild-*")
    assert damaged.name in {path.name for path in kept.iterdir()}  # the old index, kept


def test_rebuild_reports_a_source_that_is_gone_and_keeps_its_articles(tmp_path: Path) -> None:
    index = tmp_path / "index"
    folder = tmp_path / "news"
    shutil.copytree(FIXTURES / "bbc_business", folder)
    assert run_cli(index, "index", str(folder)).returncode == 0
    gone = sorted(folder.iterdir())[0]
    gone.unlink()
    done = run_cli(index, "rebuild")
    assert done.returncode == 3
    assert f"{gone}: recorded as a source but gone" in done.stderr
    assert "30 articles from 29 files, 1 carried over" in done.stdout
    assert "1 recorded file is gone" in done.stdout


def test_rebuild_waits_for_no_writer_with_no_wait(wire: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    finish(archive(index, "index"))
    writer = archive(index, "index", str(wire))
    wait_until_writing(index, writer)
    done = run_cli(index, "rebuild", "--no-wait")
    assert done.returncode == 4
    assert f"being written by process {writer.pid}" in done.stderr
    writer.kill()
    writer.communicate(timeout=30)


def test_searches_work_during_a_run_and_see_its_articles_once_committed(
    wire: Path, tmp_path: Path
) -> None:
    from archive.search.reader import Reader

    index = tmp_path / "index"
    finish(archive(index, "index"))
    live = Reader.open(index)  # as the shell keeps one open

    def total(text: str) -> int:
        return live.search(live.prepare(text)).total

    assert total("putin") == 2
    writer = archive(index, "index", str(wire))
    wait_until_writing(index, writer)
    during = run_cli(index, "search", "--json", "putin")  # a one-shot search meanwhile
    assert during.returncode == 0, during.stderr
    assert json.loads(during.stdout)["total"] == 2
    assert total("putin") == 2
    assert total("bundesbank") == 0  # not committed yet
    code, err = finish(writer)
    assert code == 0, err
    assert total("bundesbank") > 0  # the same reader sees it
    live.close()


def wait_until_named(index: Path, process: subprocess.Popen[bytes], doing: str) -> None:
    pid_file = index / "archive-writer.pid"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text() == f"{process.pid} {doing}":
            return
        time.sleep(0.02)
    raise AssertionError(f"process {process.pid} never started to {doing}")


def test_an_index_run_waiting_for_a_rebuild_writes_into_the_rebuilt_index(
    wire: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    assert run_cli(index, "index", str(wire)).returncode == 0
    extra = tmp_path / "extra.txt"
    extra.write_text("Zorblaxes cross the high street\n\nA herd of zorblaxes crossed the road.\n")
    rebuilding = archive(index, "rebuild")
    wait_until_named(index, rebuilding, "rebuild")
    waiting = archive(index, "index", str(extra))
    code, err = finish(waiting)
    assert code == 0, err
    assert f"being written by process {rebuilding.pid} (archive rebuild)" in err
    assert finish(rebuilding)[0] == 0
    assert "1 hit for zorblaxes" in run_cli(index, "search", "zorblaxes").stdout
    again = run_cli(index, "index", str(extra))  # it was recorded as read
    assert "1 unchanged file not read" in again.stdout
    assert run_cli(index, "check").returncode == 0


def test_rebuild_keeps_its_backup_inside_the_index_folder_and_only_the_newest(
    tmp_path: Path,
) -> None:
    index = tmp_path / "index"
    assert run_cli(index, "index").returncode == 0
    first = run_cli(index, "rebuild")
    assert first.returncode == 0, first.stderr
    (kept,) = index.glob(".before-rebuild-*")
    assert f"kept in {kept}" in first.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["index"]  # nothing beside it
    while kept.name.endswith(datetime.now(UTC).strftime("%Y%m%dT%H%M%S")):
        time.sleep(0.05)  # backups are named by the second: until the next one
    assert run_cli(index, "rebuild").returncode == 0
    (newest,) = index.glob(".before-rebuild-*")
    assert newest != kept
    assert any(name.name.endswith(".toc") for name in newest.iterdir())  # a whole index


def test_rebuild_reads_files_indexed_through_relative_paths_and_links(tmp_path: Path) -> None:
    index = tmp_path / "index"
    real = tmp_path / "real"
    shutil.copytree(FIXTURES / "bbc_business", real)
    work = tmp_path / "work"
    work.mkdir()
    (work / "link").symlink_to(real)
    done = subprocess.run(
        [sys.executable, "-m", "archive", "--index-dir", str(index), "index", "link/001.txt"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rebuilt = subprocess.run(
        [sys.executable, "-m", "archive", "--index-dir", str(index), "rebuild"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "1 article from 1 file, 0 carried over" in rebuilt.stdout
    shown = run_cli(index, "search", "--json", "*")
    assert json.loads(shown.stdout)["hits"][0]["path"] == str(real / "001.txt")


def test_rebuild_without_room_says_so_and_leaves_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.errors import ArchiveError
    from archive.index import rebuild as rebuilding

    index = tmp_path / "index"
    assert run_cli(index, "index").returncode == 0
    monkeypatch.setattr(
        rebuilding.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(1, 1, 1024)
    )  # type: ignore[attr-defined]
    with pytest.raises(ArchiveError, match="not enough free space to rebuild"):
        rebuilding.rebuild(index)
    assert not list(index.glob(".*rebuild*"))
    assert run_cli(index, "check").returncode == 0


def test_leftovers_of_killed_runs_are_cleaned_by_the_next(tmp_path: Path) -> None:
    index = tmp_path / "index"
    assert run_cli(index, "index").returncode == 0
    (index / ".rebuilding-99999").mkdir()
    (index / ".rebuilding-99999" / "MAIN_x.seg").write_bytes(b"half")
    (index / ".before-rebuild-20250101T000000.partial").mkdir()
    (index / "MAIN.tmp").mkdir()
    (index / "MAIN_orphan0123456789.seg").write_bytes(b"x" * 1000)
    (index / "_MAIN_99.toc.1234.5").write_bytes(b"unfinished")
    assert run_cli(index, "index").returncode == 0
    left = sorted(path.name for path in index.iterdir())
    assert not [name for name in left if "rebuild" in name or "orphan" in name or "tmp" in name]
    assert "_MAIN_99.toc.1234.5" not in left
    assert run_cli(index, "check").returncode == 0


def flip_bytes(path: Path, every: int = 97) -> None:
    data = bytearray(path.read_bytes())
    for position in range(100, len(data), every):  # past the header: the pages
        data[position] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("table", ["archive-files.sqlite", "archive-stories.sqlite"])
def test_check_reads_the_tables_beside_the_index(tmp_path: Path, table: str) -> None:
    index = tmp_path / "index"
    folder = tmp_path / "news"
    shutil.copytree(FIXTURES / "bbc_business", folder)
    assert run_cli(index, "index", str(folder)).returncode == 0
    flip_bytes(index / table)
    checked = run_cli(index, "check")
    assert checked.returncode == 2
    assert f"damaged: {table}" in checked.stderr
    rebuilt = run_cli(index, "rebuild")  # the table is set aside and files are read again
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "30 articles from 30 files" in rebuilt.stdout or table.endswith("stories.sqlite")
    assert run_cli(index, "check").returncode == 0
    assert "hits for yukos" in run_cli(index, "search", "yukos").stdout


def test_a_damaged_meta_file_is_called_damaged(tmp_path: Path) -> None:
    index = tmp_path / "index"
    assert run_cli(index, "index").returncode == 0
    (index / "archive-meta.json").write_bytes(b"\x00\x01{garbage")
    searched = run_cli(index, "search", "putin")
    assert searched.returncode == 2
    assert "is damaged: archive-meta.json cannot be read" in searched.stderr
    assert "unknown schema version" not in searched.stderr
    assert run_cli(index, "rebuild").returncode == 0
    assert run_cli(index, "search", "putin").returncode == 0


def test_an_index_without_articles_answers_every_command(tmp_path: Path) -> None:
    index = tmp_path / "index"
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert run_cli(index, "index", str(empty)).returncode == 3
    for args, code in [
        (("search", "oil"), 1),
        (("search", "--facet", "source", "--facet", "date:month", "oil"), 1),
        (("timeline", "oil"), 1),
        (("stats",), 0),
        (("check",), 0),
    ]:
        done = run_cli(index, *args)
        assert done.returncode == code, (args, done.stderr)
        assert "error" not in done.stderr, args


def test_rebuild_survives_any_damage_to_the_record_of_files(tmp_path: Path) -> None:
    import random

    index = tmp_path / "index"
    folder = tmp_path / "news"
    shutil.copytree(FIXTURES / "bbc_business", folder)
    assert run_cli(index, "index", str(folder)).returncode == 0
    pristine = tmp_path / "pristine"
    shutil.copytree(index, pristine)
    chance = random.Random(8)
    for trial in range(6):
        shutil.rmtree(index)
        shutil.copytree(pristine, index)
        record = index / "archive-files.sqlite"
        data = bytearray(record.read_bytes())
        start = chance.randrange(0, len(data) - 64)
        if trial % 2:
            data[start : start + 64] = bytes(64)  # a zeroed run
        else:
            for _ in range(8):
                data[chance.randrange(len(data))] ^= 0xFF  # scattered flips
        record.write_bytes(bytes(data))
        rebuilt = run_cli(index, "rebuild")
        assert rebuilt.returncode == 0, (trial, rebuilt.stderr)
        assert "30 articles from 30 files" in rebuilt.stdout, (trial, rebuilt.stdout)
        assert run_cli(index, "check").returncode == 0


WORKER_CANNOT_WRITE = """
import resource, signal, sys
from archive import cli
from archive.index import writer

work = writer._work

def small_files(*args):  # in the worker process only
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
    work(*args)

writer._work = small_files
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_worker_that_cannot_write_fails_the_run_and_loses_nothing(
    wire: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    assert run_cli(index, "index").returncode == 0
    failed = subprocess.run(  # and the process ends: nothing waits on the lost worker
        [sys.executable, "-c", WORKER_CANNOT_WRITE, "--index-dir", str(index), "index", str(wire)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    err = failed.stderr
    assert failed.returncode == 2, err
    assert "writing the index failed: OSError: [Errno 27] File too large" in err
    assert err.count("\n") == 1 and "Traceback" not in err and "Process " not in err
    assert Store.open(index).ix.doc_count() == 2  # the seeds, nothing half-written
    again = run_cli(index, "index", str(wire))  # the file was not recorded as read
    assert again.returncode == 0, again.stderr
    assert "unchanged files not read" not in again.stdout
    assert Store.open(index).ix.doc_count() > 1000


def test_a_full_disk_fails_the_run_and_the_next_run_completes_it(
    wire: Path, tmp_path: Path
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("this machine does not let tests mount a small filesystem")
    try:
        index = disk / "index"
        assert run_cli(index, "index").returncode == 0
        filler = disk / "filler"
        free = shutil.disk_usage(disk).free
        filler.write_bytes(b"\0" * (free - 300 * 1024))  # about 300 KB left
        full = run_cli(index, "index", str(wire))
        assert full.returncode == 2
        assert "No space left on device" in full.stderr
        assert full.stderr.count("\n") == 1 and "Traceback" not in full.stderr
        filler.unlink()
        assert json.loads(run_cli(index, "stats", "--json").stdout)["articles"] == 2
        again = run_cli(index, "index", str(wire))
        assert again.returncode == 0, again.stderr
        assert "unchanged files not read" not in again.stdout
        assert run_cli(index, "check").returncode == 0
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_rebuild_moves_an_index_of_an_earlier_version_to_this_one(tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(FIXTURES / "index-v9", index)
    refused = run_cli(index, "search", "zorblax")
    assert refused.returncode == 2 and "schema version 9" in refused.stderr
    rebuilt = run_cli(index, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "1 carried over" in rebuilt.stdout  # the article read from standard input
    assert "1 hit for zorblax" in run_cli(index, "search", "zorblax").stdout
    assert "2 hits for putin" in run_cli(index, "search", "putin").stdout
    assert not (index / "archive-bands.sqlite").exists()  # an earlier table, moved aside
    assert run_cli(index, "check").returncode == 0


# The first bytes of a SQLite rollback journal that holds a transaction to undo
# (a journal whose header is still zero is ignored by SQLite).
HOT_JOURNAL = bytes.fromhex("d9d505f920a163d7")
STORIES = "archive-stories.sqlite"


def hot_journal(table: Path) -> bool:
    try:
        with open(f"{table}-journal", "rb") as journal:
            return journal.read(8) == HOT_JOURNAL
    except OSError:
        return False


def story_rows(index: Path) -> tuple[set[tuple[int, str]], int]:
    """The live band keys the segments hold (each the same as its article's
    stored fingerprint gives) and the number of copies in the story table."""
    import sqlite3

    held, expected = band_keys_held(index)
    assert held == expected
    db = sqlite3.connect(f"file:{index / STORIES}?mode=ro", uri=True)
    try:
        return held, int(db.execute("SELECT COUNT(*) FROM copies").fetchone()[0])
    finally:
        db.close()


def test_a_rebuild_after_a_killed_run_leaves_no_old_journal_beside_the_new_table(
    tmp_path: Path,
) -> None:
    index = tmp_path / "index"
    folder = Path(shutil.copytree(FIXTURES / "bbc_business", tmp_path / "news"))
    assert run_cli(index, "index", str(folder)).returncode == 0
    _, copies = story_rows(index)
    killed_story_writer(index)  # its changes in the file, to be undone
    for changed in sorted(folder.iterdir())[:10]:  # the rebuilt table differs from the old
        changed.write_text(changed.read_text("utf-8").replace(" the ", " a "), "utf-8")
    rebuilt = run_cli(index, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    checked = run_cli(index, "check")
    assert checked.returncode == 0, checked.stderr
    assert "sound" in checked.stdout
    assert story_rows(index)[1] == copies
    again = run_cli(index, "index")  # a writer opens the rebuilt table
    assert again.returncode == 0, again.stderr
    assert run_cli(index, "check").returncode == 0
    assert story_rows(index)[1] == copies


# A writer of the story table killed before its commit, its changes already in
# the file (SQLite's cache of one page spills them there at once).
KILLED_WRITER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA cache_size = 1")
db.execute("DELETE FROM copies")
rows = [(f"filler-{n}", "nothing", "x" * 200) for n in range(5000)]
db.executemany("INSERT INTO copies (id, of, origin) VALUES (?, ?, ?)", rows)
print("writing", flush=True)
time.sleep(600)
"""


def killed_story_writer(index: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(index / STORIES)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
    writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=30)
    assert hot_journal(index / STORIES)


@pytest.fixture
def with_a_copy(tmp_path: Path) -> tuple[Path, str]:
    """An index of 30 files and the seeds, one of the seeds with a copy."""
    index = tmp_path / "index"
    folder = Path(shutil.copytree(FIXTURES / "bbc_business", tmp_path / "news"))
    shutil.copy(SEEDS / SEED_000, folder / "copy-of-a-seed.txt")
    assert run_cli(index, "index").returncode == 0
    assert run_cli(index, "index", str(folder)).returncode == 0
    return index, seed_id(SEED_000)


def test_check_after_a_killed_writer_rolls_its_changes_back_instead_of_calling_it_damage(
    with_a_copy: tuple[Path, str],
) -> None:
    index, _ = with_a_copy
    before = story_rows(index)
    assert before[1] == 1
    killed_story_writer(index)
    checked = run_cli(index, "check")
    assert checked.returncode == 0, checked.stderr
    assert "damaged" not in checked.stderr + checked.stdout
    assert story_rows(index) == before  # the killed writer's changes are undone
    assert not hot_journal(index / STORIES)


def test_readers_after_a_killed_writer_still_find_an_articles_copies(
    with_a_copy: tuple[Path, str],
) -> None:
    index, seed = with_a_copy
    killed_story_writer(index)
    shown = run_cli(index, "show", "--json", seed)
    assert shown.returncode == 0, shown.stderr
    assert [Path(where).name for where in json.loads(shown.stdout)["copies"]] == [
        "copy-of-a-seed.txt"
    ]


def test_check_while_a_writer_holds_the_lock_leaves_the_journal_to_it(
    with_a_copy: tuple[Path, str],
) -> None:
    from archive.index import locking

    index, _ = with_a_copy
    before = story_rows(index)
    killed_story_writer(index)
    with locking.hold(index, "index"):  # the next writer, about to open the table
        checked = run_cli(index, "check")
        assert hot_journal(index / STORIES)
    assert checked.returncode == 0, checked.stderr
    assert "damaged" not in checked.stderr + checked.stdout
    assert run_cli(index, "index").returncode == 0  # the writer rolls it back
    assert story_rows(index) == before


def test_check_of_an_index_it_may_not_write_says_the_next_run_rolls_back_a_killed_writer(
    with_a_copy: tuple[Path, str], another_user: tuple[str, ...]
) -> None:
    index, _ = with_a_copy
    killed_story_writer(index)
    for path in [index, *index.iterdir()]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        command = [sys.executable, "-m", "archive", "--index-dir", str(index)]
        checked = subprocess.run([*another_user, *command, "check"], capture_output=True, text=True)
        searched = subprocess.run([*another_user, *command, "search", "putin"], capture_output=True)
    finally:
        for path in [index, *index.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert checked.returncode == 2
    assert "holds the changes of an interrupted run" in checked.stderr
    assert "the next 'archive index' rolls back" in checked.stderr
    assert "damaged" not in checked.stderr + checked.stdout
    assert searched.returncode == 0, searched.stderr
    assert hot_journal(index / STORIES)
    assert run_cli(index, "check").returncode == 0  # here, it can be rolled back


def added_times(index: Path) -> dict[str, object]:
    with Store.open(index).searcher() as searcher:
        return {str(fields["id"]): fields["added"] for fields in searcher.all_stored_fields()}


def test_rebuild_keeps_when_each_article_was_added_so_watches_see_nothing_new(
    tmp_path: Path,
) -> None:
    index = tmp_path / "index"
    folder = Path(shutil.copytree(FIXTURES / "bbc_business", tmp_path / "news"))
    assert run_cli(index, "index", str(folder)).returncode == 0
    subprocess.run(
        [sys.executable, "-m", "archive", "--index-dir", str(index), "index", "-"],
        input="Shares of zebra farms rise\n\nShares in zebra farms rose sharply.\n",
        capture_output=True,
        text=True,
        check=True,
    )  # read from standard input: carried over by a rebuild
    before = added_times(index)
    assert run_cli(index, "watch", "add", "shares", "shares").returncode == 0
    rebuilt = run_cli(index, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    listed = run_cli(index, "watch").stdout.splitlines()
    assert [line.split()[:2] for line in listed if "shares" in line] == [["shares", "0"]]
    assert run_cli(index, "watch", "show", "shares").returncode == 1  # nothing new
    assert added_times(index) == before


READER_DIES = """
import os, sys
from archive import cli, sources
from archive.index import reading

reading.READERS, reading.START_BYTES = 2, 0
read_file = sources.read_file

def dying(path, fields=None):  # in the reader process
    if path.name == "part-4.jsonl":
        os._exit(9)
    return read_file(path, fields)

sources.read_file = dying
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_reader_that_dies_fails_the_run_and_loses_nothing(wire: Path, tmp_path: Path) -> None:
    folder = tmp_path / "inputs"  # the wire sample in six files
    folder.mkdir()
    lines = wire.read_bytes().splitlines(keepends=True)
    for part in range(6):
        (folder / f"part-{part}.jsonl").write_bytes(b"".join(lines[part::6]))
    index = tmp_path / "index"
    assert run_cli(index, "index").returncode == 0  # the seeds
    failed = subprocess.run(
        [sys.executable, "-c", READER_DIES, "--index-dir", str(index), "index", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failed.returncode != 0
    assert "a reader process ended before its file was read" in failed.stderr
    assert "Traceback" not in failed.stderr
    listed = run_cli(index, "stats")
    assert listed.returncode == 0 and "2 articles" in listed.stdout, listed.stdout
    again = run_cli(index, "index", str(folder))  # and the next run reads it all
    assert again.returncode == 0, again.stderr
