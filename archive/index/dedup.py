"""Copies and stories: exact duplicates and near duplicates, beside the index.

One SQLite file next to Whoosh's holds what changes after an article is
written, so that documents are written once, in one commit:

- ``copies``: the same cleaned headline and text read again, from any file
  or feed (or the same one), is not indexed twice; the first article stands for it, and its copies
  are listed here (with where each came from). If the first goes, a copy
  takes its place.
- ``bands``: each article's LSH band keys. Articles that share a key are
  candidates for one story (archive.index.similarity decides); nearly every
  key is unique, and as index terms they cost a fifth of a build.

The table is committed just before the index. A run killed between the two
leaves rows that name articles the index lacks: they are passed over when
read, and since the record of files is written after both, the next run
reads those files again and writes them afresh.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Container, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from archive.index.sidecar import check, open_table, read_only

STORIES_FILE = "archive-stories.sqlite"
# The band table is its own index by key (an earlier layout, a table with an
# index by key, is read and written the same way).
_TABLES = (
    "CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, id TEXT NOT NULL, "
    "PRIMARY KEY (key, id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS bands_by_id ON bands (id)",
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

    @staticmethod
    def check(index_path: Path) -> list[str]:
        """What is damaged in the table (read whole, never changed)."""
        return check(index_path / STORIES_FILE, _read_all)

    @staticmethod
    def copies_in(index_path: Path, article_id: str) -> list[Copy]:
        """The copies an article stands for, read without writing anything;
        none if the table is missing or damaged."""
        return read_only(index_path / STORIES_FILE, lambda db: _copies(db, article_id), [])

    # -- near duplicates ---------------------------------------------------------

    def members(self, keys: list[int]) -> list[str]:
        """IDs of the articles with any of these keys, most keys shared first."""
        marks = ",".join("?" * len(keys))
        rows = self.db.execute(
            f"SELECT id FROM bands WHERE key IN ({marks}) GROUP BY id ORDER BY COUNT(*) DESC, id",
            keys,
        )
        return [row[0] for row in rows]

    def put_bands(self, article_id: str, keys: Iterable[int]) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO bands VALUES (?, ?)", [(k, article_id) for k in keys]
        )

    def drop_bands(self, article_id: str) -> None:
        self.db.execute("DELETE FROM bands WHERE id = ?", (article_id,))

    # -- exact copies --------------------------------------------------------------

    def copies_of(self, article_id: str) -> list[Copy]:
        return _copies(self.db, article_id)

    def copy_of(self, copy_id: str) -> str | None:
        """The article that stands for this copy, if it is one."""
        row = self.db.execute("SELECT of FROM copies WHERE id = ?", (copy_id,)).fetchone()
        return str(row[0]) if row else None

    def put_copy(self, article_id: str, copy: Copy) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO copies (id, of, origin, path, record) VALUES (?, ?, ?, ?, ?)",
            (copy.id, article_id, copy.origin, copy.path, copy.record),
        )

    def drop_copy(self, copy_id: str) -> bool:
        """Forget a copy; whether it was one."""
        return self.db.execute("DELETE FROM copies WHERE id = ?", (copy_id,)).rowcount > 0

    def move_copies(self, article_id: str, heir: str) -> None:
        """The heir now stands for the copies the article stood for."""
        self.db.execute("UPDATE copies SET of = ? WHERE of = ?", (heir, article_id))

    # -- the journal of a commit ------------------------------------------------------

    def plan_promotion(self, copy_id: str) -> None:
        """Once the index holds this copy as an article, it is no longer a copy."""
        self.db.execute("INSERT INTO pending (kind, article) VALUES ('promote', ?)", (copy_id,))

    def plan_inheritance(self, article_id: str, heir: str, keys: list[int]) -> None:
        """Once the index holds the heir in a removed article's place, the heir
        stands for the article's copies and takes its band keys."""
        self.db.execute(
            "INSERT INTO pending (kind, article, heir, keys) VALUES ('inherit', ?, ?, ?)",
            (article_id, heir, json.dumps(keys)),
        )

    def complete_pending(self, holds: Callable[[str], bool]) -> int:
        """Apply what was journalled for an index commit, where the index holds
        what it was about (``holds(ID)``: the commit happened), and clear the
        journal; how many steps were applied."""
        rows = self.db.execute("SELECT kind, article, heir, keys FROM pending ORDER BY step")
        applied = 0
        for kind, article_id, heir, keys in rows.fetchall():
            if kind == "promote" and holds(article_id):
                self.drop_copy(article_id)
            elif kind == "inherit" and holds(heir):
                self.drop_copy(heir)
                self.move_copies(article_id, heir)
                self.put_bands(heir, json.loads(keys))
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
    db.execute("SELECT COUNT(*), MAX(key), MAX(id) FROM bands").fetchall()
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

    def remember(self, text_hash: str, article: Any) -> None:
        self._holders.setdefault(text_hash, article.id)

    def holder(self, text_hash: str, article: Any) -> str | None:
        known = self._holders.get(text_hash)
        if known is not None and self._other(known, article, text_hash):
            return known
        for docnum in holding(self.before.reader(), text_hash):
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


def holding(reader: Any, text_hash: str) -> list[int]:
    """The live articles of the index whose exact text hashes so (from the
    segments' arrays), as the reader numbers them."""
    from archive.index.derived import for_segment, missing_arrays
    from archive.whoosh_ext.columns import leaf_readers

    found = []
    for leaf, base in leaf_readers(reader):
        arrays = for_segment(leaf)
        if arrays is None:
            raise missing_arrays(leaf)
        found += [base + d for d in arrays.holding(text_hash).tolist() if not leaf.is_deleted(d)]
    return found


# Near-duplicate candidates checked per article, at most.
MAX_NEAR_CANDIDATES = 64


class StoryClusters:
    """The story cluster an article joins: the first candidate sharing a band
    key that archive.index.similarity calls the same story, else its own."""

    def __init__(self, table: StoryTable, before: Any, removed: Container[str]) -> None:
        self.table = table
        self.before = before  # a searcher
        self.removed = removed
        self._written: dict[str, tuple[Any, str]] = {}  # ID -> fingerprint, cluster (this run)

    def join(self, article: Any) -> dict[str, Any]:
        """The article's fingerprint and cluster, as fields of its document."""
        from archive.index.similarity import fingerprint

        self.table.drop_bands(article.id)  # its keys of an earlier version, if any
        mine = fingerprint(article.body)
        if mine is None:
            return {"cluster": article.id}
        keys = mine.band_keys
        cluster = self._matching(article.id, mine, keys) or article.id
        self.table.put_bands(article.id, keys)
        self._written[article.id] = (mine, cluster)
        return {"fingerprint": mine.stored(), "cluster": cluster}

    def _matching(self, own_id: str, mine: Any, keys: list[int]) -> str | None:
        from archive.index.similarity import Fingerprint, same_story

        candidates = [c for c in self.table.members(keys) if c != own_id]
        for other in [c for c in candidates if c not in self.removed][:MAX_NEAR_CANDIDATES]:
            if other in self._written:
                theirs, cluster = self._written[other]
            else:
                stored = self.before.document(id=other)
                if stored is None:  # not in the index (see the module's note)
                    continue
                theirs = Fingerprint.from_stored(stored.get("fingerprint"))
                cluster = str(stored.get("cluster") or other)
            if theirs is not None and same_story(mine, theirs):
                return cluster
        return None
