"""The followed sources and the watched searches, in a table beside the index."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError
from archive.escape import safe_line
from archive.index import sidecar
from archive.model import SearchRequest

FOLLOW_FILE = "archive-follow.sqlite"
FAILING = 5  # failures in a row after which a source is reported as failing

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    url TEXT PRIMARY KEY,
    title TEXT,
    etag TEXT,
    modified TEXT,
    last_fetched TEXT,
    last_new TEXT,
    articles INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    added TEXT NOT NULL,
    full_text INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS watches (
    name TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    seen TEXT NOT NULL,
    added TEXT NOT NULL
);
"""


@dataclass
class Source:
    url: str
    title: str | None = None
    etag: str | None = None
    modified: str | None = None
    last_fetched: str | None = None
    last_new: str | None = None
    articles: int = 0
    last_error: str | None = None
    failures: int = 0
    added: str = ""
    full_text: bool = False  # fetch each new entry's page for its whole text

    @property
    def name(self) -> str:
        return self.title or self.url


@dataclass
class Watch:
    name: str
    request: SearchRequest
    seen: str  # when its matches were last shown (ISO, UTC)
    added: str


def now(precise: bool = False) -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds" if precise else "seconds")


class FollowTable:
    """Sources and watches of one index."""

    def __init__(self, index: Path) -> None:
        self.path = index / FOLLOW_FILE
        self.db, _ = sidecar.open_table(self.path, _prepare)

    def close(self) -> None:
        self.db.close()

    # -- sources -------------------------------------------------------------------

    def sources(self) -> list[Source]:
        names = ", ".join(f.name for f in fields(Source))
        rows = self.db.execute(f"SELECT {names} FROM sources ORDER BY added, url")
        return [replace(Source(*row), full_text=bool(row[-1])) for row in rows]

    def source(self, url_or_name: str) -> Source | None:
        for found in self.sources():
            if url_or_name in (found.url, found.title):
                return found
        return None

    def add(self, url: str, title: str | None = None, full_text: bool = False) -> bool:
        """Follow ``url``; False if it was followed already (``full_text`` is
        then switched on if asked for)."""
        with self.db:
            done = self.db.execute(
                "INSERT OR IGNORE INTO sources (url, title, added, full_text) VALUES (?, ?, ?, ?)",
                (url, title, now(), int(full_text)),
            )
            if full_text:
                self.db.execute("UPDATE sources SET full_text = 1 WHERE url = ?", (url,))
        return done.rowcount == 1

    def save(self, source: Source, old_url: str | None = None) -> None:
        """Write a source back (under a new URL when it moved)."""
        values = asdict(source)
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self.db:
            if old_url is not None and old_url != source.url:
                self.db.execute("DELETE FROM sources WHERE url = ?", (old_url,))
            self.db.execute(
                f"INSERT OR REPLACE INTO sources ({names}) VALUES ({marks})", tuple(values.values())
            )

    def remove(self, url: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM sources WHERE url = ?", (url,))

    # -- watches -------------------------------------------------------------------

    def watches(self) -> list[Watch]:
        rows = self.db.execute("SELECT name, request, seen, added FROM watches ORDER BY name")
        return [Watch(name, _request(text), seen, added) for name, text, seen, added in rows]

    def watch(self, name: str) -> Watch:
        for found in self.watches():
            if found.name == name:
                return found
        known = ", ".join(w.name for w in self.watches()) or "none yet"
        raise ArchiveError(f"no watched search is named {name!r}", hint=f"watches: {known}")

    def add_watch(self, name: str, request: SearchRequest) -> None:
        """Save a watch; ArchiveError if its name is no name (see ``bad_name``)."""
        problem = bad_name(name)
        if problem is not None:
            raise ArchiveError(problem)
        text = json.dumps(_request_json(request))
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO watches (name, request, seen, added) VALUES (?, ?, ?, ?)",
                (name, text, now(precise=True), now()),
            )

    def mark_seen(self, name: str, when: str) -> None:
        with self.db:
            self.db.execute("UPDATE watches SET seen = ? WHERE name = ?", (when, name))

    def remove_watch(self, name: str) -> None:
        self.watch(name)  # says so if there is none
        with self.db:
            self.db.execute("DELETE FROM watches WHERE name = ?", (name,))


def bad_name(name: str) -> str | None:
    """Why ``name`` cannot name a watch (empty, blank, or holding control
    characters, which would reach the terminal), or None."""
    if not name.strip():
        return "a watch name cannot be empty"
    if safe_line(name) != name:
        return f"a watch name cannot hold control characters: {safe_line(name)!r}"
    return None


def _prepare(db: sqlite3.Connection) -> None:
    db.executescript(_SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(sources)")}
    if "full_text" not in columns:  # a table made before the column was
        db.execute("ALTER TABLE sources ADD COLUMN full_text INTEGER NOT NULL DEFAULT 0")
    for row in db.execute("SELECT request FROM watches"):
        _request(row[0])  # a damaged row is found now, not half-way through a command


_KEPT = ("query", "all_copies", "any_words", "exact", "since", "until", "source")


def _request_json(request: SearchRequest) -> dict[str, Any]:
    return {name: getattr(request, name) for name in _KEPT}


def _request(text: str) -> SearchRequest:
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        raise ValueError("a watched search without a query")
    return SearchRequest(**{k: v for k, v in data.items() if k in _KEPT})
