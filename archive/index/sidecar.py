"""The SQLite tables kept beside the index: opened whole or set aside, and read
without writing anything.

Each holds only what can be had again (the record of files by reading the
files, copies and stories by a rebuild), so a damaged one is moved aside,
kept for inspection, and started afresh rather than stopping a run.

A table moves with its companions (SQLite's journal of an unfinished
transaction, its write-ahead log and shared memory): a journal left beside
another table would be played back into it when it is next opened.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
# What a damaged table raises when it is read: SQLite's errors, or a row that
# its own checks refuse.
DAMAGE = (sqlite3.DatabaseError, ValueError, TypeError)
# The files SQLite keeps beside a table, named after it.
COMPANIONS = ("-journal", "-wal", "-shm")


def companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in COMPANIONS]


def move(path: Path, to: Path) -> None:
    """Move the table at ``path`` to ``to`` with its companions (either may be
    missing). Whatever companions ``to`` had go first, and the table moves
    before its own: no journal is ever beside a table it does not belong to
    (SQLite deletes a journal beside no table, or an empty one)."""
    for stale in companions(to):
        stale.unlink(missing_ok=True)
    with suppress(FileNotFoundError):
        os.replace(path, to)
    for mine, theirs in zip(companions(path), companions(to), strict=True):
        with suppress(FileNotFoundError):
            os.replace(mine, theirs)


def sound(db: sqlite3.Connection) -> None:
    """Raise sqlite3.DatabaseError unless SQLite finds the whole file sound.

    Damage inside the file's pages is otherwise met only when they are read,
    half-way through a run or a rebuild.
    """
    found = [row[0] for row in db.execute("PRAGMA quick_check")]
    if found != ["ok"]:
        raise sqlite3.DatabaseError(f"damaged: {'; '.join(map(str, found[:3]))}")


def open_table(
    path: Path, prepare: Callable[[sqlite3.Connection], None]
) -> tuple[sqlite3.Connection, str | None]:
    """The table at ``path`` (``prepare`` creates what is missing and reads it
    whole), and where a damaged one was set aside, if it was."""
    try:
        return _connect(path, prepare), None
    except DAMAGE:
        aside = path.with_name(path.name + ".damaged")
        move(path, aside)
        return _connect(path, prepare), str(aside)


def _connect(path: Path, prepare: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False)  # one user at a time
    try:
        sound(db)
        prepare(db)
    except DAMAGE:
        db.close()
        raise
    return db


def read_only(path: Path, read: Callable[[sqlite3.Connection], T], default: T) -> T:
    """What ``read`` finds in the table, opened without writing anything (a
    read-only index is read too); ``default`` if it is missing or damaged."""
    if not path.exists():
        return default
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return read(db)
        finally:
            db.close()
    except DAMAGE:
        return default


def check(path: Path, read: Callable[[sqlite3.Connection], object]) -> list[str]:
    """What is damaged in the table, read whole by ``read`` after SQLite's check."""
    if not path.exists():
        return []
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            sound(db)
            read(db)
        finally:
            db.close()
    except DAMAGE as err:
        return [f"{path.name}: {type(err).__name__}: {err}"]
    return []
