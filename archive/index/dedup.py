"""Copies and stories: exact duplicates and near duplicates.

One SQLite file next to Whoosh's holds what changes after an article is
written, so that documents are written once, in one commit:

- ``copies``: the same cleaned headline and text read again, from any file
  or feed (or the same one), is not indexed twice; the first article stands for it, and its copies
  are listed here (with where each came from). If the first goes, a copy
  takes its place.

Near duplicates are found by the LSH band keys of each article's signature
(archive.index.similarity), which each segment keeps in its arrays: articles
that share a key are candidates for one story. Kept with the segment, the
keys come and go with its articles (a deleted article's keys are passed
over), and cost no table that every change must also write.

The table is committed just before the index. A run killed between the two
leaves rows that name articles the index lacks: they are passed over when
read, and since the record of files is written after both, the next run
reads those files again and writes them afresh.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections import Counter
from collections.abc import Callable, Container, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from archive.index.sidecar import check, open_table, read_only
from archive.index.similarity import BAND_KEYS

STORIES_FILE = "archive-stories.sqlite"
_TABLES = (
    # Band keys were kept here before the segments held them.
    "DROP TABLE IF EXISTS bands",
    "CREATE TABLE IF NOT EXISTS copies (id TEXT PRIMARY KEY, of TEXT NOT NULL, "
    "origin TEXT NOT NULL, path TEXT, record TEXT)",
    "CREATE INDEX IF NOT EXISTS copies_by_of ON copies (of)",
    # What the index's next commit makes true for this table (archive.index.sync.
    # write_batch): journalled before that commit, applied after it.
    "CREATE TABLE IF NOT EXISTS pending (step INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
    "article TEXT NOT NULL, heir TEXT, keys TEXT)",
)


class Copy(NamedTuple):
    """An article not indexed because another holds exactly its text."""

    id: str
    origin: str
    path: str | None
    record: str | None

    def where(self) -> str:
        return f"{self.path or self.origin}{f' ({self.record})' if self.record else ''}"


class StoryTable:
    def __init__(self, index_path: Path) -> None:
        self.path = index_path / STORIES_FILE
        # Set aside if damaged: copies and story candidates of articles indexed
        # before are then unknown until 'archive rebuild' reads every file again.
        self.db, self.damaged = open_table(self.path, _prepare)
        self._copy_ids: set[str] | None = None  # read once: a run asks of every article

    @staticmethod
    def check(index_path: Path) -> list[str]:
        """What is damaged in the table (read whole, never changed)."""
        return check(index_path / STORIES_FILE, _read_all)

    @staticmethod
    def copies_in(index_path: Path, article_id: str) -> list[Copy]:
        """The copies an article stands for, read without writing anything;
        none if the table is missing or damaged."""
        return read_only(index_path / STORIES_FILE, lambda db: _copies(db, article_id), [])

    # -- exact copies --------------------------------------------------------------

    def copies_of(self, article_id: str) -> list[Copy]:
        return _copies(self.db, article_id)

    def copy_of(self, copy_id: str) -> str | None:
        """The article that stands for this copy, if it is one."""
        if self._copy_ids is None:
            self._copy_ids = {str(row[0]) for row in self.db.execute("SELECT id FROM copies")}
        if copy_id not in self._copy_ids:
            return None
        row = self.db.execute("SELECT of FROM copies WHERE id = ?", (copy_id,)).fetchone()
        return str(row[0]) if row else None

    def put_copy(self, article_id: str, copy: Copy) -> None:
        if self._copy_ids is not None:
            self._copy_ids.add(copy.id)
        self.db.execute(
            "INSERT OR REPLACE INTO copies (id, of, origin, path, record) VALUES (?, ?, ?, ?, ?)",
            (copy.id, article_id, copy.origin, copy.path, copy.record),
        )

    def drop_copy(self, copy_id: str) -> bool:
        """Forget a copy; whether it was one."""
        if self._copy_ids is not None:
            self._copy_ids.discard(copy_id)
        return self.db.execute("DELETE FROM copies WHERE id = ?", (copy_id,)).rowcount > 0

    def move_copies(self, article_id: str, heir: str) -> None:
        """The heir now stands for the copies the article stood for."""
        self.db.execute("UPDATE copies SET of = ? WHERE of = ?", (heir, article_id))

    # -- the journal of a commit ------------------------------------------------------

    def plan_promotion(self, copy_id: str) -> None:
        """Once the index holds this copy as an article, it is no longer a copy."""
        self.db.execute("INSERT INTO pending (kind, article) VALUES ('promote', ?)", (copy_id,))

    def plan_inheritance(self, article_id: str, heir: str) -> None:
        """Once the index holds the heir in a removed article's place, the heir
        stands for the article's copies."""
        self.db.execute(
            "INSERT INTO pending (kind, article, heir) VALUES ('inherit', ?, ?)",
            (article_id, heir),
        )

    def complete_pending(self, holds: Callable[[str], bool]) -> int:
        """Apply what was journalled for an index commit, where the index holds
        what it was about (``holds(ID)``: the commit happened), and clear the
        journal; how many steps were applied."""
        rows = self.db.execute("SELECT kind, article, heir FROM pending ORDER BY step")
        applied = 0
        for kind, article_id, heir in rows.fetchall():
            if kind == "promote" and holds(article_id):
                self.drop_copy(article_id)
            elif kind == "inherit" and holds(heir):
                self.drop_copy(heir)
                self.move_copies(article_id, heir)
            else:
                continue
            applied += 1
        self.db.execute("DELETE FROM pending")
        self.db.commit()
        return applied

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.rollback()  # anything not committed was not committed to the index either
        self.db.close()


def _prepare(db: sqlite3.Connection) -> None:
    for statement in _TABLES:
        db.execute(statement)


def _read_all(db: sqlite3.Connection) -> None:
    db.execute("SELECT COUNT(*), MAX(id), MAX(of), MAX(origin) FROM copies").fetchall()


def _copies(db: sqlite3.Connection, article_id: str) -> list[Copy]:
    rows = db.execute(
        "SELECT id, origin, path, record FROM copies WHERE of = ? ORDER BY rowid", (article_id,)
    )
    return [Copy(*row) for row in rows]


class ExactCopies:
    """Which article already holds an article's exact text, as the index was
    when the run (or its last commit) began, plus what the run has written.

    Where the copies come from does not matter: the same records give the
    same articles in one file or split into many. Records that carry IDs of
    their own are told apart by them (``exact_text_hash``).
    """

    def __init__(
        self, before: Any, removed: Container[str], dropped: Mapping[str, str] | None = None
    ) -> None:
        self.before = before  # a searcher
        self.removed = removed
        self.dropped = {} if dropped is None else dropped  # ID -> the text it held before
        self._holders: dict[str, str] = {}  # text hash -> ID
        self._segments: list[tuple[Any, int, Any]] | None = None

    def remember(self, text_hash: str, article: Any) -> None:
        self._holders.setdefault(text_hash, article.id)

    def holder(self, text_hash: str, article: Any) -> str | None:
        known = self._holders.get(text_hash)
        if known is not None and self._other(known, article, text_hash):
            return known
        if self._segments is None:
            self._segments = segment_arrays(self.before.reader())
        for docnum in holding(self._segments, text_hash):
            found = str(self.before.stored_fields(docnum)["id"])
            if self._other(found, article, text_hash):
                self._holders[text_hash] = found
                return found
        return None

    def _other(self, found: str, article: Any, text_hash: str) -> bool:
        return (
            found != article.id
            and found not in self.removed
            and self.dropped.get(found) != text_hash
        )


def segment_arrays(reader: Any) -> list[tuple[Any, int, Any]]:
    """Each segment reader of ``reader`` with the number its articles start
    at and its arrays: found once for a run's batch (each lookup costs tens
    of microseconds a segment, and a run asks for every article)."""
    from archive.index.derived import for_segment, missing_arrays
    from archive.whoosh_ext.columns import leaf_readers

    found = []
    for leaf, base in leaf_readers(reader):
        arrays = for_segment(leaf)
        if arrays is None:
            raise missing_arrays(leaf)
        found.append((leaf, base, arrays))
    return found


def holding(segments: list[tuple[Any, int, Any]], text_hash: str) -> list[int]:
    """The live articles of the index whose exact text hashes so (from the
    segments' arrays), as the reader numbers them."""
    from archive.index import derived

    found = []
    for leaf, base, arrays in segments:
        held = derived.holding(arrays, text_hash).tolist()
        found += [base + d for d in held if not leaf.is_deleted(d)]
    return found


# Near-duplicate candidates checked per article, at most.
MAX_NEAR_CANDIDATES = 64


class StoryClusters:
    """The story cluster an article joins: the first candidate sharing a band
    key that archive.index.similarity calls the same story, else its own.

    Candidates are the articles of the index as the run (or its last commit)
    began, by the band keys in their segments' arrays, and those this run has
    written, by keys kept here until the next commit puts them in a segment.
    """

    def __init__(self, before: Any, removed: Container[str]) -> None:
        self.before = before  # a searcher
        self.removed = removed
        self._written: dict[str, tuple[Any, str]] = {}  # ID -> fingerprint, cluster (this run)
        self._joined: set[str] = set()  # IDs (this run)
        self._bands = RunBands()
        self._segments: list[tuple[Any, int, Any]] | None = None

    def join(self, article: Any, mine: Any) -> dict[str, Any]:
        """The article's cluster and band keys, as fields of its document
        (``mine``: the fingerprint of its text, archive.index.similarity)."""
        self._bands.forget(article.id)  # its keys of an earlier version, if any
        self._written.pop(article.id, None)
        self._joined.add(article.id)
        if mine is None:
            return {"cluster": article.id, BAND_KEYS: []}
        keys = mine.band_keys
        cluster = self._matching(article.id, mine, keys) or article.id
        self._bands.add(article.id, keys)
        self._written[article.id] = (mine, cluster)
        return {"cluster": cluster, BAND_KEYS: keys}

    def _matching(self, own_id: str, mine: Any, keys: list[int]) -> str | None:
        from archive.index.similarity import same_story, stored_fingerprint

        shared = self._bands.sharing(keys)
        # An article joined this run has its new keys here, not its old ones there.
        if self._segments is None:
            self._segments = segment_arrays(self.before.reader())
        indexed = dict(_sharing(self._segments, keys, shared, self._joined))
        # Most keys shared first, ties by ID.
        candidates = sorted(shared, key=lambda c: (-shared[c], c))
        candidates = [c for c in candidates if c != own_id and c not in self.removed]
        for other in candidates[:MAX_NEAR_CANDIDATES]:
            if other in self._written:
                theirs, cluster = self._written[other]
            elif other in indexed:
                stored = indexed[other]
                theirs = stored_fingerprint(stored)
                cluster = str(stored.get("cluster") or other)
            else:
                continue
            if theirs is not None and same_story(mine, theirs):
                return cluster
        return None


class RunBands:
    """The band keys of the articles a run has written since its last commit,
    in little memory: most keys in one sorted array, the newest in a small
    table, each key with the number of the article it is for."""

    RECENT = 1 << 16  # keys in the table before they are merged into the array

    def __init__(self) -> None:
        self._ids: list[str] = []  # article number -> ID
        self._number: dict[str, int] = {}  # ID -> its number now (an earlier one is passed over)
        self._recent: dict[int, list[int]] = {}
        self._recent_keys, self._recent_numbers = array("I"), array("i")
        self._held = np.zeros(0, np.uint32)  # sorted; each key's articles in the order written
        self._owners = np.zeros(0, np.int32)

    def add(self, article_id: str, keys: list[int]) -> None:
        number = self._number[article_id] = len(self._ids)
        self._ids.append(article_id)
        for key in keys:
            self._recent.setdefault(key, []).append(number)
        self._recent_keys.extend(keys)
        self._recent_numbers.extend([number] * len(keys))
        if len(self._recent_keys) >= self.RECENT:
            self._merge()

    def forget(self, article_id: str) -> None:
        self._number.pop(article_id, None)

    def sharing(self, keys: list[int]) -> Counter[str]:
        """The articles with any of these keys, each counted once a key."""
        from archive.index.derived import owners

        numbers: Counter[int] = Counter()
        for key in keys:
            numbers.update(self._recent.get(key, ()))
        if len(self._held):
            numbers.update(owners(self._held, self._owners, keys).tolist())
        found: Counter[str] = Counter()
        for number, count in numbers.items():
            article_id = self._ids[number]
            if self._number.get(article_id) == number:
                found[article_id] += count
        return found

    def _merge(self) -> None:
        """The table's keys into the array: inserted where they sort, after
        the keys equal to them, so the array stays sorted (no sort of it all)."""
        keys = np.frombuffer(self._recent_keys, dtype=np.uint32)
        numbers = np.frombuffer(self._recent_numbers, dtype=np.int32)
        order = np.argsort(keys, kind="stable")
        keys, numbers = keys[order], numbers[order]
        at = np.searchsorted(self._held, keys, side="right")
        self._held = np.insert(self._held, at, keys)
        self._owners = np.insert(self._owners, at, numbers)
        self._recent = {}
        self._recent_keys, self._recent_numbers = array("I"), array("i")


def _sharing(
    segments: list[tuple[Any, int, Any]],
    keys: list[int],
    shared: Counter[str],
    passed: Container[str],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The live articles of the index with any of these band keys but those
    ``passed`` over (each counted in ``shared`` once for each key it has), with
    their stored fields."""
    from archive.index import derived

    for leaf, _, arrays in segments:
        found = derived.sharing(arrays, keys)
        if not len(found):
            continue
        docnums, counts = np.unique(found, return_counts=True)
        for docnum, count in zip(docnums.tolist(), counts.tolist(), strict=True):
            if leaf.is_deleted(docnum):
                continue
            fields = leaf.stored_fields(docnum)
            found_id = str(fields["id"])
            if found_id not in passed:
                shared[found_id] += count
                yield found_id, fields
