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
gone.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive import sources
from archive.errors import ArchiveError
from archive.index.documents import content_hash, exact_text_hash
from archive.index.processes import CHECK_SECONDS, Child, detach
from archive.index.similarity import Fingerprint, fingerprint
from archive.model import Article, Problem
from archive.sources import FieldMap

# On two cores a build is bound by its CPU time, which readers add to (their
# articles are pickled and sent): measured in turn on 30,000 items, they cost
# 1.10x the CPU for 1.06x the wall time. With more cores the deciding
# process is the floor they lift: its CPU time fell from 6.6 s to 2.8 s.
READERS = 2 if (os.cpu_count() or 1) > 2 else 0
START_BYTES = 1 << 20  # files to read, in all, before readers are started
CHUNK = 100  # articles sent back at a time
QUEUED_CHUNKS = 40  # a reader's chunks waiting for the run, at most


@dataclass(frozen=True)
class Prepared:
    """An article with what is made of it alone (archive.index.sync reads these)."""

    article: Article
    digest: str  # archive.index.documents.content_hash
    text_hash: str  # archive.index.documents.exact_text_hash
    fingerprint: Fingerprint | None  # of its text; None if too short to compare


def prepare(article: Article) -> Prepared:
    mine = fingerprint(article.body)
    if mine is not None:
        mine.band_keys  # noqa: B018 (kept with it)
    return Prepared(article, content_hash(article), exact_text_hash(article), mine)


class NotRead(Exception):
    """Reading a file stopped at an error, in a reader (told as it was raised there)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ReaderFailed(ArchiveError):
    """A reader process ended before the file it was reading was read."""


class Readers:
    """The reader processes of one run, started once there is enough to read."""

    def __init__(self) -> None:
        self.processes, self.start_bytes = READERS, START_BYTES
        self._workers: list[_Reader] = []
        self._handed = 0  # files handed out so far
        self._bytes = 0  # to read, in all

    def start(self, path: Path, size: int, fields: FieldMap) -> int | None:
        """Hand a file to a reader if the run has enough to read (the ticket to
        take its articles with, in the order handed out), else None: the run
        reads it itself."""
        self._bytes += size
        if not self._workers:
            if self._bytes < self.start_bytes or self.processes < 1:
                return None
            self._workers = [_Reader() for _ in range(self.processes)]
        ticket = self._handed
        self._workers[ticket % len(self._workers)].send(str(path), fields)
        self._handed += 1
        return ticket

    def items(self, ticket: int) -> Iterator[Prepared | Problem]:
        """The file's articles and problems as its reader found them; take every
        ticket, in order, to its end (or close the readers)."""
        return self._workers[ticket % len(self._workers)].receive()

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []


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
