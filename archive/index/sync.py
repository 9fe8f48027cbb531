"""One run's changes to the index: articles added, updated, recognised as
copies, or removed; committed together (a long run in batches).

Exact duplicates (the same cleaned text from another file or feed) are not
indexed twice: the first article stands for them, and the table beside the
index lists them (archive.index.dedup). Near duplicates join a story cluster.
Every document is written once. A batch is committed in three steps
(``write_batch``): the table, with what the index's commit will make true
journalled in it; the index; then the table again, the journal applied. A
run stopped between the last two leaves the journal, which the next session
completes before it reads anything (``StoryTable.complete_pending``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.index.dedup import STORIES_FILE, Copy, ExactCopies, StoryClusters, StoryTable
from archive.index.documents import Prepared, prepare, rewritten, to_doc
from archive.index.files import stamp
from archive.model import Article, Problem, SyncReport
from archive.whoosh_ext.segments import stored_with

# A long run commits after this many new or changed articles, or after as many
# as half the articles the index held at its last commit if that is more, but
# never more than CHECKPOINT_MOST (see Session._checkpoint). Each commit ends the
# workers' segments, and every search pays for every segment: 20,000 left 12
# segments at 120,000 articles, and fuzzy searches took 1.7 times as long as
# over the 6 that 50,000 leaves. Growing with the index, the segments of one
# long run stay few: 12 at 500,000 articles and 16 at 1,000,000. A fixed 50,000
# left 20 at 500,000, and near 650,000 Whoosh's merge policy (which merges once
# there are about 25) had the parent merge most of them into one, sorting every
# posting again, for more than half an hour. The parent keeps about 1 kB for
# each article written since the last commit (its signature, cluster and text
# hash), so the largest batch holds about 250 MB, and a crash loses at most a
# batch's work (about five minutes of it).
CHECKPOINT_ARTICLES = 50_000
CHECKPOINT_SHARE = 0.5
CHECKPOINT_MOST = 250_000


@dataclass(frozen=True)
class Target:
    """The index a session writes (its write lock held): where it is, a
    searcher of it as it is now, a new writer of it, and when articles new to
    it were first added to the archive (a rebuild's new index keeps the times
    of the index it replaces, so watches do not see them as new again)."""

    path: Path
    searcher: Callable[[], Any]
    writer: Callable[[], Any]
    first_added: Mapping[str, datetime] = field(default_factory=dict)


@dataclass
class Ledger:
    """What a run has done so far, by article ID."""

    seen: set[str] = field(default_factory=set)  # put by this run
    removed: dict[str, dict[str, Any]] = field(default_factory=dict)  # stored fields, if indexed
    dropped: dict[str, str] = field(default_factory=dict)  # the text hash held before a change
    orphaned: set[str] = field(default_factory=set)  # gone or changed: their copies need a home
    written: set[str] = field(default_factory=set)  # documents in the writer, uncommitted
    promoted: list[str] = field(default_factory=list)  # copies now articles
    unsaved: int = 0  # articles written since the last commit

    @property
    def changed(self) -> bool:
        return bool(self.unsaved or self.removed)

    def orphans(self, stories: StoryTable, rereadable: Callable[[Copy], bool]) -> list[Copy]:
        """The copies of the orphaned articles that can be read again (once each)."""
        copies = [
            copy
            for holder in sorted(self.orphaned)
            for copy in stories.copies_of(holder)
            if copy.id not in self.written and rereadable(copy)
        ]
        self.orphaned.clear()
        return copies

    def committed(self) -> None:
        """The index holds what was written: the removals and changes are its own now."""
        self.written.clear()
        self.promoted.clear()
        self.removed.clear()
        self.dropped.clear()
        self.unsaved = 0


class Changes:
    """What each article of a run does to the index: added, updated, unchanged,
    a copy of another, or removed (Session commits them)."""

    ledger: Ledger
    stories: StoryTable
    report: SyncReport
    writer: Any
    before: Any  # a searcher of the index as the run (or its last batch) began
    copies: ExactCopies
    clusters: StoryClusters
    now: datetime
    rereadable: Callable[[Copy], bool]
    target: Target

    def put(self, article: Article, again: bool = False, prepared: Prepared | None = None) -> None:
        """Add, update, or recognise as unchanged or as a copy, one article
        (``again``: even if this run has put it already; ``prepared``: what a
        reader made of it, archive.index.reading)."""
        ledger = self.ledger
        if article.id in ledger.seen and not again:
            self.report.unchanged += 1
            return
        if article.id in ledger.written:  # its document is written (a writer keeps the first)
            return
        ledger.seen.add(article.id)
        prepared = prepared or prepare(article)
        digest, text_hash = prepared.digest, prepared.text_hash
        existing = stored_with(self.before, "id", article.id)
        if existing is not None and existing.get("content_hash") == digest:
            self.report.unchanged += 1
            self.copies.remember(text_hash, article)
            return
        was_copy_of = self.stories.copy_of(article.id)
        if existing is not None and existing.get("text_hash") != text_hash:
            ledger.dropped[article.id] = str(existing.get("text_hash"))  # its copies' text
            ledger.orphaned.add(article.id)
        holder = self.copies.holder(text_hash, article)
        if holder is not None:
            self._as_copy(article, holder, existing is not None, was_copy_of)
            return
        if was_copy_of is not None:  # an article of its own now (see write_batch)
            ledger.promoted.append(article.id)
        self._write_document(prepared, existing)

    def _write_document(self, prepared: Prepared, existing: Any) -> None:
        article, digest, text_hash = prepared.article, prepared.digest, prepared.text_hash
        if existing is not None:
            added = existing.get("added", self.now)
        else:
            added = self.target.first_added.get(article.id, self.now)
        doc = {
            **to_doc(article, digest, text_hash, added),
            **self.clusters.join(article, prepared.fingerprint),
        }
        if existing is None:
            # New: no need for update_document, which opens a reader over every
            # segment to look for the old version (47 ms a call with 13 segments).
            self.writer.add_document(**doc)
            self.report.added += 1
        else:
            self.writer.update_document(**doc)
            self.report.updated += 1
        self.copies.remember(text_hash, article)
        self.ledger.written.add(article.id)
        self.ledger.unsaved += 1
        self._written()

    def remove(self, article_id: str) -> None:
        """Take an article out (or off the copies it was listed among)."""
        ledger = self.ledger
        if article_id in ledger.removed:
            return
        fields = stored_with(self.before, "id", article_id)
        ledger.removed[article_id] = dict(fields) if fields is not None else {}
        if fields is None:
            if self.stories.drop_copy(article_id):
                self.report.removed += 1
            else:
                ledger.orphaned.add(article_id)  # its copies, if any, still need a home
            return
        self._unindex(article_id)
        self.report.removed += 1

    def _unindex(self, article_id: str) -> None:
        """Take an article's document out; its copies need a home."""
        self.writer.delete_by_term("id", article_id)
        self.ledger.orphaned.add(article_id)

    def orphans(self) -> list[Copy]:
        """The copies of articles this run removed or changed, whose text no
        article of the index may hold any more (once each): read again from
        where they came from and ``put(..., again=True)``, each takes its
        place as an article or a copy of its own."""
        return self.ledger.orphans(self.stories, self.rereadable)

    def _as_copy(
        self, article: Article, holder: str, indexed: bool, was_copy_of: str | None
    ) -> None:
        if indexed:  # it was an article of its own; now it is a copy
            self._unindex(article.id)
            self.ledger.removed[article.id] = {}
        copy = Copy(article.id, article.origin, article.path, article.record)
        self.stories.put_copy(holder, copy)
        if was_copy_of == holder:
            self.report.unchanged += 1
        else:
            self.report.duplicates += 1

    def _written(self) -> None:
        """An article's document is written (a long run commits at checkpoints)."""


class Session(Changes):
    """Everything one run changes: written with one writer, committed at the end
    (and, in a long run, at checkpoints on the way)."""

    def __init__(self, target: Target, release: Callable[[], None]) -> None:
        self.target = target
        self._release = release  # of the write lock, when the session ends
        self.stories = StoryTable(target.path)
        self.report = SyncReport()
        if self.stories.damaged:
            reason = f"damaged: set aside as {self.stories.damaged}; 'archive rebuild' restores it"
            self.report.problems.append(Problem(STORIES_FILE, reason, skipped=False))
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self.ledger = Ledger()
        # Whether a copy can be read again from its own file (archive.index.indexer
        # says, from its record of files); copies that cannot take a removed
        # article's place as it was (write_batch).
        self.rereadable: Callable[[Copy], bool] = lambda copy: False
        self.writer = target.writer()
        self._look_at(target.searcher())
        self.stories.complete_pending(self._holds)

    def _holds(self, article_id: str) -> bool:
        return stored_with(self.before, "id", article_id) is not None

    def _look_at(self, before: Any) -> None:
        """Compare with the index as it is now (when the run began, or at its last commit)."""
        self.before = before
        share = int(before.doc_count() * CHECKPOINT_SHARE)
        self._checkpoint_at = min(CHECKPOINT_MOST, max(CHECKPOINT_ARTICLES, share))
        ledger = self.ledger
        self.copies = ExactCopies(before, ledger.removed, ledger.dropped)
        self.clusters = StoryClusters(before, ledger.removed)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        self.commit() if kind is None else self.cancel()

    def commit(self) -> None:
        try:
            if not (self.ledger.changed or self.report.duplicates):
                self.writer.cancel()
                self.stories.commit()  # copies whose records changed but not the index
                return
            try:
                self._write()
            except BaseException:
                self._cancel_writer()  # a commit that failed holds files open
                raise
            stamp(self.target.path)
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

    def _write(self) -> None:
        write_batch(self.writer, self.stories, self.ledger, self.rereadable)

    def _checkpoint(self) -> None:
        """Commit what is written so far and go on with a new writer.

        Keeps a long run's memory bounded (what this run wrote is found in the
        index from now on, not in memory), and what a crash can lose to one batch
        (at most CHECKPOINT_MOST articles).
        """
        self._write()
        self.before.close()
        self.writer = self.target.writer()
        self._look_at(self.target.searcher())

    def _written(self) -> None:
        if self.ledger.unsaved >= self._checkpoint_at:
            self._checkpoint()


def write_batch(
    writer: Any, stories: StoryTable, ledger: Ledger, rereadable: Callable[[Copy], bool]
) -> None:
    """Commit the table, then the index, then the table again.

    The table goes first: it may name articles the index lacks, never the
    reverse. The first copy of each removed article takes its place in the
    index if that copy came from no file (copies from files are read again:
    archive.index.rehoming.rehome). What the index's commit makes true for the
    table (a copy that is an article now, an heir that stands for a removed
    article's copies) is journalled in the table's first commit and applied
    in its second, so a run stopped between the two is completed by the
    next session (StoryTable.complete_pending).
    """
    for copy_id in ledger.promoted:
        stories.plan_promotion(copy_id)
    for article_id, fields in ledger.removed.items():
        heir = _heir(stories, article_id, ledger, rereadable)
        if fields and heir is not None:
            doc = rewritten(
                fields, id=heir.id, origin=heir.origin, path=heir.path, record=heir.record
            )
            writer.add_document(**doc)
            stories.plan_inheritance(article_id, heir.id)
    stories.commit()
    writer.commit()
    stories.complete_pending(lambda found: True)  # the index holds them now
    ledger.committed()


def _heir(
    stories: StoryTable, article_id: str, ledger: Ledger, rereadable: Callable[[Copy], bool]
) -> Copy | None:
    """The copy that takes a removed article's place as it was: the first
    that is neither removed, nor written, nor to be read again from its file."""
    taken = ledger.removed.keys() | ledger.written
    return next(
        (c for c in stories.copies_of(article_id) if c.id not in taken and not rereadable(c)),
        None,
    )
