"""Near-duplicate candidates: each article's LSH band keys, beside the index.

An article's MinHash signature gives BANDS keys; articles that share a key
are candidates for being the same story (archive.index.similarity decides). The
keys live in a small SQLite table next to Whoosh's files rather than in the
index: nearly every key is unique, and as index terms they cost about a
fifth of the build and of the index size. The table is committed just
before the index, so at worst it names an article the index lacks (a run
killed between the two commits); such a candidate is passed over.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from archive.index.manifest import sound

BANDS_FILE = "archive-bands.sqlite"


class BandTable:
    def __init__(self, index_path: Path) -> None:
        self.path = index_path / BANDS_FILE
        try:
            self.db = self._connect()
        except sqlite3.DatabaseError:
            # Damaged: set it aside. Articles indexed before are then not found
            # as near duplicates of new ones until 'archive rebuild'.
            os.replace(self.path, self.path.with_name(BANDS_FILE + ".damaged"))
            self.db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False)  # one user at a time
        try:
            sound(db)
            db.execute("CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, id TEXT NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS bands_by_key ON bands (key)")
            db.execute("CREATE INDEX IF NOT EXISTS bands_by_id ON bands (id)")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @staticmethod
    def check(index_path: Path) -> list[str]:
        """What is damaged in the table (read whole, never changed)."""
        path = index_path / BANDS_FILE
        if not path.exists():
            return []
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                sound(db)
                db.execute("SELECT COUNT(*), MAX(key), MAX(id) FROM bands").fetchall()
            finally:
                db.close()
        except sqlite3.DatabaseError as err:
            return [f"{BANDS_FILE}: {err}"]
        return []

    def members(self, keys: list[int]) -> list[str]:
        """IDs of the articles with any of these keys, most keys shared first."""
        marks = ",".join("?" * len(keys))
        rows = self.db.execute(
            f"SELECT id FROM bands WHERE key IN ({marks}) GROUP BY id ORDER BY COUNT(*) DESC",
            keys,
        )
        return [row[0] for row in rows]

    def put(self, article_id: str, keys: Iterable[int]) -> None:
        self.db.executemany("INSERT INTO bands VALUES (?, ?)", [(k, article_id) for k in keys])

    def drop(self, article_id: str) -> None:
        self.db.execute("DELETE FROM bands WHERE id = ?", (article_id,))

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.rollback()  # anything not committed was not committed to the index either
        self.db.close()
