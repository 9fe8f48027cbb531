"""The index on disk: create, open, sync articles in, read them back.

Everything that knows how an ``Article`` is laid out in Whoosh lives here.
A small JSON file beside Whoosh's own files records the schema version, so an
index built by another version is refused with a clear message.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.query import Prefix
from whoosh.searching import Searcher

from archive.errors import (
    ArticleNotFound,
    IndexMissing,
    IndexUnreadable,
    SchemaMismatch,
)
from archive.index import locking
from archive.index.schema import LIST_SEPARATOR, SCHEMA_VERSION, build_schema
from archive.model import Article, Cleaning, IndexStats, Problem, SyncReport
from archive.search.ranking import WEIGHTING
from archive.whoosh_ext import patches  # noqa: F401  (applied on import)
from archive.whoosh_ext.columns import Column

META_FILE = "archive-meta.json"
# An ID prefix must be at least this long to name an article.
MIN_ID_PREFIX = 4
WRITER_MEMORY_MB = 128
# A long run commits after this many new or changed articles (see _checkpoint).
# Each commit ends the workers' segments, and every search pays for every
# segment: 20,000 left 12 segments at 120,000 articles, and fuzzy searches
# took 1.7 times as long as over the 6 that 50,000 leaves.
CHECKPOINT_ARTICLES = 50_000
# Near-duplicate candidates checked per article, at most.
MAX_NEAR_CANDIDATES = 64


def content_hash(article: Article) -> str:
    """Changes whenever anything the index keeps of the article changes."""
    parts = [
        article.title,
        article.body,
        article.source or "",
        article.path or "",
        article.date.isoformat() if article.date else "",
        article.url or "",
        article.language or "",
        article.record or "",
        LIST_SEPARATOR.join(article.authors),
        LIST_SEPARATOR.join(article.tags),
    ]
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).hexdigest()


class Store:
    """An open archive index."""

    def __init__(self, path: Path, ix: whoosh_index.Index) -> None:
        self.path = path
        self.ix = ix
        self._writing = False  # this store holds the archive's write lock

    # -- lifetime ---------------------------------------------------------

    @staticmethod
    def exists(path: Path) -> bool:
        """Whether an index (perhaps a damaged one) is there."""
        return path.is_dir() and any(path.glob("_MAIN_*.toc"))

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open an existing index, or say clearly why it cannot be opened."""
        if not cls.exists(path):
            raise IndexMissing(f"no index at {path}", hint="build one with 'archive index'")
        _check_version(path)
        try:
            ix = whoosh_index.open_dir(str(path))
        except Exception as err:  # Whoosh raises many kinds for a damaged index
            detail = f"{type(err).__name__}: {err}"
            raise IndexUnreadable(
                f"the index at {path} is damaged and cannot be opened ({detail[:100]})",
                hint="'archive rebuild' re-creates it from its sources",
            ) from err
        return cls(path, ix)

    @classmethod
    def create(cls, path: Path) -> Store:
        """A new, empty index in a new or empty folder (hidden files aside)."""
        if path.is_dir() and any(not entry.name.startswith(".") for entry in path.iterdir()):
            raise IndexUnreadable(
                f"{path} holds other files and no index; an index is not made among them",
                hint="give --index-dir a new or empty folder",
            )
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
        with self.ix.searcher(weighting=WEIGHTING) as searcher:
            yield searcher

    # -- writing ------------------------------------------------------------

    @contextmanager
    def writing(
        self,
        wait: bool = True,
        on_wait: Callable[[str], None] | None = None,
        doing: str = "index",
    ) -> Iterator[None]:
        """Hold the archive's write lock for the block (see archive.index.locking).

        Once it is held, what interrupted runs left is cleaned away, and the
        index is opened afresh: a rebuild may have replaced it meanwhile.
        """
        with locking.hold(self.path, doing, wait, on_wait):
            self._writing = True
            try:
                clean_leftovers(self.path)
                _check_version(self.path)
                self.ix = whoosh_index.open_dir(str(self.path))
                yield
            finally:
                self._writing = False

    def session(self, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> Session:
        """A writing session: one writer, one commit (use it as a context manager).

        If another process is writing, wait for it (telling ``on_wait`` once
        who it is), or with ``wait=False`` raise IndexLocked at once.
        """
        lock = ExitStack()
        lock.enter_context(self.writing(wait, on_wait))
        try:
            return Session(self, self._writer(parallel=True), release=lock.close)
        except BaseException:
            lock.close()
            raise

    def locked_session(self) -> Session:
        """A session under the write lock the caller holds (``with store.writing()``)."""
        if not self._writing:
            raise RuntimeError("locked_session() needs the write lock: use store.writing()")
        return Session(self, self._writer(parallel=True), release=lambda: None)

    def sync(
        self,
        items: Iterable[Article | Problem],
        wait: bool = True,
        on_wait: Callable[[str], None] | None = None,
    ) -> SyncReport:
        """Add new articles, update changed ones, leave unchanged ones alone.

        All of it is one commit: if the run stops part-way, the index stays
        as it was before the run.
        """
        with self.session(wait, on_wait) as session:
            for item in items:
                if isinstance(item, Problem):
                    session.report.problems.append(item)
                else:
                    session.put(item)
        return session.report

    def _writer(self, parallel: bool = False) -> Any:
        """Whoosh's writer (the archive's lock is held): worker processes for a
        run, or a plain one for small edits."""
        from archive.whoosh_ext.multiproc import ParallelWriter

        def attempt() -> Any:
            try:
                if parallel:
                    return ParallelWriter(self.ix, limitmb=WRITER_MEMORY_MB)
                return self.ix.writer(limitmb=WRITER_MEMORY_MB)
            except whoosh_index.LockError:
                return None  # a process that does not take the archive's lock
            except PermissionError as err:
                raise locking.read_only(self.path) from err

        return locking.wait_for(self.path, attempt, True, None)

    def lock_holder(self) -> str:
        return locking.lock_holder(self.path)

    def carry_over(self, docs: Iterable[dict[str, Any]]) -> int:
        """Add stored articles of another index that this one lacks; how many."""
        with self.writing():
            return self._carry_over(docs)

    def _carry_over(self, docs: Iterable[dict[str, Any]]) -> int:
        from archive.index.bands import BandTable

        writer = self._writer()
        bands = BandTable(self.path)
        known = set(self.ix.schema.names())  # an older schema may have had other fields
        added = 0
        try:
            with self.ix.searcher() as searcher:
                for doc in docs:
                    if searcher.document_number(id=doc["id"]) is None:
                        kept = {name: value for name, value in doc.items() if name in known}
                        writer.add_document(**_without_none(kept))
                        bands.put(doc["id"], band_keys(doc))
                        added += 1
            if added:
                bands.commit()
                writer.commit()
            else:
                writer.cancel()
        finally:
            bands.close()
        return added

    # -- reading ------------------------------------------------------------

    def get(self, id_or_prefix: str) -> Article:
        """The article with this ID, or with the one ID that starts so."""
        with self.ix.searcher() as searcher:
            fields = searcher.document(id=id_or_prefix)
            if fields is None:
                fields = _by_prefix(searcher, id_or_prefix)
            return to_article(fields)

    def check(self) -> list[str]:
        """Read every segment, stored article and posting list, and the tables
        beside the index; what is damaged."""
        from archive.index.bands import BandTable
        from archive.index.manifest import Manifest

        damage = Manifest.check(self.path) + BandTable.check(self.path)
        with self.ix.searcher() as searcher:
            for reader, _ in searcher.reader().leaf_readers():
                name = getattr(reader, "segment", lambda: None)()
                label = f"segment {name.segment_id()}" if name is not None else "segment"
                try:
                    for _ in reader.all_stored_fields():
                        pass
                    for field in reader.indexed_field_names():
                        for term in reader.lexicon(field):
                            reader.postings(field, term).all_ids()
                except Exception as err:  # any damage shows as some Whoosh error
                    damage.append(f"{label}: {type(err).__name__}: {err}")
        return damage

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


class Session:
    """Everything one run changes: written with one writer, committed at the end
    (and, in a long run, every CHECKPOINT_ARTICLES articles on the way).

    Exact duplicates (the same cleaned text from another file or feed) are not
    indexed twice: the first article keeps a list of its copies, and a copy
    that later disappears or changes is taken off that list.
    """

    def __init__(self, store: Store, writer: Any, release: Callable[[], None]) -> None:
        self.store = store
        self.writer = writer
        self._release = release  # of the write lock, when the session ends
        self.before = store.ix.searcher()  # the index as it was when the run began
        self.report = SyncReport()
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self._seen: set[str] = set()
        self._primary_of_hash: dict[str, tuple[str, str | None]] = {}
        # IDs of documents this run added or replaced. Whoosh cannot replace a
        # document added by the same uncommitted writer, so copy lists for
        # these are written by a second, small commit.
        self._written: set[str] = set()
        self._removed: set[str] = set()
        self._copies_to_add: dict[str, dict[str, list[Any]]] = {}
        self._copies_to_drop: dict[str, set[str]] = {}
        from archive.index.bands import BandTable

        self.bands = BandTable(store.path)
        # Fingerprint and cluster of each article written this run.
        self._fingerprints: dict[str, tuple[Any, str]] = {}
        self._unsaved = 0  # articles written since the last commit

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is None:
            self.commit()
        else:
            self.cancel()

    def put(self, article: Article) -> None:
        """Add, update, or recognise as unchanged or as a copy, one article."""
        if article.id in self._seen:
            self.report.unchanged += 1
            return
        self._seen.add(article.id)
        digest, text_hash = content_hash(article), exact_text_hash(article)
        existing = self.before.document(id=article.id)
        if existing is not None and existing.get("content_hash") == digest:
            self.report.unchanged += 1
            self._primary_of_hash.setdefault(text_hash, (article.id, article.path))
            return
        self._forget_as_copy(article.id, keep_in=None)
        primary = self._primary_for(text_hash, article)
        if primary is not None:
            self._record_copy(primary, article, existing)
            return
        copies = list(existing.get("copies", [])) if existing else []
        added = existing.get("added", self.now) if existing else self.now
        doc = _without_none(
            {**_to_doc(article, digest, text_hash, added, copies), **self._cluster(article)}
        )
        if existing is None:
            # New: no need for update_document, which opens a reader over every
            # segment to look for the old version (47 ms a call with 13 segments).
            self.writer.add_document(**doc)
        else:
            self.writer.update_document(**doc)
        self._written.add(article.id)
        self._primary_of_hash.setdefault(text_hash, (article.id, article.path))
        if existing is None:
            self.report.added += 1
        else:
            self.report.updated += 1
        self._unsaved += 1
        if self._unsaved >= CHECKPOINT_ARTICLES:
            self._checkpoint()

    def remove(self, article_id: str) -> None:
        """Take an article out; if it had copies, the first copy takes its place."""
        if article_id in self._removed:
            return
        self._removed.add(article_id)
        fields = self.before.document(id=article_id)
        if fields is None:
            self._forget_as_copy(article_id, keep_in=None, count=True)
            return
        self.writer.delete_by_term("id", article_id)
        self.bands.drop(article_id)
        self.report.removed += 1
        copies = [c for c in fields.get("copies", []) if c[0] not in self._removed]
        if copies:
            heir, rest = copies[0], copies[1:]
            doc = {**stored_to_doc(fields), "id": heir[0], "origin": heir[1], "path": heir[2]}
            doc["record"] = heir[3]
            doc.update(_copy_fields(rest))
            self.writer.update_document(**_without_none(doc))
            self.bands.put(heir[0], band_keys(fields))
            self._written.add(heir[0])

    def commit(self) -> None:
        try:
            if not self._changed():
                self.writer.cancel()
                return
            self._write()
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            _write_meta(self.store.path, {**_read_meta(self.store.path), "last_indexed": stamp})
        finally:
            self.before.close()
            self.bands.close()
            self._release()

    def _write(self) -> None:
        """Commit the writer, then the copy lists of articles it wrote."""
        primaries = set(self._copies_to_add) | set(self._copies_to_drop)
        later = primaries & self._written
        self._write_copy_lists(self.writer, self.before, primaries - later)
        self.bands.commit()  # first: it may name articles the index lacks, never the reverse
        self.writer.commit()
        if later:
            writer = self.store._writer()
            with self.store.ix.searcher() as now:
                self._write_copy_lists(writer, now, later)
            writer.commit()

    def _checkpoint(self) -> None:
        """Commit what is written so far and go on with a new writer.

        Keeps a long run's memory bounded (what this run wrote is found in the
        index from now on, not in memory), and what a crash can lose to one batch.
        """
        self._write()
        self.before.close()
        self.writer = self.store._writer(parallel=True)
        self.before = self.store.ix.searcher()
        self._unsaved = 0
        self._primary_of_hash.clear()
        self._written.clear()
        self._copies_to_add.clear()
        self._copies_to_drop.clear()
        self._fingerprints.clear()

    def cancel(self) -> None:
        try:
            self.writer.cancel()
            self.before.close()
            self.bands.close()
        finally:
            self._release()

    # -- near duplicates -----------------------------------------------------

    def _cluster(self, article: Article) -> dict[str, Any]:
        """Band keys and fingerprint for the article, and the story cluster it joins."""
        from archive.index.similarity import fingerprint

        self.bands.drop(article.id)  # its keys of an earlier version, if any
        mine = fingerprint(article.body)
        if mine is None:
            return {"cluster": article.id}
        keys = mine.band_keys
        cluster = self._matching_cluster(article.id, mine, keys) or article.id
        self.bands.put(article.id, keys)
        self._fingerprints[article.id] = (mine, cluster)
        return {"fingerprint": mine.stored(), "cluster": cluster}

    def _matching_cluster(self, own_id: str, mine: Any, keys: list[int]) -> str | None:
        from archive.index.similarity import Fingerprint, same_story

        candidates = [c for c in self.bands.members(keys) if c != own_id and c not in self._removed]
        for other in candidates[:MAX_NEAR_CANDIDATES]:
            if other in self._fingerprints:  # written this run
                theirs, cluster = self._fingerprints[other]
            else:
                stored = self.before.document(id=other)
                if stored is None:  # not in the index (see archive.index.bands)
                    continue
                theirs = Fingerprint.from_stored(stored.get("fingerprint"))
                cluster = str(stored.get("cluster") or other)
            if theirs is not None and same_story(mine, theirs):
                return cluster
        return None

    def _docs_with(self, field: str, term: str) -> list[int]:
        """The documents holding ``term`` in ``field`` when the run began.

        A direct look in the term index: Searcher.document_numbers builds and
        normalises a query for each call.
        """
        reader = self.before.reader()
        if (field, term) not in reader:
            return []
        return list(reader.postings(field, term).all_ids())

    # -- exact duplicates ----------------------------------------------------

    def _primary_for(self, text_hash: str, article: Article) -> str | None:
        """The article already holding this exact text from another file, if any.

        Records inside one file are never merged: an export that lists two
        records is saying they are two (CACM has five "Glossary" entries).
        """
        known = self._primary_of_hash.get(text_hash)
        if known is not None:
            primary, path = known
            if primary != article.id and primary not in self._removed and path != article.path:
                return primary
        for docnum in self._docs_with("text_hash", text_hash):
            stored = self.before.stored_fields(docnum)
            found, path = stored["id"], stored.get("path")
            if found != article.id and found not in self._removed and path != article.path:
                self._primary_of_hash[text_hash] = (found, path)
                return str(found)
        return None

    def _record_copy(self, primary: str, article: Article, existing: Any) -> None:
        listed = self._copy_ids(primary)
        if existing is not None:  # it was an article of its own; now it is a copy
            self.writer.delete_by_term("id", article.id)
            self.bands.drop(article.id)
            self._removed.add(article.id)
        entry = [article.id, article.origin, article.path, article.record]
        self._copies_to_add.setdefault(primary, {})[article.id] = entry
        self._copies_to_drop.get(primary, set()).discard(article.id)
        if article.id in listed:
            self.report.unchanged += 1
        else:
            self.report.duplicates += 1

    def _forget_as_copy(self, article_id: str, keep_in: str | None, count: bool = False) -> None:
        """Take ``article_id`` off the copy list of any article that lists it."""
        for docnum in self._docs_with("copy_ids", article_id):
            primary = self.before.stored_fields(docnum)["id"]
            if primary != keep_in:
                self._copies_to_drop.setdefault(primary, set()).add(article_id)
                if count:
                    self.report.removed += 1

    def _copy_ids(self, primary: str) -> set[str]:
        doc = self.before.document(id=primary) or {}
        return set((doc.get("copy_ids") or "").split())

    def _write_copy_lists(self, writer: Any, searcher: Searcher, primaries: set[str]) -> None:
        for primary in primaries - self._removed:
            stored = searcher.document(id=primary)
            if stored is None:
                continue
            doc = stored_to_doc(stored)
            drop = self._copies_to_drop.get(primary, set())
            entries = {c[0]: list(c) for c in doc.get("copies", []) if c[0] not in drop}
            entries.update(self._copies_to_add.get(primary, {}))
            new = _copy_fields(list(entries.values()))
            if new["copy_ids"] != (doc.get("copy_ids") or ""):
                writer.update_document(**_without_none({**doc, **new}))

    def _changed(self) -> bool:
        report = self.report
        return bool(
            report.added
            or report.updated
            or report.removed
            or report.duplicates
            or self._copies_to_drop
            or self._copies_to_add
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
            self._searcher = self.store.ix.searcher(weighting=WEIGHTING)
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
    column = Column(reader, name, translate=True)
    return sum(int(column[n] or 0) for n in live)


def _count_nonzero(reader: Any, names: tuple[str, ...], live: list[int]) -> int:
    columns = [Column(reader, name, translate=True) for name in names]
    return sum(1 for n in live if any(column[n] for column in columns))


def _to_doc(
    article: Article, digest: str, text_hash: str, added: datetime, copies: list[Any]
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": article.id,
        "origin": article.origin,
        "title": article.title,
        # A headline-only item keeps its words in the title alone: indexing them
        # again as its body would count every match twice.
        "body": "" if article.body == article.title else article.body,
        "content_hash": digest,
        "text_hash": text_hash,
        "removed_paragraphs": article.cleaning.duplicate_paragraphs,
        "removed_links": article.cleaning.link_lines,
        "removed_chars": article.cleaning.chars_removed,
        "added": added,
        "path": article.path,
        "record": article.record,
        "date": article.date,
        "source": article.source,
        "outlet": article.source,
        "url": article.url,
        "language": article.language,
        "authors": LIST_SEPARATOR.join(article.authors) or None,
        "tags": LIST_SEPARATOR.join(article.tags) or None,
        "author_values": LIST_SEPARATOR.join(article.authors) or None,
        "tag_values": LIST_SEPARATOR.join(article.tags) or None,
        **_copy_fields(copies),
    }
    return _without_none(doc)


def _copy_fields(copies: list[Any]) -> dict[str, Any]:
    return {"copies": [list(c) for c in copies], "copy_ids": " ".join(c[0] for c in copies)}


def _without_none(doc: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if value is not None and value != ""}


def band_keys(fields: dict[str, Any]) -> list[int]:
    """The LSH band keys of a stored article (none if it is too short to have any)."""
    from archive.index.similarity import Fingerprint

    mine = Fingerprint.from_stored(fields.get("fingerprint"))
    return mine.band_keys if mine is not None else []


def stored_to_doc(fields: dict[str, Any]) -> dict[str, Any]:
    """A document to re-write from its stored fields (every indexed field is stored)."""
    return dict(fields)


def exact_text_hash(article: Article) -> str:
    """The same for exact duplicates: the same cleaned headline and text.

    A copy under another headline is not an exact duplicate but a near one
    (a syndicated or re-headlined story).
    """
    text = f"{article.title}\n{article.body}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def to_article(fields: dict[str, Any]) -> Article:
    """An ``Article`` from the stored fields of an indexed document."""
    return Article(
        id=fields["id"],
        title=fields.get("title", ""),
        body=fields.get("body") or fields.get("title", ""),
        origin=fields.get("origin", ""),
        path=fields.get("path"),
        date=fields.get("date"),
        source=fields.get("source"),
        cleaning=Cleaning(
            duplicate_paragraphs=fields.get("removed_paragraphs", 0),
            link_lines=fields.get("removed_links", 0),
            chars_removed=fields.get("removed_chars", 0),
        ),
        authors=split_list(fields.get("authors")),
        url=fields.get("url"),
        tags=split_list(fields.get("tags")),
        language=fields.get("language"),
        record=fields.get("record"),
        copies=tuple(
            f"{c[2] or c[1]}{f' ({c[3]})' if c[3] else ''}" for c in fields.get("copies", [])
        ),
    )


def split_list(joined: str | None) -> tuple[str, ...]:
    """Authors or tags as stored (joined with ';') back to a tuple."""
    return tuple(part for part in (joined or "").split(LIST_SEPARATOR) if part)


def _check_version(path: Path) -> None:
    meta = _read_meta(path)
    if not meta and (path / META_FILE).exists():
        raise IndexUnreadable(
            f"the index at {path} is damaged: {META_FILE} cannot be read",
            hint="'archive rebuild' re-creates it from its sources",
        )
    found = meta.get("schema_version")
    if found != SCHEMA_VERSION:
        built = "an unknown schema version" if found is None else f"schema version {found}"
        raise SchemaMismatch(
            f"the index at {path} was built with {built}; this archive uses version "
            f"{SCHEMA_VERSION}",
            hint="'archive rebuild' re-creates it from its sources",
        )


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        data = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


INDEX_NAME = "MAIN"  # Whoosh's default index name: its files start so
LOCK_NAME = f"{INDEX_NAME}_WRITELOCK"
REBUILDING = ".rebuilding-"  # a rebuild's new index, inside the index folder
BACKUP = ".before-rebuild-"  # the index a rebuild replaced, inside the index folder
PARTIAL = ".partial"  # a backup still being put together


def clean_leftovers(path: Path) -> list[str]:
    """Remove what interrupted runs left in the index folder; what was removed.

    Only with the index's write lock held: no other process is then writing.
    Left by a killed run or rebuild: segment files no table of contents names,
    unfinished tables of contents, Whoosh's temporary folders, a rebuild's
    half-built index and a half-moved backup. Nothing is removed when the
    table of contents cannot be read (the index may be damaged: rebuild reads it).
    """
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    storage = FileStorage(str(path))
    try:
        generation = TOC._latest_generation(storage, INDEX_NAME)
        toc = TOC.read(storage, INDEX_NAME, generation)
    except Exception:  # damage shows as any Whoosh error: leave everything
        return []
    current = {TOC._filename(INDEX_NAME, generation)}
    live = tuple(f"{segment.segment_id()}." for segment in toc.segments)
    removed = []
    for entry in path.iterdir():
        name = entry.name
        if entry.is_dir():
            stale = name.startswith(REBUILDING) or name.endswith((".tmp", PARTIAL))
            if stale and (name.startswith(".") or name.startswith(INDEX_NAME)):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(name)
            continue
        ours = name.startswith((f"{INDEX_NAME}_", f"_{INDEX_NAME}_"))
        if ours and name != LOCK_NAME and name not in current and not name.startswith(live):
            with suppress(OSError):
                entry.unlink()
                removed.append(name)
    return removed


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Write the sidecar atomically: a crash leaves the old file or the new one."""
    fd, tmp = tempfile.mkstemp(dir=path, prefix=".meta-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(meta, out, indent=2, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path / META_FILE)
