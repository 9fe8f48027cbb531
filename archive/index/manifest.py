"""What each indexed source held when it was last read.

A small SQLite file beside the index: per file its size, modification time,
content hash, the ``--field`` choices it was read with, the IDs of its
articles and the problems reported when it was read (the bundled seeds have
an entry of their own, ``seed:``). It lets a re-run skip unchanged files,
``archive rebuild`` read every recorded source again, and both leave
unreported what was reported before. It is written after each commit; if it
is lost or stale, the next run reads the files again and the per-article
hashes decide.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.index.sidecar import check, open_table
from archive.model import Problem

MANIFEST_FILE = "archive-files.sqlite"
SEEDS = "seed:"  # the entry standing for the bundled seed articles
_COLUMNS = "path, size, mtime_ns, digest, ids, fields, rowsum, problems"


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime_ns: int
    digest: str
    ids: tuple[str, ...]
    fields: str = ""  # the --field choices as JSON, "" when none were given
    problems: tuple[Problem, ...] = ()  # reported when the file was read


class Manifest:
    def __init__(self, index_path: Path) -> None:
        self.path = index_path / MANIFEST_FILE
        # A damaged record is set aside: files are then read again.
        self.db, self.damaged = open_table(self.path, _prepare)

    def get(self, path: str) -> FileEntry | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM files WHERE path = ?", (path,)).fetchone()
        return _entry(row) if row else None

    def all(self) -> list[FileEntry]:
        return [_entry(row) for row in self.db.execute(f"SELECT {_COLUMNS} FROM files")]

    @staticmethod
    def check(index_path: Path) -> list[str]:
        """What is damaged in the record of files (read whole, never changed)."""
        return check(index_path / MANIFEST_FILE, _read_all)

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
                f"INSERT OR REPLACE INTO files ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                map(_row, entries),
            )
            self.db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in removed])

    def close(self) -> None:
        self.db.close()


def _prepare(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, "
        "mtime_ns INTEGER, digest TEXT, ids TEXT, fields TEXT DEFAULT '')"
    )
    columns = {row[1] for row in db.execute("PRAGMA table_info(files)")}
    for added in ("fields", "rowsum", "problems"):  # columns earlier versions did not write
        if added not in columns:
            db.execute(f"ALTER TABLE files ADD COLUMN {added} TEXT DEFAULT ''")
    _read_all(db)  # every row readable: damage is found now, not half-way


def _read_all(db: sqlite3.Connection) -> None:
    for row in db.execute(f"SELECT {_COLUMNS} FROM files"):
        _entry(row)


def _row(e: FileEntry) -> tuple[Any, ...]:
    row = (e.path, e.size, e.mtime_ns, e.digest, json.dumps(e.ids), e.fields)
    problems = _problems_json(e.problems)
    return (*row, _rowsum(row, problems), problems)


def _rowsum(row: tuple[Any, ...], problems: str = "") -> str:
    """A checksum of a row: SQLite checks its pages' structure, not their contents.
    (A row without problems sums as earlier versions summed it.)"""
    values = (*row, problems) if problems else row
    text = "\x1f".join(str(value) for value in values)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _entry(row: tuple[Any, ...]) -> FileEntry:
    if row[6] and row[6] != _rowsum((*row[:5], row[5] or ""), row[7] or ""):
        raise ValueError(f"the record of {row[0]!r} fails its checksum")
    ids = json.loads(row[4])
    if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        raise ValueError(f"the IDs recorded for {row[0]!r} are not a list of IDs")
    problems = _read_problems(row[0], row[7] or "[]")
    return FileEntry(
        row[0], int(row[1]), int(row[2]), str(row[3]), tuple(ids), row[5] or "", problems
    )


def _problems_json(problems: Iterable[Problem]) -> str:
    rows = [[p.path, p.reason, p.skipped] for p in problems]
    return json.dumps(rows, ensure_ascii=False) if rows else ""


def _read_problems(path: str, text: str) -> tuple[Problem, ...]:
    rows = json.loads(text)
    if not (isinstance(rows, list) and all(_problem_row(row) for row in rows)):
        raise ValueError(f"the problems recorded for {path!r} are not a list of problems")
    return tuple(Problem(where, reason, skipped) for where, reason, skipped in rows)


def _problem_row(row: Any) -> bool:
    return (
        isinstance(row, list)
        and len(row) == 3
        and isinstance(row[0], str)
        and isinstance(row[1], str)
        and isinstance(row[2], bool)
    )
