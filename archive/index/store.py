"""The index on disk: create and open it, hold its write lock, read it back.

A small JSON file beside Whoosh's own files records the schema version, so an
index built by another version is refused with a clear message. How
articles become documents is archive.index.documents; what one run changes,
archive.index.sync.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.query import Prefix
from whoosh.searching import Searcher

from archive.errors import (
    ArticleNotFound,
    IndexMissing,
    IndexUnreadable,
)
from archive.index import locking
from archive.index.documents import to_article
from archive.index.files import (
    META_FILE,
    check_version,
    clean_leftovers,
    permission_denied,
    require_readable,
    write_meta,
)
from archive.index.schema import SCHEMA_VERSION, build_schema
from archive.index.sync import Session, Target
from archive.model import Article, IndexStats, Problem, SyncReport
from archive.whoosh_ext import patches

# An ID prefix must be at least this long to name an article.
MIN_ID_PREFIX = 4


class Store:
    """An open archive index."""

    def __init__(self, path: Path, ix: whoosh_index.Index) -> None:
        self.path, self.ix = path, ix
        self._writing = False  # this store holds the archive's write lock
        # A Dask client whose workers write a run's segments (archive.index.cluster).
        self.cluster: Any = None
        self.partitions_told: Any = None  # told(written, sent) as the cluster writes
        # When articles new to this index were first added, by ID (sync.Target).
        self.first_added: Mapping[str, datetime] = {}

    # -- lifetime ---------------------------------------------------------

    @staticmethod
    def exists(path: Path) -> bool:
        """Whether an index (perhaps a damaged one) is there."""
        return path.is_dir() and any(path.glob("_MAIN_*.toc"))

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open an existing index, or say clearly why it cannot be opened."""
        require_readable(path)
        if not cls.exists(path):
            raise IndexMissing(f"no index at {path}", hint="build one with 'archive index'")
        return cls(path, _opened(path))

    @classmethod
    def create(cls, path: Path) -> Store:
        """A new, empty index in a new or empty folder (hidden files aside)."""
        patches.apply()
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
        write_meta(path, {"schema_version": SCHEMA_VERSION})
        return cls(path, ix)

    @classmethod
    def open_or_create(cls, path: Path) -> Store:
        return cls.open(path) if cls.exists(path) else cls.create(path)

    def close(self) -> None:
        self.ix.close()

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """A searcher of the index as it is now (Whoosh's own ranking)."""
        with self.ix.searcher() as searcher:
            yield searcher

    # -- writing ------------------------------------------------------------

    @contextmanager
    def writing(
        self,
        wait: bool = True,
        on_wait: Callable[[str], None] | None = None,
        doing: str = "index",
        warn: Callable[[str], None] = lambda message: None,
    ) -> Iterator[None]:
        """Hold the archive's write lock for the block (see archive.index.locking).

        Once it is held, what interrupted runs left is cleaned away, and the
        index is opened afresh: a rebuild may have replaced it meanwhile. Before
        it is let go, each new segment gets its arrays (archive.index.derived);
        ``warn`` hears if they cannot be written.
        """
        with locking.hold(self.path, doing, wait, on_wait):
            self._writing = True
            try:
                clean_leftovers(self.path)
                self.ix = _opened(self.path)
                yield
                self.ix = _opened(self.path)
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
            return Session(self._target(), release=lock.close)
        except BaseException:
            lock.close()
            raise

    def locked_session(self) -> Session:
        """A session under the write lock the caller holds (``with store.writing()``)."""
        if not self._writing:
            raise RuntimeError("locked_session() needs the write lock: use store.writing()")
        return Session(self._target(), release=lambda: None)

    def _target(self) -> Target:
        searcher, writer = (lambda: self.ix.searcher()), (lambda: self.writer(parallel=True))
        return Target(self.path, searcher, writer, self.first_added)

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

    def writer(self, parallel: bool = False) -> Any:
        """Whoosh's writer (the archive's lock is held): worker processes for a
        run, or a plain one for small edits."""
        return locking.wait_for(self.path, lambda: _writer(self, parallel), True, None)

    # -- reading ------------------------------------------------------------

    def get(self, id_or_prefix: str) -> Article:
        """The article with this ID, or with the one ID that starts so."""
        with self.ix.searcher() as searcher:
            return find_article(self.path, searcher, id_or_prefix)

    def check(self) -> list[str]:
        """What is damaged, if anything (archive.index.health)."""
        from archive.index.health import check

        return check(self.path, self.ix)

    def stats(self) -> IndexStats:
        """What is indexed, and where (archive.index.health)."""
        from archive.index.health import stats

        return stats(self.path, self.ix)


def identity(path: Path) -> tuple[int, ...] | None:
    """What changes whenever the index at ``path`` is written, rebuilt or
    replaced (its folder, and its meta file, which each of these writes
    anew); None if there is no index there."""
    try:
        folder, meta = path.stat(), (path / META_FILE).stat()
    except OSError:
        return None
    return (folder.st_dev, folder.st_ino, meta.st_ino, meta.st_mtime_ns, meta.st_size)


def _opened(path: Path) -> whoosh_index.Index:
    """Whoosh's index at ``path``, of this schema version, or why not."""
    patches.apply()
    check_version(path)
    try:
        return whoosh_index.open_dir(str(path))
    except PermissionError as err:
        raise permission_denied(path, Path(err.filename).name if err.filename else None) from err
    except Exception as err:  # Whoosh raises many kinds for a damaged index
        detail = f"{type(err).__name__}: {err}"
        raise IndexUnreadable(
            f"the index at {path} is damaged and cannot be opened ({detail[:100]})",
            hint="'archive rebuild' re-creates it from its sources",
        ) from err


def _writer(store: Store, parallel: bool) -> Any:
    """A writer, or None while a process that does not take the archive's lock holds Whoosh's."""
    from archive.index.writer import Writer

    try:
        cluster = store.cluster if parallel else None
        return Writer(store.ix, store.path, parallel, cluster, store.partitions_told)
    except whoosh_index.LockError:
        return None
    except PermissionError as err:
        raise locking.read_only(store.path) from err


def find_article(path: Path, searcher: Searcher, id_or_prefix: str) -> Article:
    """The article of the index at ``path`` with this ID, or with the one ID
    that starts so, with the copies it stands for."""
    from archive.index.dedup import StoryTable

    fields = searcher.document(id=id_or_prefix)
    if fields is None:
        fields = _by_prefix(searcher, id_or_prefix)
    copies = StoryTable.copies_in(path, fields["id"])
    return to_article(fields, tuple(copy.where() for copy in copies))


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
