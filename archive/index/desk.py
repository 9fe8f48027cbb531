"""What the user keeps with articles: tags, marks (read, flagged) and a note,
in a table beside the index.

Unlike the other tables beside the index, nothing here can be had again
from the sources: it is the user's own. So it is keyed by each article's
stable ID and indexing never writes it: ``archive index``, ``rebuild`` and
``--prune`` leave it as it is. A row for an article the index no longer
holds is kept, and counts again when the article comes back. A damaged
table is set aside (kept beside it, named ``.damaged``) and the caller told.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError
from archive.index import sidecar
from archive.model import Highlighted, Results

DESK_FILE = "archive-desk.sqlite"
MARKS = ("read", "flagged")
MAX_TAG_CHARS = 64
MAX_NOTE_CHARS = 1000
_TAG = re.compile(r"[^\W_][\w.-]*")
_WORD = re.compile(r"\w+")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tags (
    id TEXT NOT NULL, tag TEXT NOT NULL, added TEXT NOT NULL, PRIMARY KEY (id, tag)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_by_tag ON tags (tag);
CREATE TABLE IF NOT EXISTS marks (
    id TEXT NOT NULL, mark TEXT NOT NULL, added TEXT NOT NULL, PRIMARY KEY (id, mark)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notes (
    id TEXT NOT NULL PRIMARY KEY, note TEXT NOT NULL, added TEXT NOT NULL
) WITHOUT ROWID;
"""


def tag_name(text: str) -> str:
    """``text`` as a tag (case folded), or an ArchiveError naming what is wrong."""
    name = text.strip().casefold()
    if not name:
        raise ArchiveError("a tag name cannot be empty")
    if len(name) > MAX_TAG_CHARS or not _TAG.fullmatch(name):
        shown = name if len(name) <= MAX_TAG_CHARS else name[:MAX_TAG_CHARS] + "…"
        raise ArchiveError(
            f"{shown!r} is not a tag name",
            hint=f"a letter or digit, then letters, digits, '-', '_' or '.' "
            f"(at most {MAX_TAG_CHARS})",
        )
    return name


def mark_name(text: str) -> str:
    if text not in MARKS:
        raise ArchiveError(f"{text!r} is not a mark", hint=f"marks are: {', '.join(MARKS)}")
    return text


def note_text(text: str) -> str:
    """``text`` as a note: one line, its spaces single, no control characters
    (a pasted escape sequence is not text); or an ArchiveError."""
    printable = "".join(c for c in text if c.isspace() or unicodedata.category(c) != "Cc")
    note = " ".join(printable.split())
    if not note:
        raise ArchiveError("a note cannot be empty", hint="give its text, or --clear to remove it")
    if len(note) > MAX_NOTE_CHARS:
        raise ArchiveError(
            f"a note of {len(note):,} characters is too long",
            hint=f"keep it to {MAX_NOTE_CHARS:,}; a note is a line, not the article",
        )
    return note


def note_words(text: str) -> list[str]:
    """The words of a note, or of what ``note:`` asks for (case folded); a
    trailing ``*`` is kept on the last, as a prefix."""
    words = _WORD.findall(text.casefold())
    if words and text.rstrip().endswith("*"):
        words[-1] += "*"
    return words


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Desk:
    """The tags, marks and notes of one index, open for writing."""

    def __init__(self, index: Path) -> None:
        self.path = index / DESK_FILE
        self.db, self.set_aside = _open(self.path)

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def retag(self, ids: Iterable[str], add: Iterable[str] = (), remove: Iterable[str] = ()) -> int:
        """Add and remove tags on the articles; how many articles changed."""
        return self._change(
            ids,
            [("tags", "tag", t, False) for t in remove] + [("tags", "tag", t, True) for t in add],
        )

    def mark(self, ids: Iterable[str], mark: str, on: bool = True) -> int:
        """Set (or clear) a mark on the articles; how many changed."""
        return self._change(ids, [("marks", "mark", mark_name(mark), on)])

    def note(self, article: str, text: str | None) -> bool:
        """Set the article's note (``None``: remove it); whether it changed."""
        with self.db:
            if text is None:
                found = self.db.execute("DELETE FROM notes WHERE id = ?", (article,))
                return bool(found.rowcount)
            found = self.db.execute(
                "INSERT INTO notes (id, note, added) VALUES (?, ?, ?) ON CONFLICT (id) "
                "DO UPDATE SET note = excluded.note, added = excluded.added "
                "WHERE note != excluded.note",
                (article, note_text(text), _now()),
            )
            return bool(found.rowcount)

    def _change(self, ids: Iterable[str], changes: list[tuple[str, str, str, bool]]) -> int:
        articles = list(dict.fromkeys(ids))
        changed: set[str] = set()
        with self.db:
            when = _now()
            for table, column, value, on in changes:
                sql = (
                    f"INSERT OR IGNORE INTO {table} (id, {column}, added) VALUES (?, ?, ?)"
                    if on
                    else f"DELETE FROM {table} WHERE id = ? AND {column} = ? AND ? IS NOT NULL"
                )
                for article in articles:
                    if self.db.execute(sql, (article, value, when)).rowcount:
                        changed.add(article)
        return len(changed)

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every article the desk holds something for, as exported."""
        return iter(_rows(self.db))

    def load(self, rows: Iterable[dict[str, Any]]) -> int:
        """Add exported rows (what the desk holds already stays); how many rows."""
        count = 0
        with self.db:
            when = _now()
            for row in rows:
                count += 1
                self.db.executemany(
                    "INSERT OR IGNORE INTO tags (id, tag, added) VALUES (?, ?, ?)",
                    [(row["id"], tag, when) for tag in row["tags"]],
                )
                self.db.executemany(
                    "INSERT OR IGNORE INTO marks (id, mark, added) VALUES (?, ?, ?)",
                    [(row["id"], mark, when) for mark in MARKS if row.get(mark)],
                )
                if row.get("note"):
                    self.db.execute(
                        "INSERT OR IGNORE INTO notes (id, note, added) VALUES (?, ?, ?)",
                        (row["id"], note_text(row["note"]), when),
                    )
        return count


def _open(path: Path) -> tuple[sqlite3.Connection, str | None]:
    """The table, and where a damaged one was set aside, if one was. Only a
    file SQLite finds damaged is set aside (under a name no other holds);
    a table that is busy or may not be written is an error, and left alone."""
    try:
        return _connect(path), None
    except sqlite3.OperationalError as err:
        raise ArchiveError(f"cannot write {path}: {err}") from None
    except sqlite3.DatabaseError:
        aside, number = path.with_name(path.name + ".damaged"), 1
        while aside.exists():
            number += 1
            aside = path.with_name(f"{path.name}.damaged.{number}")
        sidecar.move(path, aside)
        return _connect(path), str(aside)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, check_same_thread=False)  # one user at a time
    try:
        sidecar.sound(db)
        db.executescript(_SCHEMA)
    except sqlite3.Error:
        db.close()
        raise
    return db


def read_shown(index: Path, shown: Highlighted) -> Highlighted:
    """Count a shown article as read, and the article as it is once shown
    (where the index may be written: reading a read-only archive records
    nothing, and is no error)."""
    try:
        with Desk(index) as desk:
            desk.mark([shown.article.id], "read")
    except (ArchiveError, OSError):
        return shown
    return replace(shown, marks=tuple(sorted({*shown.marks, "read"})))


def _rows(db: sqlite3.Connection) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for article, tag in db.execute("SELECT id, tag FROM tags ORDER BY id, tag"):
        found.setdefault(article, {"id": article, "tags": []})["tags"].append(tag)
    for article, mark in db.execute("SELECT id, mark FROM marks ORDER BY id, mark"):
        found.setdefault(article, {"id": article, "tags": []})[mark] = True
    for article, note in _notes(db, "SELECT id, note FROM notes ORDER BY id"):
        found.setdefault(article, {"id": article, "tags": []})["note"] = note
    return [found[article] for article in sorted(found)]


# -- reading, without writing anything (a read-only index is read too) ---------------


def tagged(index: Path, tag: str) -> frozenset[str]:
    """The IDs of the articles tagged ``tag``."""
    return _ids(index, "SELECT id FROM tags WHERE tag = ?", tag)


def marked(index: Path, mark: str) -> frozenset[str]:
    """The IDs of the articles with ``mark`` (read, flagged)."""
    return _ids(index, "SELECT id FROM marks WHERE mark = ?", mark_name(mark))


def noted(index: Path, asked: str) -> frozenset[str]:
    """The IDs of the articles whose note holds every word of ``asked``
    (case ignored; a last word ending in ``*`` matches the words it starts)."""
    wanted = note_words(asked)

    def holds(note: str) -> bool:
        words = set(_WORD.findall(note.casefold()))
        return all(
            any(w.startswith(want[:-1]) for w in words) if want.endswith("*") else want in words
            for want in wanted
        )

    def read(db: sqlite3.Connection) -> frozenset[str]:
        return frozenset(a for a, note in _notes(db, "SELECT id, note FROM notes") if holds(note))

    return sidecar.read_only(index / DESK_FILE, read, frozenset()) if wanted else frozenset()


def tags(index: Path) -> dict[str, frozenset[str]]:
    """Every tag, with the IDs of its articles."""

    def read(db: sqlite3.Connection) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for article, tag in db.execute("SELECT id, tag FROM tags"):
            found.setdefault(tag, set()).add(article)
        return {tag: frozenset(ids) for tag, ids in found.items()}

    return sidecar.read_only(index / DESK_FILE, read, {})


Kept = tuple[tuple[str, ...], tuple[str, ...], str | None]


def kept_with(index: Path, article: str) -> Kept:
    """One article's tags, marks and note."""

    def read(db: sqlite3.Connection) -> Kept:
        found = db.execute("SELECT tag FROM tags WHERE id = ? ORDER BY tag", (article,))
        tags = tuple(row[0] for row in found)
        found = db.execute("SELECT mark FROM marks WHERE id = ? ORDER BY mark", (article,))
        marks = tuple(row[0] for row in found)
        note = next(iter(_notes(db, "SELECT note FROM notes WHERE id = ?", (article,))), None)
        return tags, marks, note[0] if note else None

    nothing: Kept = ((), (), None)
    return sidecar.read_only(index / DESK_FILE, read, nothing)


def annotated(index: Path, results: Results) -> Results:
    """The results with each hit's tags, marks and note (read once for the page)."""
    if not results.hits or not (index / DESK_FILE).exists():
        return results
    page = [hit.id for hit in results.hits]
    marks = ", ".join("?" for _ in page)

    def read(db: sqlite3.Connection) -> dict[str, tuple[list[str], list[str], list[str]]]:
        found: dict[str, tuple[list[str], list[str], list[str]]] = {}
        for at, table in enumerate(("tag FROM tags", "mark FROM marks", "note FROM notes")):
            for article, value in _notes(
                db, f"SELECT id, {table} WHERE id IN ({marks}) ORDER BY 2", page
            ):
                found.setdefault(article, ([], [], []))[at].append(value)
        return found

    nothing: dict[str, tuple[list[str], list[str], list[str]]] = {}
    found = sidecar.read_only(index / DESK_FILE, read, nothing)
    hits = tuple(
        replace(
            hit,
            kept=tuple(found[hit.id][0]),
            marks=tuple(found[hit.id][1]),
            note=next(iter(found[hit.id][2]), None),
        )
        if hit.id in found
        else hit
        for hit in results.hits
    )
    return replace(results, hits=hits)


def exported(index: Path) -> list[dict[str, Any]]:
    """Every article the desk holds something for, as exported."""
    return sidecar.read_only(index / DESK_FILE, _rows, [])


def _notes(db: sqlite3.Connection, sql: str, values: Iterable[str] = ()) -> list[Any]:
    """The rows of ``sql``; none from the notes of a table written before
    notes were kept (it gains them when it is next written)."""
    try:
        return db.execute(sql, tuple(values)).fetchall()
    except sqlite3.OperationalError as err:
        if "no such table: notes" in str(err):
            return []
        raise


def _ids(index: Path, sql: str, value: str) -> frozenset[str]:
    def read(db: sqlite3.Connection) -> frozenset[str]:
        return frozenset(row[0] for row in db.execute(sql, (value,)))

    return sidecar.read_only(index / DESK_FILE, read, frozenset())
