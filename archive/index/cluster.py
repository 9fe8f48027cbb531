"""Segments written by the workers of a Dask cluster.

With a cluster (``archive index --cluster tcp://HOST:8786``), the documents
a run writes are cut into partitions of PARTITION documents, and each is a
task for a Dask worker: ``write_partition`` analyses its documents and
writes them as one segment, with its arrays, into the index folder, which
every worker must reach at the same path (storage they share). The task is
a plain function of its documents and the folder, and returns the segment
it wrote; the run holds the write lock and commits what every partition
wrote at once, as it does with its own processes. A worker that dies has
its partition run again by Dask elsewhere (the partition's documents are
in the task, not on the worker): the files it left half-written are in no
table of contents and go at the commit. Nothing is committed twice, since
the run commits one segment a partition.

Deciding what each article does to the index (is it new, changed, a copy of
another, part of which story) needs the whole archive's view and stays with
the run; reading the files (archive.index.reading.read_whole) and the
analysing and writing, most of a build's work, go to the cluster. Dask is
an extra (``pip install 'news-archive[cluster]'``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError

PARTITION = 20_000  # documents a worker writes as one segment
IN_FLIGHT = 4  # partitions sent and not yet written, at most, per worker
CONNECT_SECONDS = 10


class ClusterError(ArchiveError):
    """The cluster cannot be used (Dask missing, no scheduler at the address),
    or writing on it failed; nothing of the batch in hand was committed."""


def connect(address: str) -> Any:
    """A Dask client of the scheduler at ``address``."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(
            "building on a cluster needs Dask, which is not installed",
            hint="pip install 'news-archive[cluster]'",
        ) from None
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} ({type(err).__name__}: {err})",
            hint="start one with 'dask scheduler', and workers with 'dask worker ADDRESS'",
        ) from None
    try:  # a scheduler without workers would take the work and never do it
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError):
        client.close()
        raise ClusterError(
            f"the Dask scheduler at {address} has no workers "
            f"(none joined within {CONNECT_SECONDS} s)",
            hint=f"start one with 'dask worker {address}'",
        ) from None
    return client


def write_partition(docs: list[dict[str, Any]], folder: str) -> Any:
    """On a worker: the documents written as one segment of the index at
    ``folder``; the segment (Whoosh's segment object)."""
    from whoosh import index as whoosh_index

    from archive.index.builder import SegmentBuilder

    builder = SegmentBuilder(whoosh_index.open_dir(folder), Path(folder))
    try:
        for doc in docs:
            builder.add(doc)
        return builder.finish()
    except BaseException:
        builder.cancel()
        raise


class Partitions:
    """A run's documents sent to the cluster, a partition at a time (one of
    the Writer's builders: ``send``, ``finish``, ``stop``)."""

    def __init__(self, client: Any, folder: Path) -> None:
        self.client, self.folder, self.partition = client, str(folder), PARTITION
        self._docs: list[dict[str, Any]] = []
        self._futures: list[Any] = []

    def send(self, batch: list[dict[str, Any]]) -> None:
        self._docs += batch
        if len(self._docs) >= self.partition:
            self._submit()

    def finish(self) -> list[Any]:
        """The segments every partition wrote, once all are written."""
        if self._docs:
            self._submit()
        try:
            return [s for s in self.client.gather(self._futures) if s is not None]
        except Exception as err:
            raise ClusterError(
                f"writing the index on the cluster failed: {type(err).__name__}: {err}",
                hint="what was not committed is read again by the next run",
            ) from None
        finally:
            self._futures = []

    def stop(self) -> None:
        if self._futures:
            self.client.cancel(self._futures)
        self._futures, self._docs = [], []

    def _submit(self) -> None:
        from distributed import wait

        docs, self._docs = self._docs, []
        workers = max(len(self.client.scheduler_info().get("workers", {})), 1)
        pending = [f for f in self._futures if not f.done()]
        if len(pending) >= IN_FLIGHT * workers:  # the scheduler holds what is in flight
            wait(pending, return_when="FIRST_COMPLETED")
        with warnings.catch_warnings():  # a partition's documents make a large task, by design
            warnings.simplefilter("ignore", UserWarning)
            self._futures.append(self.client.submit(write_partition, docs, self.folder, pure=False))
