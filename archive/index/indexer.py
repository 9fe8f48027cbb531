"""One indexing run: inputs in, one commit out, a report of what happened.

Unchanged files are skipped without being read (same size and modification
time, or else the same content hash). A changed file is read again and its
articles updated in place; articles it no longer holds are removed, unless
something in it could not be read now that was not reported before (nothing
already indexed is lost to a file that went bad). ``prune`` removes the
articles of files that are gone. What could not be read is reported once:
the record of files keeps it, and a file read again (changed, or by a
rebuild) reports only what is new.

Files are looked at (their size, time and hash) a few ahead of their turn,
and a run with enough to read hands them to reader processes then
(archive.index.reading); what each file does to the index is still done
in turn, in the order the files were given.

A run asked to stop (``Stop.requested``, set by Ctrl-C) stops after the
article in hand and commits what it has read; files it did not finish are
not recorded as read, so the next run reads them again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from stat import S_ISBLK, S_ISCHR, S_ISFIFO, S_ISREG
from typing import IO, Protocol

from archive import sources
from archive.index.documents import Prepared
from archive.index.manifest import MANIFEST_FILE, SEEDS, FileEntry, Manifest
from archive.index.reading import NotRead, ReaderFailed, Readers
from archive.index.rehoming import rehome, rereadable, stale
from archive.index.store import Store
from archive.index.sync import Session
from archive.model import Article, Problem, SyncReport
from archive.sources import Exclusions, FieldMap, FolderScan

STDIN = Path("-")
AHEAD = 4  # files handed to readers before their turn, at most
MOST_WAITING = 256  # inputs looked at before their turn, at most
Step = Callable[[], None]


class Progress(Protocol):
    """What a run tells as it goes: each file, each article, each problem,
    and whose run it waits for."""

    def file(self, path: str) -> None: ...
    def article(self, report: SyncReport) -> None: ...
    def problem(self, problem: Problem) -> None: ...
    def waiting(self, holder: str) -> None: ...


class Quiet:
    def file(self, path: str) -> None:
        pass

    def article(self, report: SyncReport) -> None:
        pass

    def problem(self, problem: Problem) -> None:
        pass

    def waiting(self, holder: str) -> None:
        pass


class Stop:
    """Set ``requested`` (from a signal handler, say) to end a run early.

    ``active`` says whether a run is under way that can stop cleanly (it has
    the index and has not finished committing); before that there is nothing
    to save, and the caller may as well stop at once.
    """

    def __init__(self) -> None:
        self.requested = False
        self.active = False
        self.committing = False  # all is read; the commit is being written


@dataclass
class _Run:
    session: Session
    manifest: Manifest
    progress: Progress
    fields: FieldMap
    stop: Stop
    entries: list[FileEntry] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    # Problems reported when files were read into another index (a rebuild's).
    reported: Mapping[str, Collection[Problem]] = field(default_factory=dict)

    @property
    def stopped(self) -> bool:
        return self.stop.requested


def index_paths(
    store: Store,
    paths: Iterable[Path],
    *,
    fields: FieldMap | None = None,
    prune: bool = False,
    progress: Progress | None = None,
    wait: bool = True,
    stop: Stop | None = None,
    stdin: IO[bytes] | None = None,
    reported: Mapping[str, Collection[Problem]] | None = None,
    exclude: Iterable[str] = (),
) -> SyncReport:
    """Index files, folders and ``-`` (the ``stdin`` stream) into ``store``.

    With ``-``, the write lock is taken only once the stream has something
    to read (or has ended): a run waiting for its input never blocks others.
    ``exclude``: glob patterns for the files and folders inside the folders
    given to pass over (archive.sources.exclude); ``prune`` removes the
    articles of those indexed before. ``reported``: by file, what was reported
    when it was last read, if the index's own record of files does not say (a
    rebuild's new index).
    """
    paths = list(paths)
    scan = FolderScan(exclude)
    if STDIN in paths and stdin is not None and hasattr(stdin, "peek"):
        stdin.peek(1)  # blocks until the first bytes arrive, or the end

    def work(run: _Run) -> None:
        run.reported = reported or {}
        readers = Readers(store.cluster)
        try:
            for step in _in_turn(run, sources.find_inputs(paths, scan), readers, stdin):
                if run.stopped:
                    return
                step()
        finally:
            readers.close()
        if prune:
            _prune(run, [p for p in paths if p != STDIN], scan.exclusions)

    report = _in_session(store, work, fields, progress, wait, stop)
    report.ignored_files, report.excluded = scan.ignored, scan.excluded
    return report


def index_seeds(
    store: Store, *, progress: Progress | None = None, wait: bool = True, stop: Stop | None = None
) -> SyncReport:
    """Index the bundled seed articles (and record that the index holds them)."""

    def work(run: _Run) -> None:
        reading = _read(run, sources.read_seeds(), "the seed articles")
        if reading.whole:
            run.entries.append(FileEntry(SEEDS, 0, 0, "", tuple(reading.ids)))

    return _in_session(store, work, None, progress, wait, stop)


def _in_session(
    store: Store,
    work: Callable[[_Run], None],
    fields: FieldMap | None,
    progress: Progress | None,
    wait: bool,
    stop: Stop | None,
) -> SyncReport:
    stop = stop or Stop()
    told = progress or Quiet()

    def warn(message: str) -> None:
        told.problem(Problem("the index", message, skipped=False))

    # The lock is held until the record of files is saved too: a rebuild
    # that starts meanwhile must find both written.
    with store.writing(wait=wait, on_wait=told.waiting, warn=warn):
        manifest = Manifest(store.path)  # opened once no one else writes
        try:
            with store.locked_session() as session:
                stop.active = True
                # Before any commit (a long run's checkpoints), as heirs are chosen by it.
                session.rereadable = lambda copy: rereadable(manifest, copy)
                run = _Run(session, manifest, told, fields or FieldMap(), stop)
                if manifest.damaged:
                    reason = (
                        f"the record of indexed files was damaged (kept as {manifest.damaged}); "
                        "every file is read again"
                    )
                    _problem(run, Problem(MANIFEST_FILE, reason, skipped=False))
                work(run)
                unread = rehome(session, manifest, lambda: stop.requested)
                run.entries += [stale(entry) for entry in unread]  # these last: they win
                session.report.interrupted = stop.requested  # before the commit: what was read
                stop.committing = True
            manifest.save(run.entries, run.gone)
        finally:
            stop.active = stop.committing = False
            manifest.close()
    return session.report


def _in_turn(
    run: _Run, items: Iterable[Path | Problem], readers: Readers, stdin: IO[bytes] | None
) -> Iterator[Step]:
    """What to do for each input, in turn: the files to read are handed to
    the readers (archive.index.reading) up to AHEAD files before their turn."""
    waiting: deque[tuple[Step, int | None]] = deque()
    handed = 0
    for item in items:
        planned = _plan(run, item, readers, stdin)
        waiting.append(planned)
        handed += planned[1] is not None
        while handed > AHEAD or len(waiting) > MOST_WAITING:
            step, ticket = waiting.popleft()
            handed -= ticket is not None
            yield step
    while waiting:
        yield waiting.popleft()[0]


def _plan(
    run: _Run, item: Path | Problem, readers: Readers, stdin: IO[bytes] | None
) -> tuple[Step, int | None]:
    """What to do for one input, and the ticket of its reading if a reader
    has it. Only looks (at the file, and the record of files): what is done
    is done in turn, by the step."""
    if isinstance(item, Problem):
        return partial(_problem, run, item), None
    if item == STDIN:
        if stdin is None:
            return partial(_problem, run, Problem("-", "no standard input was given to read")), None
        stream = sources.read_stream(stdin, name="-", origin="stdin", fields=run.fields)
        return partial(_read_all, run, stream, "-"), None
    return _plan_file(run, item, readers)


def _plan_file(run: _Run, path: Path, readers: Readers) -> tuple[Step, int | None]:
    key = str(path.resolve())
    if not utf8(key):
        shown = os.fsencode(key).decode("utf-8", "backslashreplace")
        problem = Problem(shown, "the file name is not valid UTF-8: rename the file")
        return partial(_problem, run, problem), None
    told = partial(run.progress.file, str(path))
    try:
        stat = path.stat()
        if not S_ISREG(stat.st_mode):
            problem = Problem(key, f"not a regular file ({_kind(stat.st_mode)})")
            return _then(told, partial(_problem, run, problem)), None
        entry = run.manifest.get(key)
        asked = run.fields.overrides and entry and entry.fields != _fields_json(run)
        if entry and not asked and (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            return _then(told, partial(_unchanged, run, entry)), None
        digest = _file_digest(path)
    except OSError as err:
        problem = Problem(str(path), err.strerror or str(err))
        return _then(told, partial(_problem, run, problem)), None
    if entry and not asked and entry.digest == digest:
        touched = replace(entry, size=stat.st_size, mtime_ns=stat.st_mtime_ns)
        return _then(
            told, partial(_unchanged, run, entry), partial(run.entries.append, touched)
        ), None
    ticket = readers.start(path, stat.st_size, run.fields)
    record = FileEntry(key, stat.st_size, stat.st_mtime_ns, digest, (), _fields_json(run))

    def read() -> None:
        told()
        known = frozenset(entry.problems if entry else run.reported.get(key, ()))
        items = sources.read_file(path, run.fields) if ticket is None else readers.items(ticket)
        reading = _read(run, items, key, known)
        if reading.whole:  # else unfinished: read it again next time
            ids, problems = _settle(run, entry, reading), tuple(reading.problems)
            run.entries.append(replace(record, ids=ids, problems=problems))

    return read, ticket


def _then(*steps: Step) -> Step:
    def step() -> None:
        for each in steps:
            each()

    return step


def _read_all(run: _Run, items: Iterable[Article | Problem], where: str) -> None:
    _read(run, items, where)


def _unchanged(run: _Run, entry: FileEntry) -> None:
    report = run.session.report
    report.files_unchanged += 1
    report.unchanged += len(entry.ids)
    report.earlier += entry.problems


def _settle(run: _Run, entry: FileEntry | None, reading: _Reading) -> tuple[str, ...]:
    """Remove the articles a file read again no longer holds; the IDs to record.

    Nothing is removed while something in it cannot be read that could be
    before, or while the file cannot be read at all: it keeps what it held.
    """
    if entry is None:
        return tuple(reading.ids)
    unreadable = not reading.ids and any(p.skipped for p in reading.problems)
    if reading.failed or unreadable:
        return tuple(dict.fromkeys([*reading.ids, *entry.ids]))
    for gone in set(entry.ids) - set(reading.ids):
        run.session.remove(gone)
    return tuple(reading.ids)


def utf8(text: str) -> bool:
    """Whether a file name decoded by the system is valid UTF-8 (no stray bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind(mode: int) -> str:
    for test, name in ((S_ISFIFO, "a pipe"), (S_ISCHR, "a device"), (S_ISBLK, "a device")):
        if test(mode):
            return name
    return "a special file"


def _fields_json(run: _Run) -> str:
    overrides = run.fields.overrides
    return json.dumps(overrides, sort_keys=True) if overrides else ""


@dataclass
class _Reading:
    """What reading one input gave."""

    ids: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # all met, new or known
    failed: bool = False  # something was skipped that was not reported before
    whole: bool = False  # read to its end


def _read(
    run: _Run,
    items: Iterable[Article | Prepared | Problem],
    where: str,
    known: Collection[Problem] = (),
) -> _Reading:
    """Put the articles into the session, and report the problems that are
    not ``known`` (reported when the input was read before).

    If reading fails unexpectedly, that is reported and the rest of the input
    is not read (the run goes on with the next). Errors of the index itself
    are not caught here: only the reader runs inside the ``try``.
    """
    reading = _Reading()
    items = iter(items)
    while not run.stopped:
        try:
            item = next(items)
        except StopIteration:
            reading.whole = True
            return reading
        except (KeyboardInterrupt, MemoryError, ReaderFailed):
            raise
        except Exception as err:
            kind = err.kind if isinstance(err, NotRead) else type(err).__name__
            _problem(run, Problem(where, f"cannot be read ({kind}: {err})"))
            reading.failed = True
            return reading
        if isinstance(item, Problem):
            _met(run, reading, item, known)
        elif isinstance(item, Prepared):
            run.session.put(item.article, prepared=item)
            reading.ids.append(item.article.id)
            run.progress.article(run.session.report)
        else:
            run.session.put(item)
            reading.ids.append(item.id)
            run.progress.article(run.session.report)
    return reading


def _met(run: _Run, reading: _Reading, problem: Problem, known: Collection[Problem]) -> None:
    reading.problems.append(problem)
    if problem in known:
        run.session.report.earlier.append(problem)
    else:
        _problem(run, problem)
        reading.failed = reading.failed or problem.skipped


def _prune(run: _Run, scope: list[Path], exclusions: Exclusions) -> None:
    """Remove the articles of files that are gone, or now excluded, under the
    paths given (a file named on the command line is never excluded)."""
    given = dict.fromkeys(str(path.resolve()) for path in scope)
    pruned: set[str] = set()
    for folder in given:
        for entry in run.manifest.under([folder]):
            inside = entry.path[len(folder) + 1 :]
            excluded = entry.path not in given and exclusions.covers(inside)
            if entry.path not in pruned and (excluded or not os.path.exists(entry.path)):
                for article_id in entry.ids:
                    run.session.remove(article_id)
                pruned.add(entry.path)
    run.gone += sorted(pruned)


def _problem(run: _Run, problem: Problem) -> None:
    run.session.report.problems.append(problem)
    run.progress.problem(problem)


def _file_digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
