"""One indexing run: inputs in, one commit out, a report of what happened.

Unchanged files are skipped without being read (same size and modification
time, or else the same content hash). A changed file is read again and its
articles updated in place; articles it no longer holds are removed, unless
something in it could not be read now that was not reported before (nothing
already indexed is lost to a file that went bad). ``prune`` removes the
articles of files that are gone. What could not be read is reported once:
the record of files keeps it, and a file read again (changed, or by a
rebuild) reports only what is new.

A run asked to stop (``Stop.requested``, set by Ctrl-C) stops after the
article in hand and commits what it has read; files it did not finish are
not recorded as read, so the next run reads them again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from stat import S_ISBLK, S_ISCHR, S_ISFIFO, S_ISREG
from typing import IO, Protocol

from archive import sources
from archive.index.dedup import Copy
from archive.index.manifest import MANIFEST_FILE, SEEDS, FileEntry, Manifest
from archive.index.store import Store
from archive.index.sync import Session
from archive.model import Article, Problem, SyncReport
from archive.sources import Exclusions, FieldMap, FolderScan

STDIN = Path("-")


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
        for item in sources.find_inputs(paths, scan):
            if run.stopped:
                return
            if isinstance(item, Problem):
                _problem(run, item)
            elif item == STDIN:
                if stdin is None:
                    _problem(run, Problem("-", "no standard input was given to read"))
                    continue
                stream = sources.read_stream(stdin, name="-", origin="stdin", fields=run.fields)
                _read(run, stream, "-")
            else:
                _index_file(run, item)
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
                session.rereadable = lambda copy: _rereadable(manifest, copy)
                run = _Run(session, manifest, told, fields or FieldMap(), stop)
                if manifest.damaged:
                    reason = (
                        f"the record of indexed files was damaged (kept as {manifest.damaged}); "
                        "every file is read again"
                    )
                    _problem(run, Problem(MANIFEST_FILE, reason, skipped=False))
                work(run)
                unread = rehome(session, manifest, stop)
                run.entries += [_stale(entry) for entry in unread]  # these last: they win
                session.report.interrupted = stop.requested  # before the commit: what was read
                stop.committing = True
            manifest.save(run.entries, run.gone)
        finally:
            stop.active = stop.committing = False
            manifest.close()
    return session.report


def rehome(session: Session, manifest: Manifest, stop: Stop | None = None) -> list[FileEntry]:
    """Read again the copies of the articles the session removed or changed
    (``Session.orphans``) from their files, so that each becomes an article
    of its own, with its own date and details, or a copy of another.

    Returns the record of each file that could not be read (or the run was
    stopped): the next run reads it again. Copies that came from no file of
    the record (feeds, standard input) take the place of a removed article
    as it was (``Session._write``).
    """
    wanted: dict[str, set[str]] = {}
    for copy in session.orphans():  # each from a file of the record (_rereadable)
        wanted.setdefault(str(copy.path), set()).add(copy.id)
    counted = session.report.unchanged, session.report.duplicates  # counted as read
    unread = []
    for path, ids in wanted.items():
        entry = manifest.get(path)
        if entry is None:
            continue
        if stop is not None and stop.requested:
            unread.append(entry)
            continue
        fields = FieldMap(json.loads(entry.fields) if entry.fields else None)
        try:
            for item in sources.read_file(Path(path), fields):
                if isinstance(item, Article) and item.id in ids:
                    ids.discard(item.id)
                    session.put(item, again=True)
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception:  # what its own run reports: read it again then
            unread.append(entry)
            continue
        if ids:  # gone or changed: the copies stay as they are till then
            unread.append(entry)
    session.report.unchanged, session.report.duplicates = counted
    return unread


def _rereadable(manifest: Manifest, copy: Copy) -> bool:
    """Whether a copy came from a file of the record (by its path, as read)."""
    return (
        copy.path is not None
        and (copy.origin == copy.path or copy.origin.startswith(copy.path + "#"))
        and manifest.get(copy.path) is not None
    )


def _stale(entry: FileEntry) -> FileEntry:
    """The record of a file, changed so that the next run reads the file again."""
    return replace(entry, size=-1, mtime_ns=0, digest="")


def _index_file(run: _Run, path: Path) -> None:
    key = str(path.resolve())
    if not utf8(key):
        shown = os.fsencode(key).decode("utf-8", "backslashreplace")
        _problem(run, Problem(shown, "the file name is not valid UTF-8: rename the file"))
        return
    run.progress.file(str(path))
    try:
        stat = path.stat()
        if not S_ISREG(stat.st_mode):
            _problem(run, Problem(key, f"not a regular file ({_kind(stat.st_mode)})"))
            return
        entry = run.manifest.get(key)
        asked = run.fields.overrides and entry and entry.fields != _fields_json(run)
        if entry and not asked and (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            _unchanged(run, entry)
            return
        digest = _file_digest(path)
    except OSError as err:
        _problem(run, Problem(str(path), err.strerror or str(err)))
        return
    if entry and not asked and entry.digest == digest:
        _unchanged(run, entry)
        run.entries.append(replace(entry, size=stat.st_size, mtime_ns=stat.st_mtime_ns))
        return
    known = frozenset(entry.problems if entry else run.reported.get(key, ()))
    reading = _read(run, sources.read_file(path, run.fields), key, known)
    if reading.whole:  # else unfinished: read it again next time
        ids, problems = _settle(run, entry, reading), tuple(reading.problems)
        size, mtime = stat.st_size, stat.st_mtime_ns
        run.entries.append(FileEntry(key, size, mtime, digest, ids, _fields_json(run), problems))


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
    items: Iterable[Article | Problem],
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
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as err:
            _problem(run, Problem(where, f"cannot be read ({type(err).__name__}: {err})"))
            reading.failed = True
            return reading
        if isinstance(item, Problem):
            _met(run, reading, item, known)
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
