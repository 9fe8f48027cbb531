"""The SQLite tables kept beside the index: opened whole or set aside, and read
without writing anything.

Each holds only what can be had again (the record of files by reading the
files, copies and stories by a rebuild), so a damaged one is moved aside,
kept for inspection, and started afresh rather than stopping a run.

A table moves with its companions (SQLite's journal of an unfinished
transaction, its write-ahead log and shared memory): a journal left beside
another table would be played back into it when it is next opened. A
killed writer's journal is no damage: SQLite rolls it back when the table is
next opened by a connection that may write, and refuses a read-only one
until then, so readers roll it back themselves when the archive's write
lock is free (a writer that holds it does so on its own).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

from archive.errors import IndexReadOnly, IndexUnreadable
from archive.index.locking import WriteLock

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
    read-only index is read too); ``default`` if it is missing or damaged, or
    holds a killed writer's changes that cannot be rolled back now."""
    if not path.exists():
        return default
    try:
        db = _reading(path)
        try:
            return read(db)
        finally:
            db.close()
    except (*DAMAGE, Unsettled):
        return default


def check(path: Path, read: Callable[[sqlite3.Connection], object]) -> list[str]:
    """What is damaged in the table, read whole by ``read`` after SQLite's check.

    A killed writer's changes are not damage: they are rolled back first, or
    left to the writer that holds the lock; an IndexUnreadable error says so
    where this process may not write the index.
    """
    if not path.exists():
        return []
    try:
        db = _reading(path)
        try:
            sound(db)
            read(db)
        finally:
            db.close()
    except Unsettled as pending:
        if pending.writing:
            return []
        raise IndexUnreadable(
            f"{path.name} of the index at {path.parent} holds the changes of an interrupted "
            "run, which the next 'archive index' rolls back",
            hint="run 'archive index' as a user who may write the index, then check again",
        ) from pending
    except DAMAGE as err:
        return [f"{path.name}: {type(err).__name__}: {err}"]
    return []


class Unsettled(Exception):
    """The table's journal holds a killed writer's changes, which this process
    may not roll back now: another process holds the write lock (``writing``;
    it rolls them back), or the index may not be written here."""

    def __init__(self, path: Path, writing: bool) -> None:
        super().__init__(f"{path.name} holds an interrupted transaction")
        self.writing = writing


def _reading(path: Path) -> sqlite3.Connection:
    """The table opened read-only, once what a killed writer left in its
    journal is rolled back (SQLite does that only on a connection that may
    write, and a read-only one refuses to read until then)."""
    try:
        return _read_only(path)
    except sqlite3.OperationalError as err:
        if getattr(err, "sqlite_errorname", "") != "SQLITE_READONLY_ROLLBACK":
            raise
    settle(path)
    return _read_only(path)


def _read_only(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # meets a journal
    except sqlite3.Error:
        db.close()
        raise
    return db


def settle(path: Path) -> None:
    """Roll back what a killed writer left in the table's journal, holding the
    archive's write lock: no writer is then at work on it. Raises Unsettled
    if another process holds the lock, or the index may not be written."""
    lock = WriteLock(path.parent)
    try:
        if not lock.acquire():
            raise Unsettled(path, writing=True)
    except IndexReadOnly as err:
        raise Unsettled(path, writing=False) from err
    try:
        db = sqlite3.connect(path)  # may write: SQLite rolls the journal back
        try:
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        finally:
            db.close()
    except sqlite3.Error as err:  # the table or its folder may not be written
        raise Unsettled(path, writing=False) from err
    finally:
        lock.release()
