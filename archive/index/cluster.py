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

import os
import re
import threading
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError

PARTITION = 20_000  # documents a worker writes as one segment
IN_FLIGHT = 4  # partitions sent and not yet written, at most, per worker
CONNECT_SECONDS = 10
CHECK_SECONDS = 0.5
DISTRIBUTION = "news-archive"


class ClusterError(ArchiveError):
    """The cluster cannot be used (Dask missing, no scheduler at the address),
    or writing on it failed; nothing of the batch in hand was committed."""


_ADDRESS = re.compile(r"(?:tcp|tls)://[^\s/]+|[^\s/:]+:\d+")


def connect(address: str) -> Any:
    """A Dask client of the scheduler at ``address``, whose workers run this
    archive (checked before anything is sent to them)."""
    address = address.strip()
    if not _ADDRESS.fullmatch(address):
        raise ClusterError(
            f"{address!r} is not the address of a Dask scheduler",
            hint="give it as 'dask scheduler' prints it: tcp://HOST:8786 (tls:// with TLS)",
        )
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(
            "building on a cluster needs Dask, which is not installed",
            hint="pip install 'news-archive[cluster]'",
        ) from None
    unreached = f"cannot reach the Dask scheduler at {address}"
    hint = "start one with 'dask scheduler', and workers with 'dask worker ADDRESS'"
    client = _within(
        2 * CONNECT_SECONDS,
        lambda: Client(address, timeout=CONNECT_SECONDS, set_as_default=False),
        unreached,
        hint,
    )
    try:
        _has_workers(client, address)
    except BaseException:
        client.close()
        raise
    return client


def _within(seconds: float, make: Any, failed: str, hint: str) -> Any:
    """What ``make()`` makes, or ClusterError if it fails or takes longer than
    ``seconds`` (Dask's own timeout does not cover a port that answers
    something else and then never a word more)."""
    made: list[Any] = []

    def attempt() -> None:
        try:
            made.append(make())
        except BaseException as err:
            made.append(err)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(seconds)
    if not made:
        raise ClusterError(f"{failed} (no answer in {seconds:g} s)", hint=hint)
    if isinstance(made[0], BaseException):
        err = made[0]
        raise ClusterError(f"{failed} ({type(err).__name__}: {err})", hint=hint)
    return made[0]


def _has_workers(client: Any, address: str) -> None:
    """A worker at least, each with this archive installed (a worker without
    it dies on the first task, and the run would wait for ever)."""
    from importlib.metadata import version

    try:  # a scheduler without workers would take the work and never do it
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError):
        raise ClusterError(
            f"the Dask scheduler at {address} has no workers "
            f"(none joined within {CONNECT_SECONDS} s)",
            hint=f"start one with 'dask worker {address}'",
        ) from None
    mine = version(DISTRIBUTION)
    try:
        theirs = client.run(version, DISTRIBUTION)
    except Exception as err:
        raise ClusterError(
            f"the workers of {address} do not have the archive installed "
            f"({type(err).__name__}: {err})",
            hint="install the same news-archive, with its cluster extra, on every worker",
        ) from None
    other = sorted({v for v in theirs.values() if v != mine})
    if other:
        raise ClusterError(
            f"the workers of {address} run news-archive {', '.join(other)}, this is {mine}",
            hint="install the same news-archive on every worker",
        )


def check_shared(client: Any, folder: Path) -> None:
    """That every worker sees the index folder, at the same path: a segment
    written where this run cannot read it would be committed and then lost."""
    probe = folder / f".cluster-probe-{uuid.uuid4().hex}"
    probe.touch()
    try:
        seen = client.run(os.path.exists, str(probe))
    finally:
        probe.unlink(missing_ok=True)
    blind = sorted(worker for worker, found in seen.items() if not found)
    if blind:
        raise ClusterError(
            f"{len(blind)} of the cluster's {len(seen)} workers cannot see the index "
            f"folder {folder} ({blind[0]})",
            hint="the index must be on storage every worker reaches at the same path "
            "(NFS, a cluster file system): give it with --index-dir",
        )


def result(client: Any, future: Any) -> Any:
    """A task's result, once done; ClusterError if the cluster is left
    without workers meanwhile (the task would wait for ever)."""
    alone_since: float | None = None
    while True:
        try:
            return future.result(timeout=CHECK_SECONDS)
        except TimeoutError:
            pass
        if client.scheduler_info().get("workers"):
            alone_since = None
        elif alone_since is None:
            alone_since = time.monotonic()
        elif time.monotonic() - alone_since > CONNECT_SECONDS:
            raise ClusterError(
                "the cluster has had no workers for "
                f"{CONNECT_SECONDS} s: what was not committed is read again by the next run",
                hint="start workers again with 'dask worker ADDRESS'",
            )


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

    def __init__(self, client: Any, folder: Path, told: Any = None) -> None:
        self.client, self.folder, self.partition = client, str(folder), PARTITION
        self.told = told  # told(written, sent) as partitions are written
        self._docs: list[dict[str, Any]] = []
        self._futures: list[Any] = []
        self._written = 0  # of the partitions sent, as last told

    def send(self, batch: list[dict[str, Any]]) -> None:
        self._docs += batch
        if len(self._docs) >= self.partition:
            self._submit()

    def finish(self) -> list[Any]:
        """The segments every partition wrote, once all are written."""
        if self._docs:
            self._submit()
        try:
            made = []
            for future in self._futures:
                made.append(result(self.client, future))
                self._tell()
        except ClusterError:
            raise
        except Exception as err:
            raise ClusterError(
                f"writing the index on the cluster failed: {type(err).__name__}: {err}",
                hint="what was not committed is read again by the next run",
            ) from None
        finally:
            self._futures = []
        return [segment for segment in made if segment is not None and self._here(segment)]

    def _here(self, segment: Any) -> bool:
        """That a segment's files are in the index folder as this run sees it."""
        from archive.index.derived import path_for

        name, folder = segment.segment_id(), Path(self.folder)
        if (folder / f"{name}.seg").exists() and path_for(folder, name).exists():
            return True
        raise ClusterError(
            f"a worker wrote segment {name} where the index folder {self.folder} here "
            "does not hold it: nothing was committed",
            hint="the index must be on storage every worker reaches at the same path",
        )

    def _tell(self) -> None:
        written = sum(future.done() for future in self._futures)
        if self.told is not None and written != self._written:
            self._written = written
            self.told(written, len(self._futures))

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
        self._tell()
