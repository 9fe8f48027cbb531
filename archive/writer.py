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

Workers ignore Ctrl-C: stopping a run is the parent's decision.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

from whoosh.multiproc import MpWriter, SubWriterTask

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


class _Worker(SubWriterTask):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parent = os.getpid()
        self.daemon = True

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=self._exit_with_parent, daemon=True).start()
        super().run()

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
