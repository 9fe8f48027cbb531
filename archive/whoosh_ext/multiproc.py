"""Whoosh's multi-process writer, made safe to stop and to kill.

Analysing text and sorting postings is most of the cost of indexing and is
pure Python, so a run hands batches of documents to worker processes, each
of which writes a segment of its own (``multisegment``: no final merge of
their postings in the parent, which measured slower than the work it
saved). Whoosh's ``MpWriter`` leaves two hazards, fixed here:

- its ``cancel`` only flags the parent's copies of the workers, so workers
  wait forever for work and the run never exits; here they are stopped;
- workers inherit the index's write lock (a ``flock`` on a shared file
  description), so a worker outliving a killed parent would hold the lock
  for ever; here each worker exits as soon as its parent is gone.

Workers ignore Ctrl-C: stopping a run is the parent's decision. A worker
that fails (a full disk, any I/O error) reports why instead of printing a
traceback, and the parent then fails the commit: Whoosh's own commit went on
without that worker's segment, so its articles were lost while the run
reported success.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from typing import Any

from whoosh.multiproc import MpWriter, SubWriterTask

from archive.errors import ArchiveError
from archive.whoosh_ext import Internal, uses

uses(
    *(
        Internal("whoosh.multiproc:MpWriter", name, "method")
        for name in ("_enqueue", "_merge_segments", "_finalize_segment", "_close_segment")
    ),
    Internal("whoosh.multiproc:MpWriter", "_commit", "method", ("mergetype", "optimize", "merge")),
    Internal("whoosh.writing:SegmentWriter", "_commit_toc", "method", ("segments",)),
    Internal("whoosh.writing:SegmentWriter", "_finish", "method"),
    *(
        Internal("whoosh.multiproc:MpWriter", name, "attribute")
        for name in ("docbuffer", "_added", "tasks", "jobqueue", "resultqueue", "subargs")
    ),
    Internal("whoosh.multiproc:SubWriterTask", "run", "method"),
)

PROCESSES = 2
BATCH = 250  # documents handed to a worker at a time
# Postings a worker sorts in memory before spilling a run to disk (Whoosh's
# estimate, which real Python objects exceed about twofold).
WORKER_MEMORY_MB = 64
# The parent sorts only the postings of segments it merges at a commit.
PARENT_MEMORY_MB = 32
# Segments smaller than this share of the index are merged into one at a commit.
SMALL_SHARE = 0.02
PARENT_CHECK_SECONDS = 0.5
FAILED = "failed"  # a worker's result that says why it failed


class WriteFailed(ArchiveError):
    """Writing the index failed; nothing of the batch in hand was committed."""


class _Worker(SubWriterTask):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parent = os.getpid()
        self.daemon = True

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=self._exit_with_parent, daemon=True).start()
        try:
            super().run()
        except BaseException as err:  # told to the parent, which fails the run
            self.resultqueue.put((FAILED, f"{type(err).__name__}: {err}", None))

    def _exit_with_parent(self) -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != self.parent:
                os._exit(1)


def merge_small(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh's merge policy, then every segment under SMALL_SHARE of the index
    merged into one.

    Each incremental run adds a segment, and each segment costs every fuzzy
    query a walk of its lexicon: after 20 small updates of 30,000 articles,
    Whoosh's policy left 15 segments, 11 of them of 50 articles. Merging the
    small tail costs an update little, as the tail stays small.
    """
    from whoosh.reading import SegmentReader
    from whoosh.writing import MERGE_SMALL

    kept: list[Any] = MERGE_SMALL(writer, segments)
    total = sum(segment.doc_count_all() for segment in segments)
    small = [segment for segment in kept if segment.doc_count_all() < SMALL_SHARE * total]
    if len(small) < 2:
        return kept
    for segment in small:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in kept if segment not in small]


class ParallelWriter(MpWriter):
    """An ``MpWriter`` whose workers stop when it is cancelled or its process dies."""

    def __init__(self, ix: Any, procs: int = PROCESSES, **kwargs: Any) -> None:
        super().__init__(
            ix,
            procs=procs,
            batchsize=BATCH,
            multisegment=True,
            subargs={**kwargs, "limitmb": WORKER_MEMORY_MB},
            **{**kwargs, "limitmb": PARENT_MEMORY_MB},
        )
        self.mergetype = merge_small

    def _new_task(self) -> Any:
        task = _Worker(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self) -> None:
        try:
            for task in self.tasks:
                task.terminate()
            for task in self.tasks:
                task.join(timeout=5)
        finally:
            super().cancel()

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        """Whoosh's multi-segment commit, failing if any worker failed."""
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        results = self._results()
        for task in self.tasks:
            task.join()
        finalsegments += [segment for _, _, segment in results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def _results(self) -> list[Any]:
        """What the workers wrote; WriteFailed (after cancelling) if one failed."""
        results: list[Any] = []
        while len(results) < len(self.tasks):
            try:
                result = self.resultqueue.get(timeout=PARENT_CHECK_SECONDS)
            except queue.Empty:
                if any(task.is_alive() for task in self.tasks):
                    continue
                try:  # the last may have put its result just before it ended
                    result = self.resultqueue.get(timeout=1)
                except queue.Empty:
                    result = (FAILED, "a worker process ended without writing its segment", None)
            if result[0] == FAILED:
                self.cancel()
                raise WriteFailed(
                    f"writing the index failed: {result[1]}",
                    hint="what was not committed is read again by the next run once the cause "
                    "is fixed",
                )
            results.append(result)
        return results
