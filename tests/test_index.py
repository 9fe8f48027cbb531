"""Reading files into the index: bad input, stable IDs, idempotent re-runs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SEED_000, SEED_001, SEEDS, seed_id

from archive import sources
from archive.errors import IndexLocked, IndexMissing, SchemaMismatch
from archive.index.files import META_FILE
from archive.index.rebuild import rebuild
from archive.index.store import Store
from archive.model import Article, Problem

ARTICLE = "Harbour reopens after storm\n\nThe harbour reopened on Friday after repairs.\n"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_seed_articles_ship_inside_the_package_with_their_names() -> None:
    seeds = [item for item in sources.read_seeds() if isinstance(item, Article)]
    assert [Path(str(a.path)).name for a in seeds] == [SEED_000, SEED_001]
    assert [a.id for a in seeds] == [seed_id(SEED_000), seed_id(SEED_001)]


def test_ids_are_short_and_stable_across_runs(tmp_path: Path) -> None:
    path = write(tmp_path / "news", "a.txt", ARTICLE)
    first = next(sources.read_file(path))
    path.write_text(ARTICLE + "\nA new closing paragraph.\n", encoding="utf-8")
    second = next(sources.read_file(path))
    assert isinstance(first, Article) and isinstance(second, Article)
    assert first.id == second.id
    assert len(first.id) == 12


def test_bad_files_are_reported_by_name_and_skipped(tmp_path: Path) -> None:
    news = tmp_path / "news"
    write(news, "good.txt", ARTICLE)
    write(news, "empty.txt", "")
    write(news, "blank.txt", "\n\n   \n")
    write(news, "binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(news, "utf16.txt", b"\xff\xfe\x00\x00\x01\x02binary\x00\x00")
    items = list(sources.read_paths([news, tmp_path / "missing.txt"]))
    problems = {Path(p.path).name: p.reason for p in items if isinstance(p, Problem)}
    assert problems == {
        "binary.txt": "binary file, not text",
        "blank.txt": "empty file",
        "empty.txt": "empty file",
        "utf16.txt": "binary file, not text",
        "missing.txt": "no such file or directory",
    }
    assert [a.title for a in items if isinstance(a, Article)] == ["Harbour reopens after storm"]


def test_huge_files_are_refused_not_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 100)
    path = write(tmp_path, "big.txt", "word " * 100)
    (problem,) = sources.read_file(path)
    assert isinstance(problem, Problem)
    assert problem.reason == "too large to read as one text file (over 100 bytes)"


def test_folders_are_walked_for_txt_files_only(tmp_path: Path) -> None:
    news = tmp_path / "news"
    write(news, "a.txt", ARTICLE)
    write(news, "deep/er/b.TXT", ARTICLE.replace("Harbour", "Airport"))
    write(news, ".hidden.txt", ARTICLE)
    write(news, ".git/c.txt", ARTICLE)
    write(news, "notes.pdf", b"%PDF")
    scan = sources.FolderScan()
    titles = [a.title for a in sources.read_paths([news], scan) if isinstance(a, Article)]
    assert sorted(titles) == ["Airport reopens after storm", "Harbour reopens after storm"]
    assert scan.ignored == 1


def test_reindexing_is_idempotent(index_dir: Path) -> None:
    store = Store.create(index_dir)
    first = store.sync(sources.read_seeds())
    second = store.sync(sources.read_seeds())
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 2)
    assert store.ix.doc_count() == 2


def test_a_changed_file_is_updated_in_place(index_dir: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", ARTICLE)
    store = Store.create(index_dir)
    store.sync(sources.read_file(path))
    path.write_text(ARTICLE.replace("Friday", "Saturday"), encoding="utf-8")
    report = store.sync(sources.read_file(path))
    assert (report.added, report.updated) == (0, 1)
    assert store.ix.doc_count() == 1
    assert "Saturday" in store.get(next(iter(_ids(store)))).body


def _ids(store: Store) -> Iterator[str]:
    with store.searcher() as searcher:
        for fields in searcher.all_stored_fields():
            yield fields["id"]


def test_an_interrupted_run_leaves_the_previous_index(seeded: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "new.txt", ARTICLE)

    def interrupted() -> Iterator[Article | Problem]:
        yield from sources.read_file(path)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        seeded.sync(interrupted())
    reopened = Store.open(seeded.path)
    assert reopened.ix.doc_count() == 2
    assert sorted(_ids(reopened)) == sorted([seed_id(SEED_000), seed_id(SEED_001)])
    assert reopened.sync(sources.read_file(path)).added == 1  # and it is not locked


def test_an_index_of_another_schema_version_asks_for_a_rebuild(seeded: Store) -> None:
    meta = seeded.path / META_FILE
    meta.write_text(json.dumps({"schema_version": 0}), encoding="utf-8")
    with pytest.raises(SchemaMismatch, match=r"schema version 0.*'archive rebuild'"):
        Store.open(seeded.path)
    report = rebuild(seeded.path)
    assert report.seeds and report.articles == 2
    assert Store.open(seeded.path).ix.doc_count() == 2


def test_a_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="archive index"):
        Store.open(tmp_path / "nothing-here")


def test_a_second_writer_without_waiting_gets_a_clear_lock_error(seeded: Store) -> None:
    holder = seeded.session()  # this process now writes, and says so
    try:
        with pytest.raises(IndexLocked, match=f"being written by process {os.getpid()}") as busy:
            seeded.sync(sources.read_seeds(), wait=False)
        assert busy.value.exit_code == 4
    finally:
        holder.cancel()


def test_a_second_writer_waits_and_says_for_whom(seeded: Store) -> None:
    import threading

    holder = seeded.session()
    told: list[str] = []
    timer = threading.Timer(1.0, holder.cancel)  # the first writer finishes after a second
    timer.start()
    report = seeded.sync(sources.read_seeds(), on_wait=told.append)
    timer.join()
    assert told == [f"process {os.getpid()} (archive index)"]
    assert report.unchanged == 2


def test_stats_count_what_cleaning_removed(seeded: Store) -> None:
    stats = seeded.stats()
    assert stats.articles == 2
    assert (stats.duplicate_paragraphs, stats.link_lines, stats.cleaned_articles) == (6, 1, 2)
    assert stats.last_indexed is not None
    assert seeded.get(seed_id(SEED_000)).cleaning.duplicate_paragraphs == 6


def test_a_damaged_band_table_is_set_aside_and_indexing_goes_on(seeded: Store) -> None:
    from archive.index.dedup import STORIES_FILE as BANDS_FILE

    (seeded.path / BANDS_FILE).write_bytes(b"not a database" * 100)
    path = SEEDS / SEED_000
    report = seeded.sync(
        [
            replace(article, id="copy-elsewhere", body=article.body + " More.")
            for article in sources.read_file(path)
            if isinstance(article, Article)
        ]
    )
    assert report.added == 1
    assert (seeded.path / (BANDS_FILE + ".damaged")).exists()
    assert Store.open(seeded.path).ix.doc_count() == 3


def test_a_story_table_of_an_earlier_layout_loses_its_band_keys_and_keeps_its_copies(
    tmp_path: Path,
) -> None:
    """Band keys are kept in the segments now: an earlier table's are dropped
    when it is opened for writing, its copies kept."""
    import sqlite3

    from archive.index.dedup import STORIES_FILE, Copy, StoryTable

    made = sqlite3.connect(tmp_path / STORIES_FILE)
    made.execute("CREATE TABLE bands (key INTEGER NOT NULL, id TEXT NOT NULL)")
    made.execute("CREATE INDEX bands_by_id ON bands (id)")
    made.executemany("INSERT INTO bands VALUES (?, ?)", [(1, "old"), (2, "old")])
    made.execute(
        "CREATE TABLE copies (id TEXT PRIMARY KEY, of TEXT NOT NULL, origin TEXT NOT NULL, "
        "path TEXT, record TEXT)"
    )
    made.execute("INSERT INTO copies VALUES ('c', 'old', 'feed', NULL, NULL)")
    made.commit()
    made.close()
    table = StoryTable(tmp_path)
    assert table.copies_of("old") == [Copy("c", "feed", None, None)]
    table.commit()
    table.close()
    tables = sqlite3.connect(tmp_path / STORIES_FILE).execute("SELECT name FROM sqlite_master")
    assert "bands" not in {name for (name,) in tables}


def test_a_damaged_table_is_set_aside_with_its_journal(tmp_path: Path) -> None:
    """A journal stays with the table it belongs to, never beside the fresh one."""
    from archive.index.dedup import STORIES_FILE, Copy, StoryTable

    journal = bytes(28) + b"pages of an unfinished transaction" * 100  # header not yet synced
    (tmp_path / STORIES_FILE).write_bytes(b"not a database" * 100)
    (tmp_path / f"{STORIES_FILE}-journal").write_bytes(journal)
    table = StoryTable(tmp_path)
    table.put_copy("a", Copy("b", "feed", None, None))
    table.commit()
    table.close()
    assert not (tmp_path / f"{STORIES_FILE}-journal").exists()
    assert (tmp_path / f"{STORIES_FILE}.damaged-journal").read_bytes() == journal
    again = StoryTable(tmp_path)
    assert again.copy_of("b") == "a"
    again.close()


def test_a_runs_band_keys_are_found_after_they_are_sorted_away_and_forgotten_on_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Keys of what a run wrote are found by how many each article shares,
    in the small table and in the sorted arrays alike; an article written
    again has only its new keys."""
    from archive.index.dedup import RunBands

    monkeypatch.setattr(RunBands, "RECENT", 8)
    bands = RunBands()
    for n in range(40):  # article n has keys n .. n+3: merged into the array 20 times
        bands.add(f"a{n}", [n, n + 1, n + 2, n + 3])
    assert bands.sharing([5, 6]) == {"a5": 2, "a4": 2, "a3": 2, "a6": 1, "a2": 1}
    bands.forget("a4")
    bands.add("a4", [1000])
    assert bands.sharing([5, 6, 1000]) == {"a5": 2, "a3": 2, "a6": 1, "a2": 1, "a4": 1}
    assert bands.sharing([41, 42]) == {"a39": 2, "a38": 1}  # the last written
