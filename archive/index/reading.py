"""Files read ahead by worker processes.

Reading a file (parsing, cleaning, telling its language) and what is made
of each article alone (its content and text hashes, its near-duplicate
fingerprint) depend on nothing else, and were most of a large run's time in
the one process that decides what each article does to the index. Where
there are cores to spare, a run with enough to read hands whole files to
READERS processes, a few files ahead. Each reader sends back a file's
articles, ``Prepared``, in chunks through a bounded queue of its own, and
the run takes them file by file in the order it handed them out: what it
decides is what it would decide reading them itself. A few small files are
read in the run's own process, with no process started. A reader ignores
Ctrl-C (stopping is the run's decision) and exits as soon as its parent is
gone. With a Dask cluster (archive.index.cluster), its workers read: a task
a file (``read_whole``), whatever the cores here.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archive import sources
from archive.errors import ArchiveError
from archive.index.documents import Prepared, prepare
from archive.index.processes import CHECK_SECONDS, Child, detach
from archive.model import Problem
from archive.sources import FieldMap

# On two cores a build is bound by its CPU time, which readers add to (their
# articles are pickled and sent): measured in turn on 30,000 items, they cost
# 1.10x the CPU for 1.06x the wall time. With more cores the deciding
# process is the floor they lift: its CPU time fell from 6.6 s to 2.8 s.
READERS = 2 if (os.cpu_count() or 1) > 2 else 0
START_BYTES = 1 << 20  # files to read, in all, before readers are started
CHUNK = 100  # articles sent back at a time
QUEUED_CHUNKS = 40  # a reader's chunks waiting for the run, at most


class NotRead(Exception):
    """Reading a file stopped at an error, in a reader (told as it was raised there)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ReaderFailed(ArchiveError):
    """A reader process ended before the file it was reading was read."""


class Readers:
    """The readers of one run, started once there is enough to read: its own
    processes, or the workers of a Dask cluster (``client``) where files are
    on storage they share."""

    def __init__(self, client: Any = None) -> None:
        self.processes, self.start_bytes = READERS, START_BYTES
        self.client = client
        self._workers: list[_Reader] = []
        # ticket -> a cluster's reading of a file, the file, how to read it
        self._futures: dict[int, tuple[Any, Path, FieldMap]] = {}
        self._handed = 0  # files handed out so far
        self._bytes = 0  # to read, in all

    def start(self, path: Path, size: int, fields: FieldMap) -> int | None:
        """Hand a file to a reader if the run has enough to read (the ticket to
        take its articles with, in the order handed out), else None: the run
        reads it itself."""
        self._bytes += size
        if self._bytes < self.start_bytes:
            return None
        ticket = self._handed
        if self.client is not None:
            future = self.client.submit(read_whole, str(path), fields, pure=False)
            self._futures[ticket] = (future, path, fields)
        else:
            if not self._workers:
                if self.processes < 1:
                    return None
                self._workers = [_Reader() for _ in range(self.processes)]
            self._workers[ticket % len(self._workers)].send(str(path), fields)
        self._handed += 1
        return ticket

    def items(self, ticket: int) -> Iterator[Prepared | Problem]:
        """The file's articles and problems as its reader found them; take every
        ticket, in order, to its end (or close the readers)."""
        handed = self._futures.pop(ticket, None)
        if handed is None:
            return self._workers[ticket % len(self._workers)].receive()
        return _taken(self.client, *handed)

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []
        if self._futures:
            self.client.cancel([future for future, _, _ in self._futures.values()])
            self._futures = {}


def read_whole(path: str, fields: FieldMap) -> tuple[list[Prepared | Problem] | None, Any]:
    """On a cluster's worker: a file's articles, prepared, and its problems;
    then the error that ended its reading, if one did (its kind and message).
    None for a file the worker does not see (the run reads it itself)."""
    if not os.path.exists(path):
        return None, None
    found: list[Prepared | Problem] = []
    try:
        for item in sources.read_file(Path(path), fields):
            found.append(item if isinstance(item, Problem) else prepare(item))
    except Exception as err:  # as reading it in the run would tell it
        return found, (type(err).__name__, str(err))
    return found, None


def _taken(client: Any, future: Any, path: Path, fields: FieldMap) -> Iterator[Prepared | Problem]:
    from archive.index.cluster import ClusterError, result

    try:
        found, error = result(client, future)
    except ClusterError:
        raise
    except Exception as err:
        raise ReaderFailed(
            f"reading failed on the cluster: {type(err).__name__}: {err}",
            hint="what was not committed is read again by the next run",
        ) from None
    if found is None:  # not on storage the worker reaches: read here
        for item in sources.read_file(path, fields):
            yield item if isinstance(item, Problem) else prepare(item)
        return
    yield from found
    if error is not None:
        raise NotRead(*error)


class _Reader(Child):
    def __init__(self) -> None:
        super().__init__(_read_files, results=QUEUED_CHUNKS)

    def send(self, path: str, fields: FieldMap) -> None:
        self.jobs.put((path, fields))

    def receive(self) -> Iterator[Prepared | Problem]:
        while True:
            try:
                kind, found = self.results.get(timeout=CHECK_SECONDS)
            except queue.Empty:
                if not self.alive():
                    raise ReaderFailed(
                        "reading failed: a reader process ended before its file was read"
                    ) from None
                continue
            if kind == "items":
                yield from found
            elif kind == "error":  # the file's last word
                raise NotRead(*found)
            else:
                return


def _read_files(jobs: Any, results: Any, parent: int) -> None:
    """A reader's life: a path in, its articles out in chunks, then an end
    (or the error that ended its reading)."""
    detach(parent)
    for path, fields in iter(jobs.get, None):
        chunk: list[Prepared | Problem] = []
        try:
            for item in sources.read_file(Path(path), fields):
                chunk.append(item if isinstance(item, Problem) else prepare(item))
                if len(chunk) >= CHUNK:
                    results.put(("items", chunk))
                    chunk = []
        except BaseException as err:  # as reading it in the run would tell it
            results.put(("items", chunk))
            results.put(("error", (type(err).__name__, str(err))))
            continue
        results.put(("items", chunk))
        results.put(("end", None))
