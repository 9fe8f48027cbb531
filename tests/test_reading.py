"""Files read ahead by reader processes give the index that reading them
in the run gives; a file that fails in a reader is told as it would be, and
a reader that dies fails the run without losing what was indexed."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from archive.index import reading
from archive.index.indexer import index_paths
from archive.index.store import Store


def _folder(wire: Path, root: Path) -> Path:
    """The wire sample in six files, one of them again under another name
    (exact copies), and one with broken lines and an empty article."""
    folder = root / "inputs"
    folder.mkdir()
    lines = wire.read_bytes().splitlines(keepends=True)
    for part in range(6):
        (folder / f"part-{part}.jsonl").write_bytes(b"".join(lines[part::6]))
    (folder / "part-9-again.jsonl").write_bytes(b"".join(lines[2::6]))
    broken = [b"{not json\n", json.dumps({"title": "", "body": ""}).encode() + b"\n"]
    (folder / "part-5x.jsonl").write_bytes(b"".join([*broken, *lines[1:60:6]]))
    return folder


def _index(folder: Path, index: Path) -> tuple[Any, dict[str, str]]:
    import whoosh.index

    store = Store.create(index)
    report = index_paths(store, [folder])
    store.close()
    ix = whoosh.index.open_dir(str(index))
    with ix.searcher() as searcher:
        clusters = {str(f["id"]): str(f.get("cluster") or f["id"]) for f in searcher.documents()}
    ix.close()
    return report, clusters


def test_readers_give_the_index_that_reading_in_the_run_gives(
    wire: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(wire, tmp_path)
    monkeypatch.setattr(reading, "READERS", 2)  # as on a machine with cores to spare
    monkeypatch.setattr(reading, "START_BYTES", 1 << 40)
    monkeypatch.setattr(reading, "CHUNK", 7)  # many chunks a file
    inline, inline_clusters = _index(folder, tmp_path / "inline")
    started: list[int] = []
    monkeypatch.setattr(reading, "START_BYTES", 0)
    monkeypatch.setattr(reading._Reader, "__init__", _counting(started))
    ahead, ahead_clusters = _index(folder, tmp_path / "ahead")
    assert started == [1, 1]  # two readers, and so read ahead
    assert (ahead.added, ahead.duplicates) == (inline.added, inline.duplicates)
    assert inline.added > 1_000 and inline.duplicates > 200
    assert [(p.path, p.reason) for p in ahead.problems] == [
        (p.path, p.reason) for p in inline.problems
    ]
    assert any("part-5x.jsonl" in p.path for p in ahead.problems)
    assert ahead_clusters == inline_clusters
    assert len(set(inline_clusters.values())) < len(inline_clusters)  # some stories joined


def _counting(started: list[int]) -> Any:
    init = reading._Reader.__init__

    def counted(self: Any) -> None:
        started.append(1)
        init(self)

    return counted


def test_a_small_run_starts_no_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Any) -> None:
        raise AssertionError("a reader was started")

    monkeypatch.setattr(reading._Reader, "__init__", refuse)
    monkeypatch.setattr(reading, "READERS", 2)
    folder = tmp_path / "few"
    folder.mkdir()
    for n in range(3):
        (folder / f"{n}.txt").write_text(f"Storm {n}\n\nThe harbour closed {n} times.\n")
    store = Store.create(tmp_path / "index")
    assert index_paths(store, [folder]).added == 3
    store.close()
    assert not multiprocessing.active_children()


def test_a_file_that_fails_in_a_reader_is_told_and_the_others_are_read(
    wire: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive import sources

    folder = _folder(wire, tmp_path)
    read_file = sources.read_file

    def failing(path: Path, fields: Any = None) -> Any:  # in the reader, which forks from here
        for number, item in enumerate(read_file(path, fields)):
            if path.name == "part-3.jsonl" and number == 5:
                raise UnicodeError("a stray byte in the middle")
            yield item

    monkeypatch.setattr(sources, "read_file", failing)
    monkeypatch.setattr(reading, "READERS", 2)
    monkeypatch.setattr(reading, "START_BYTES", 0)
    store = Store.create(tmp_path / "index")
    report = index_paths(store, [folder])
    store.close()
    told = [p for p in report.problems if p.path.endswith("part-3.jsonl")]
    assert [p.reason for p in told] == ["cannot be read (UnicodeError: a stray byte in the middle)"]
    assert report.added > 1_000  # the files after it were read
