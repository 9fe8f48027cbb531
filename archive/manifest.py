"""What each indexed source held when it was last read.

A small SQLite file beside the index: per file its size, modification time,
content hash, the ``--field`` choices it was read with and the IDs of its
articles (the bundled seeds have an entry of their own, ``seed:``). It lets a
re-run skip unchanged files, and ``archive rebuild`` read every recorded
source again. It is written after each commit; if it is lost or stale, the
next run reads the files again and the per-article hashes decide.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MANIFEST_FILE = "archive-files.sqlite"
SEEDS = "seed:"  # the entry standing for the bundled seed articles
_COLUMNS = "path, size, mtime_ns, digest, ids, fields"


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime_ns: int
    digest: str
    ids: tuple[str, ...]
    fields: str = ""  # the --field choices as JSON, "" when none were given


class Manifest:
    def __init__(self, index_path: Path) -> None:
        self.path = index_path / MANIFEST_FILE
        self.damaged: str | None = None  # where a damaged manifest was moved, if it was
        try:
            self.db = self._connect()
        except sqlite3.DatabaseError:
            # Only a record of what the index holds: keep the bad file for
            # inspection and start afresh (files are then read again).
            aside = self.path.with_name(MANIFEST_FILE + ".damaged")
            os.replace(self.path, aside)
            self.damaged = str(aside)
            self.db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path)
        try:
            db.execute(
                "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, "
                "mtime_ns INTEGER, digest TEXT, ids TEXT, fields TEXT DEFAULT '')"
            )
            columns = {row[1] for row in db.execute("PRAGMA table_info(files)")}
            if "fields" not in columns:  # written by an earlier version
                db.execute("ALTER TABLE files ADD COLUMN fields TEXT DEFAULT ''")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get(self, path: str) -> FileEntry | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM files WHERE path = ?", (path,)).fetchone()
        return _entry(row) if row else None

    def all(self) -> list[FileEntry]:
        return [_entry(row) for row in self.db.execute(f"SELECT {_COLUMNS} FROM files")]

    def under(self, folders: Iterable[str]) -> list[FileEntry]:
        """Entries for files inside these folders (or these very files)."""
        prefixes = [folder.rstrip("/") for folder in folders]
        return [
            entry
            for entry in self.all()
            if entry.path != SEEDS
            and (
                not prefixes
                or any(entry.path == p or entry.path.startswith(p + "/") for p in prefixes)
            )
        ]

    def save(self, entries: Iterable[FileEntry], removed: Iterable[str]) -> None:
        with self.db:
            self.db.executemany(
                f"INSERT OR REPLACE INTO files ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (e.path, e.size, e.mtime_ns, e.digest, json.dumps(e.ids), e.fields)
                    for e in entries
                ],
            )
            self.db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in removed])

    def close(self) -> None:
        self.db.close()


def _entry(row: tuple[str, int, int, str, str, str | None]) -> FileEntry:
    return FileEntry(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5] or "")
