"""The archive's own writer of its Whoosh index: documents into new segments
built whole (archive.index.builder), deletions marked in the segments that
hold them, and one commit that writes a new table of contents.

It has the face of Whoosh's writer that a session uses (``add_document``,
``update_document``, ``delete_by_term``, ``commit``, ``cancel``) and takes
Whoosh's own lock too, so no Whoosh writer can write meanwhile. A run of
many documents hands them, a batch at a time, to worker processes that
each build a segment (analysing and sorting are most of the cost, and pure
Python); a few documents are built here, with no process started. A worker
exits as soon as its parent is gone (archive.index.processes): what a
killed run wrote is not in the table of contents, and the next writer
removes it.

At a commit, segments under a share of the index are merged into one (each
small update adds a segment, and every search pays for every segment): their
stored documents are built again into a new segment.
"""

from __future__ import annotations

import queue
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError
from archive.index.builder import SegmentBuilder
from archive.index.derived import for_segment, missing_arrays
from archive.index.documents import stored_document
from archive.index.processes import CHECK_SECONDS, Child, detach
from archive.index.similarity import BAND_KEYS
from archive.whoosh_ext import segments as toc

PROCESSES = 2
BATCH = 500  # documents handed to a worker at a time
START_WORKERS = 2 * BATCH  # fewer documents than this are built here
SMALL_SHARE = 0.02  # segments under this share of the index are merged at a commit
MOST_SEGMENTS = 12  # past this many, the smallest are merged too


class WriteFailed(ArchiveError):
    """Writing the index failed; nothing of the batch in hand was committed."""


class Writer:
    """One writer of the index at ``folder``: what it adds becomes new
    segments, what it deletes is marked, and ``commit`` makes both current."""

    def __init__(
        self, ix: Any, folder: Path, parallel: bool = True, cluster: Any = None, told: Any = None
    ) -> None:
        self.ix, self.folder, self.parallel = ix, folder, parallel
        self.cluster = cluster  # a Dask client: its workers build (archive.index.cluster)
        self.told = told  # told(written, sent) as the cluster's partitions are written
        self._lock = toc.whoosh_lock(ix.storage)
        self.segments = toc.current_segments(ix.storage)  # fresh copies: deletions go here
        self._readers: dict[str, Any] = {}
        self._buffer: list[dict[str, Any]] = []
        self._local: SegmentBuilder | None = None
        self._workers: list[Any] = []  # _Worker, or the cluster's Partitions
        self._turn = 0

    # -- what a session does ---------------------------------------------------------

    def add_document(self, **doc: Any) -> None:
        self._buffer.append(doc)
        if self.parallel and len(self._buffer) >= (BATCH if self._workers else START_WORKERS):
            self._dispatch()

    def update_document(self, **doc: Any) -> None:
        self.delete_by_term("id", doc["id"])
        self.add_document(**doc)

    def delete_by_term(self, fieldname: str, text: str) -> int:
        """Mark deleted every committed document with this term; how many."""
        found = 0
        for segment in self.segments:
            reader = self._reader(segment)
            for docnum in toc.documents_with(reader, fieldname, text):
                if not segment.is_deleted(docnum):
                    segment.delete_document(docnum)
                    found += 1
        return found

    def commit(self) -> None:
        try:
            new = self._finish()
            toc.commit(self.ix.storage, self.ix.schema, self._merged(self.segments + new))
        except BaseException:
            self.cancel()
            raise
        self._close()

    def cancel(self) -> None:
        for worker in self._workers:
            worker.stop()
        if self._local is not None:
            self._local.cancel()
        self._close()

    # -- building ---------------------------------------------------------------------

    def _dispatch(self) -> None:
        if not self._workers:
            if self.cluster is not None:
                from archive.index.cluster import Partitions

                self._workers = [Partitions(self.cluster, self.folder, self.told)]
            else:
                self._workers = [_Worker(self.folder) for _ in range(PROCESSES)]
        batch, self._buffer = self._buffer[:BATCH], self._buffer[BATCH:]
        self._workers[self._turn % len(self._workers)].send(batch)
        self._turn += 1

    def _finish(self) -> list[Any]:
        """Every document added, in new segments."""
        while self._workers and self._buffer:
            self._dispatch()
        made = [segment for worker in self._workers for segment in worker.finish()]
        if self._buffer:
            self._local = SegmentBuilder(self.ix, self.folder)
            for doc in self._buffer:
                self._local.add(doc)
            made.append(self._local.finish())
            self._local, self._buffer = None, []
        return made

    def _merged(self, segments: list[Any]) -> list[Any]:
        """The segments after merging the small ones into one."""
        small = _to_merge(segments)
        if len(small) < 2:
            return segments
        builder = SegmentBuilder(self.ix, self.folder)
        for segment in small:
            reader = self._reader(segment)
            keys = _band_keys(reader)  # kept, not made again from each text
            for docnum, fields in reader.iter_docs():
                builder.add({**stored_document(fields), BAND_KEYS: keys.get(docnum, [])})
        kept = [segment for segment in segments if segment not in small]
        return [*kept, builder.finish()] if builder.count else kept

    def _reader(self, segment: Any) -> Any:
        found = self._readers.get(segment.segment_id())
        if found is None:
            found = self._readers[segment.segment_id()] = toc.segment_reader(self.ix, segment)
        return found

    def _close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
        self._workers = []
        self._lock.release()


def _band_keys(reader: Any) -> dict[int, list[int]]:
    """The near-duplicate band keys of each article of a segment, from its arrays."""
    arrays = for_segment(reader)
    if arrays is None:
        raise missing_arrays(reader)
    found: dict[int, list[int]] = {}
    for key, docnum in zip(
        arrays["bands.keys"].tolist(), arrays["bands.docs"].tolist(), strict=True
    ):
        found.setdefault(docnum, []).append(key)
    return found


def _to_merge(segments: list[Any]) -> list[Any]:
    """The segments to merge: those under SMALL_SHARE of the live documents,
    and the smallest beyond MOST_SEGMENTS."""
    live = sum(s.doc_count() for s in segments)
    by_size = sorted(segments, key=lambda s: s.doc_count())
    small = [s for s in by_size if s.doc_count() < SMALL_SHARE * live or s.doc_count() == 0]
    extra = len(segments) - MOST_SEGMENTS
    for segment in by_size:
        if extra <= len(small) - 1 or segment in small:
            continue
        small.append(segment)
    return small if len(small) > 1 else []


# -- worker processes ----------------------------------------------------------------------


class _Worker(Child):
    """A process that builds one segment from the batches it is sent."""

    def __init__(self, folder: Path) -> None:
        super().__init__(_work, str(folder), jobs=4)

    def send(self, batch: list[dict[str, Any]]) -> None:
        while True:
            try:
                self.jobs.put(batch, timeout=CHECK_SECONDS)
                return
            except queue.Full:
                self._check()

    def finish(self) -> list[Any]:
        """Its segment (none if it was sent nothing), once written."""
        self.send(None)  # type: ignore[arg-type]
        while True:
            try:
                kind, found = self.results.get(timeout=CHECK_SECONDS)
            except queue.Empty:
                self._check()
                continue
            self.process.join()
            if kind == "failed":
                raise WriteFailed(
                    f"writing the index failed: {found}",
                    hint="what was not committed is read again by the next run once the cause "
                    "is fixed",
                )
            return [found] if found is not None else []

    def _check(self) -> None:
        if not self.alive():
            raise WriteFailed(
                "writing the index failed: a worker process ended without its segment"
            )


def _work(jobs: Any, results: Any, parent: int, folder: str) -> None:
    """A worker's life: batches in, one segment out (or why not)."""
    detach(parent)
    try:
        from whoosh import index as whoosh_index

        ix = whoosh_index.open_dir(folder)
        builder: SegmentBuilder | None = None
        for batch in iter(jobs.get, None):
            builder = builder or SegmentBuilder(ix, Path(folder))
            for doc in batch:
                builder.add(doc)
        results.put(("segment", builder.finish() if builder is not None else None))
    except BaseException as err:  # told to the parent, which fails the run
        results.put(("failed", f"{type(err).__name__}: {err}"))
