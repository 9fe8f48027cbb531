"""One run's changes to the index: articles added, updated, recognised as
copies, or removed; committed together (a long run in batches).

Exact duplicates (the same cleaned text from another file or feed) are not
indexed twice: the first article stands for them, and the table beside the
index lists them (archive.index.dedup). Near duplicates join a story cluster.
Every document is written once; the table is committed just before the index,
and once more after it when a copy takes a removed article's place.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from archive.index.dedup import STORIES_FILE, Copy, ExactCopies, StoryClusters, StoryTable
from archive.index.documents import content_hash, exact_text_hash, rewritten, to_doc
from archive.index.files import stamp
from archive.index.similarity import band_keys
from archive.model import Article, Problem, SyncReport

if TYPE_CHECKING:
    from archive.index.store import Store

# A long run commits after this many new or changed articles, or after as many
# as half the articles the index held at its last commit if that is more, but
# never more than CHECKPOINT_MOST (see _checkpoint). Each commit ends the
# workers' segments, and every search pays for every segment: 20,000 left 12
# segments at 120,000 articles, and fuzzy searches took 1.7 times as long as
# over the 6 that 50,000 leaves. Growing with the index, the segments of one
# long run stay few: 12 at 500,000 articles and 16 at 1,000,000. A fixed 50,000
# left 20 at 500,000, and near 650,000 Whoosh's merge policy (which merges once
# there are about 25) had the parent merge most of them into one, sorting every
# posting again, for more than half an hour. The parent keeps about 1 kB for
# each article written since the last commit (its fingerprint, cluster and text
# hash), so the largest batch holds about 250 MB, and a crash loses at most a
# batch's work (about five minutes of it).
CHECKPOINT_ARTICLES = 50_000
CHECKPOINT_SHARE = 0.5
CHECKPOINT_MOST = 250_000


class Session:
    """Everything one run changes: written with one writer, committed at the end
    (and, in a long run, at checkpoints on the way)."""

    def __init__(self, store: Store, writer: Any, release: Callable[[], None]) -> None:
        self.store = store
        self.writer = writer
        self._release = release  # of the write lock, when the session ends
        self.stories = StoryTable(store.path)
        self.report = SyncReport()
        if self.stories.damaged:
            reason = f"damaged: set aside as {self.stories.damaged}; 'archive rebuild' restores it"
            self.report.problems.append(Problem(STORIES_FILE, reason, skipped=False))
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self._seen: set[str] = set()
        self._removed: dict[str, dict[str, Any]] = {}  # ID -> stored fields (if indexed)
        self._dropped: dict[str, str] = {}  # ID -> the text hash it held before this run
        self._orphaned: set[str] = set()  # articles gone or changed whose copies need a home
        self._written: set[str] = set()  # IDs with a document in the writer, uncommitted
        self._promoted: list[str] = []  # copies now articles: off the table after the commit
        # Whether a copy can be read again from its own file (archive.index.indexer
        # says, from its record of files); copies that cannot take a removed
        # article's place as it was (_write).
        self.rereadable: Callable[[Copy], bool] = lambda copy: False
        self._look_at(store.ix.searcher())
        self._unsaved = 0  # articles written since the last commit

    def _look_at(self, before: Any) -> None:
        """Compare with the index as it is now (when the run began, or at its last commit)."""
        self.before = before
        share = int(before.doc_count() * CHECKPOINT_SHARE)
        self._checkpoint_at = min(CHECKPOINT_MOST, max(CHECKPOINT_ARTICLES, share))
        self.copies = ExactCopies(before, self._removed, self._dropped)
        self.clusters = StoryClusters(self.stories, before, self._removed)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is None:
            self.commit()
        else:
            self.cancel()

    def put(self, article: Article, again: bool = False) -> None:
        """Add, update, or recognise as unchanged or as a copy, one article
        (``again``: even if this run has put it already)."""
        if article.id in self._seen and not again:
            self.report.unchanged += 1
            return
        if article.id in self._written:  # its document is written (a writer keeps the first)
            return
        self._seen.add(article.id)
        digest, text_hash = content_hash(article), exact_text_hash(article)
        existing = self.before.document(id=article.id)
        if existing is not None and existing.get("content_hash") == digest:
            self.report.unchanged += 1
            self.copies.remember(text_hash, article)
            return
        was_copy_of = self.stories.copy_of(article.id)
        if existing is not None and existing.get("text_hash") != text_hash:
            self._dropped[article.id] = str(existing.get("text_hash"))  # its copies' text
            self._orphaned.add(article.id)
        holder = self.copies.holder(text_hash, article)
        if holder is not None:
            self._as_copy(article, holder, existing is not None, was_copy_of)
            return
        if was_copy_of is not None:  # an article of its own now (see _write)
            self._promoted.append(article.id)
        added = existing.get("added", self.now) if existing else self.now
        doc = {**to_doc(article, digest, text_hash, added), **self.clusters.join(article)}
        if existing is None:
            # New: no need for update_document, which opens a reader over every
            # segment to look for the old version (47 ms a call with 13 segments).
            self.writer.add_document(**doc)
            self.report.added += 1
        else:
            self.writer.update_document(**doc)
            self.report.updated += 1
        self.copies.remember(text_hash, article)
        self._written.add(article.id)
        self._unsaved += 1
        if self._unsaved >= self._checkpoint_at:
            self._checkpoint()

    def remove(self, article_id: str) -> None:
        """Take an article out (or off the copies it was listed among)."""
        if article_id in self._removed:
            return
        fields = self.before.document(id=article_id)
        self._removed[article_id] = dict(fields) if fields is not None else {}
        if fields is None:
            if self.stories.drop_copy(article_id):
                self.report.removed += 1
            elif not self._inherited(article_id):
                self._orphaned.add(article_id)  # its copies, if any, still need a home
            return
        self.writer.delete_by_term("id", article_id)
        self.stories.drop_bands(article_id)
        self._orphaned.add(article_id)
        self.report.removed += 1

    def orphans(self) -> list[Copy]:
        """The copies of articles this run removed or changed, whose text no
        article of the index may hold any more (once each): read again from
        where they came from and ``put(..., again=True)``, each takes its
        place as an article or a copy of its own."""
        copies = [
            copy
            for holder in sorted(self._orphaned)
            for copy in self.stories.copies_of(holder)
            if copy.id not in self._written and self.rereadable(copy)
        ]
        self._orphaned.clear()
        return copies

    def _inherited(self, article_id: str) -> bool:
        """Finish a copy's taking this removed article's place, if a run
        stopped after the index's commit, before the table said so; whether
        one had."""
        for copy in self.stories.copies_of(article_id):
            heir = self.before.document(id=copy.id)
            if heir is not None:
                _inherit(self.stories, article_id, copy.id, band_keys(heir))
                return True
        return False

    def commit(self) -> None:
        try:
            if not (self._unsaved or self._removed or self.report.duplicates):
                self.writer.cancel()
                self.stories.commit()  # copies whose records changed but not the index
                return
            try:
                self._write()
            except BaseException:
                self._cancel_writer()  # a commit that failed holds files open
                raise
            stamp(self.store.path)
        finally:
            self.before.close()
            self.stories.close()
            self._release()

    def cancel(self) -> None:
        try:
            self._cancel_writer()
            self.before.close()
            self.stories.close()
        finally:
            self._release()

    def _cancel_writer(self) -> None:
        with suppress(Exception):  # committed, or half-way: nothing more to undo
            self.writer.cancel()

    # -- committing -------------------------------------------------------------

    def _write(self) -> None:
        """Commit the table, then the index (the table first: it may name
        articles the index lacks, never the reverse), with the first copy of
        each removed article written in its place if that copy came from no
        file (copies from files are read again: archive.index.indexer.rehome).

        The table stops listing a copy that became an article only once the
        index holds it: a run stopped before the index's commit leaves the
        copy listed as before, and the next run, removing or changing the
        article again, puts the copy in its place again (see ``remove`` for a
        run stopped just after it).
        """
        heirs: list[tuple[str, str, list[int]]] = []
        for article_id, fields in self._removed.items():
            copies = [  # those from files are read again (archive.index.indexer.rehome)
                c
                for c in self.stories.copies_of(article_id)
                if c.id not in self._removed
                and c.id not in self._written
                and not self.rereadable(c)
            ]
            if fields and copies:
                heir = copies[0]
                doc = rewritten(
                    fields, id=heir.id, origin=heir.origin, path=heir.path, record=heir.record
                )
                self.writer.add_document(**doc)
                heirs.append((article_id, heir.id, band_keys(fields)))
        self.stories.commit()
        self.writer.commit()
        for copy_id in self._promoted:
            self.stories.drop_copy(copy_id)
        for article_id, heir_id, keys in heirs:
            _inherit(self.stories, article_id, heir_id, keys)
        self.stories.commit()
        self._promoted.clear()
        self._written.clear()

    def _checkpoint(self) -> None:
        """Commit what is written so far and go on with a new writer.

        Keeps a long run's memory bounded (what this run wrote is found in the
        index from now on, not in memory), and what a crash can lose to one batch
        (at most CHECKPOINT_MOST articles).
        """
        self._write()
        self.before.close()
        self.writer = self.store._writer(parallel=True)
        self._unsaved = 0
        self._removed.clear()
        self._dropped.clear()  # the index holds their new text now
        self._look_at(self.store.ix.searcher())

    def _as_copy(
        self, article: Article, holder: str, indexed: bool, was_copy_of: str | None
    ) -> None:
        if indexed:  # it was an article of its own; now it is a copy
            self.writer.delete_by_term("id", article.id)
            self.stories.drop_bands(article.id)
            self._orphaned.add(article.id)
            self._removed[article.id] = {}
        copy = Copy(article.id, article.origin, article.path, article.record)
        self.stories.put_copy(holder, copy)
        if was_copy_of == holder:
            self.report.unchanged += 1
        else:
            self.report.duplicates += 1


def _inherit(stories: StoryTable, article_id: str, heir_id: str, keys: list[int]) -> None:
    """The table's side of a copy taking a removed article's place (the index holds it)."""
    stories.drop_copy(heir_id)
    stories.move_copies(article_id, heir_id)
    stories.put_bands(heir_id, keys)
