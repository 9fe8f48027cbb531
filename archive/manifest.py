"""What each indexed file held when it was last read, to skip unchanged files.

A small SQLite file beside the index: per file its size, modification time,
content hash and the IDs of its articles. It is only a cache of what the
index already says, written after each commit: if it is lost or stale, the
next run reads the files again and the per-article hashes decide.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MANIFEST_FILE = "archive-files.sqlite"


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime_ns: int
    digest: str
    ids: tuple[str, ...]


class Manifest:
    def __init__(self, index_path: Path) -> None:
        self.db = sqlite3.connect(index_path / MANIFEST_FILE)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, "
            "mtime_ns INTEGER, digest TEXT, ids TEXT)"
        )

    def get(self, path: str) -> FileEntry | None:
        row = self.db.execute(
            "SELECT path, size, mtime_ns, digest, ids FROM files WHERE path = ?", (path,)
        ).fetchone()
        return _entry(row) if row else None

    def under(self, folders: Iterable[str]) -> list[FileEntry]:
        """Entries for files inside these folders (or these very files)."""
        rows = self.db.execute("SELECT path, size, mtime_ns, digest, ids FROM files").fetchall()
        prefixes = [folder.rstrip("/") for folder in folders]
        return [
            _entry(row)
            for row in rows
            if not prefixes or any(row[0] == p or row[0].startswith(p + "/") for p in prefixes)
        ]

    def save(self, entries: Iterable[FileEntry], removed: Iterable[str]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                [(e.path, e.size, e.mtime_ns, e.digest, json.dumps(e.ids)) for e in entries],
            )
            self.db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in removed])

    def close(self) -> None:
        self.db.close()


def _entry(row: tuple[str, int, int, str, str]) -> FileEntry:
    return FileEntry(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])))
