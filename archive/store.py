"""The index on disk: create, open, sync articles in, read them back.

Everything that knows how an ``Article`` is laid out in Whoosh lives here.
A small JSON file beside Whoosh's own files records the schema version, so an
index built by another version is refused with a clear message.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.query import Prefix
from whoosh.searching import Searcher

from archive.errors import (
    ArticleNotFound,
    IndexLocked,
    IndexMissing,
    IndexUnreadable,
    SchemaMismatch,
)
from archive.model import Article, Cleaning, IndexStats, Problem, SyncReport
from archive.schema import SCHEMA_VERSION, build_schema

META_FILE = "archive-meta.json"
# An ID prefix must be at least this long to name an article.
MIN_ID_PREFIX = 4
WRITER_MEMORY_MB = 128


def content_hash(article: Article) -> str:
    """Changes whenever anything the index keeps of the article changes."""
    parts = [article.title, article.body, article.source or "", article.path or ""]
    parts.append(article.date.isoformat() if article.date else "")
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).hexdigest()


class Store:
    """An open archive index."""

    def __init__(self, path: Path, ix: whoosh_index.Index) -> None:
        self.path = path
        self.ix = ix

    # -- lifetime ---------------------------------------------------------

    @staticmethod
    def exists(path: Path) -> bool:
        return path.is_dir() and whoosh_index.exists_in(str(path))

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open an existing index, or say clearly why it cannot be opened."""
        if not cls.exists(path):
            raise IndexMissing(f"no index at {path}", hint="build one with 'archive index'")
        _check_version(path)
        try:
            ix = whoosh_index.open_dir(str(path))
        except Exception as err:  # Whoosh raises many kinds for a damaged index
            raise IndexUnreadable(
                f"the index at {path} cannot be opened ({type(err).__name__}: {err})",
                hint="rebuild it with 'archive index'",
            ) from err
        return cls(path, ix)

    @classmethod
    def create(cls, path: Path) -> Store:
        """A new, empty index (replacing nothing: the folder must hold no index)."""
        try:
            path.mkdir(parents=True, exist_ok=True)
            ix = whoosh_index.create_in(str(path), build_schema())
        except OSError as err:
            raise IndexUnreadable(f"cannot create an index at {path}: {err.strerror}") from err
        _write_meta(path, {"schema_version": SCHEMA_VERSION})
        return cls(path, ix)

    @classmethod
    def open_or_create(cls, path: Path) -> Store:
        return cls.open(path) if cls.exists(path) else cls.create(path)

    def close(self) -> None:
        self.ix.close()

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        with self.ix.searcher() as searcher:
            yield searcher

    # -- writing ------------------------------------------------------------

    def sync(self, items: Iterable[Article | Problem]) -> SyncReport:
        """Add new articles, update changed ones, leave unchanged ones alone.

        All of it is one commit: if the run stops part-way, the index stays
        as it was before the run.
        """
        report = SyncReport()
        now = datetime.now(UTC).replace(tzinfo=None)
        seen: set[str] = set()
        writer = self._writer()
        try:
            with self.ix.searcher() as before:
                for item in items:
                    if isinstance(item, Problem):
                        report.problems.append(item)
                    elif item.id in seen:
                        report.unchanged += 1
                    else:
                        seen.add(item.id)
                        self._sync_one(writer, before, item, now, report)
        except BaseException:
            writer.cancel()
            raise
        if report.added or report.updated:
            writer.commit()
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            _write_meta(self.path, {**_read_meta(self.path), "last_indexed": stamp})
        else:
            writer.cancel()
        return report

    def _writer(self) -> Any:
        try:
            return self.ix.writer(limitmb=WRITER_MEMORY_MB)
        except whoosh_index.LockError as err:
            raise IndexLocked(
                f"the index at {self.path} is being written by another process",
                hint="try again when it has finished",
            ) from err

    @staticmethod
    def _sync_one(
        writer: Any, before: Searcher, article: Article, now: datetime, report: SyncReport
    ) -> None:
        digest = content_hash(article)
        existing = before.document(id=article.id)
        if existing is not None and existing.get("content_hash") == digest:
            report.unchanged += 1
            return
        added = existing.get("added", now) if existing else now
        writer.update_document(**_to_doc(article, digest, added))
        if existing is None:
            report.added += 1
        else:
            report.updated += 1

    # -- reading ------------------------------------------------------------

    def get(self, id_or_prefix: str) -> Article:
        """The article with this ID, or with the one ID that starts so."""
        with self.ix.searcher() as searcher:
            fields = searcher.document(id=id_or_prefix)
            if fields is None:
                fields = _by_prefix(searcher, id_or_prefix)
            return to_article(fields)

    def stats(self, why: str = "") -> IndexStats:
        with self.ix.searcher() as searcher:
            reader = searcher.reader()
            live = [n for n in range(reader.doc_count_all()) if not reader.is_deleted(n)]
            totals = {
                name: _column_total(reader, name, live)
                for name in ("removed_paragraphs", "removed_links")
            }
            cleaned = _count_nonzero(reader, ("removed_paragraphs", "removed_links"), live)
            articles = searcher.doc_count()
        meta = _read_meta(self.path)
        last = meta.get("last_indexed")
        return IndexStats(
            path=str(self.path),
            articles=articles,
            schema_version=int(meta.get("schema_version", SCHEMA_VERSION)),
            size_bytes=sum(f.stat().st_size for f in self.path.iterdir() if f.is_file()),
            segments=len(self.ix._segments()),
            last_indexed=datetime.fromisoformat(last) if last else None,
            cleaned_articles=cleaned,
            duplicate_paragraphs=totals["removed_paragraphs"],
            link_lines=totals["removed_links"],
        )


class LiveSearcher:
    """A searcher kept open across queries and refreshed when the index changes.

    Whoosh searchers are not shared between threads: keep one per thread.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._searcher: Searcher | None = None

    def get(self) -> Searcher:
        if self._searcher is None:
            self._searcher = self.store.ix.searcher()
        else:
            self._searcher = self._searcher.refresh()
        return self._searcher

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None


def _by_prefix(searcher: Searcher, prefix: str) -> dict[str, Any]:
    if len(prefix) < MIN_ID_PREFIX:
        raise ArticleNotFound(
            f"no article has the ID {prefix!r}",
            hint=f"give the full ID or at least {MIN_ID_PREFIX} characters of it",
        )
    hits = searcher.search(Prefix("id", prefix.lower()), limit=2)
    if len(hits) == 0:
        raise ArticleNotFound(f"no article has the ID {prefix!r}")
    if len(hits) > 1:
        raise ArticleNotFound(
            f"the ID prefix {prefix!r} is ambiguous", hint="give more characters of the ID"
        )
    return dict(hits[0].fields())


def _column_total(reader: Any, name: str, live: list[int]) -> int:
    column = reader.column_reader(name)
    return sum(int(column[n] or 0) for n in live)


def _count_nonzero(reader: Any, names: tuple[str, ...], live: list[int]) -> int:
    columns = [reader.column_reader(name) for name in names]
    return sum(1 for n in live if any(column[n] for column in columns))


def _to_doc(article: Article, digest: str, added: datetime) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": article.id,
        "origin": article.origin,
        "title": article.title,
        "body": article.body,
        "content_hash": digest,
        "removed_paragraphs": article.cleaning.duplicate_paragraphs,
        "removed_links": article.cleaning.link_lines,
        "removed_chars": article.cleaning.chars_removed,
        "added": added,
    }
    optional = {"path": article.path, "date": article.date, "source": article.source}
    doc.update({key: value for key, value in optional.items() if value is not None})
    return doc


def to_article(fields: dict[str, Any]) -> Article:
    """An ``Article`` from the stored fields of an indexed document."""
    return Article(
        id=fields["id"],
        title=fields.get("title", ""),
        body=fields.get("body", ""),
        origin=fields.get("origin", ""),
        path=fields.get("path"),
        date=fields.get("date"),
        source=fields.get("source"),
        cleaning=Cleaning(
            duplicate_paragraphs=fields.get("removed_paragraphs", 0),
            link_lines=fields.get("removed_links", 0),
            chars_removed=fields.get("removed_chars", 0),
        ),
    )


def _check_version(path: Path) -> None:
    meta = _read_meta(path)
    found = meta.get("schema_version")
    if found != SCHEMA_VERSION:
        built = "an unknown schema version" if found is None else f"schema version {found}"
        raise SchemaMismatch(
            f"the index at {path} was built with {built}; this archive uses version "
            f"{SCHEMA_VERSION}",
            hint="re-index: remove that folder (or pick a new --index-dir) and run "
            "'archive index' again for each source",
        )


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        data = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Write the sidecar atomically: a crash leaves the old file or the new one."""
    fd, tmp = tempfile.mkstemp(dir=path, prefix=".meta-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(meta, out, indent=2, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path / META_FILE)
