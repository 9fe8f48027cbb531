"""One indexing run: inputs in, one commit out, a report of what happened.

Unchanged files are skipped without being read (same size and modification
time, or else the same content hash). A changed file is read again and its
articles updated in place; articles it no longer holds are removed, unless
the file could not be read at all (nothing already indexed is lost to a
file that went bad). ``prune`` removes the articles of files that are gone.

A run asked to stop (``Stop.requested``, set by Ctrl-C) stops after the
article in hand and commits what it has read; files it did not finish are
not recorded as read, so the next run reads them again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISBLK, S_ISCHR, S_ISFIFO, S_ISREG
from typing import IO, Protocol

from archive import sources
from archive.index.dedup import Copy
from archive.index.manifest import MANIFEST_FILE, SEEDS, FileEntry, Manifest
from archive.index.store import Store
from archive.index.sync import Session
from archive.model import Article, Problem, SyncReport
from archive.sources import FieldMap, FolderScan

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
) -> SyncReport:
    """Index files, folders and ``-`` (the ``stdin`` stream) into ``store``.

    With ``-``, the write lock is taken only once the stream has something
    to read (or has ended): a run waiting for its input never blocks others.
    """
    paths = list(paths)
    scan = FolderScan()
    if STDIN in paths and stdin is not None and hasattr(stdin, "peek"):
        stdin.peek(1)  # blocks until the first bytes arrive, or the end

    def work(run: _Run) -> None:
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
            _prune(run, [p for p in paths if p != STDIN])

    report = _in_session(store, work, fields, progress, wait, stop)
    report.ignored_files = scan.ignored
    return report


def index_seeds(
    store: Store, *, progress: Progress | None = None, wait: bool = True, stop: Stop | None = None
) -> SyncReport:
    """Index the bundled seed articles (and record that the index holds them)."""

    def work(run: _Run) -> None:
        ids, _, whole = _read(run, sources.read_seeds(), "the seed articles")
        if whole:
            run.entries.append(FileEntry(SEEDS, 0, 0, "", tuple(ids)))

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
    return FileEntry(entry.path, -1, 0, "", entry.ids, entry.fields)


def _index_file(run: _Run, path: Path) -> None:
    key = str(path.resolve())
    report = run.session.report
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
        if entry and (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            report.files_unchanged += 1
            report.unchanged += len(entry.ids)
            return
        digest = _file_digest(path)
    except OSError as err:
        _problem(run, Problem(str(path), err.strerror or str(err)))
        return
    if entry and entry.digest == digest:
        report.files_unchanged += 1
        report.unchanged += len(entry.ids)
        run.entries.append(FileEntry(key, stat.st_size, stat.st_mtime_ns, digest, entry.ids))
        return
    ids, failed, whole = _read(run, sources.read_file(path, run.fields), key)
    if not whole or (failed and not ids):
        return  # unfinished, or unreadable now: keep what it held, read it again next time
    if entry and not failed:
        for gone in set(entry.ids) - set(ids):
            run.session.remove(gone)
    run.entries.append(
        FileEntry(key, stat.st_size, stat.st_mtime_ns, digest, tuple(ids), _fields_json(run))
    )


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


def _read(
    run: _Run, items: Iterable[Article | Problem], where: str
) -> tuple[list[str], bool, bool]:
    """Put the articles into the session: their IDs, whether anything was
    skipped, and whether the input was read to its end.

    If reading fails unexpectedly, that is reported and the rest of the input
    is not read (the run goes on with the next). Errors of the index itself
    are not caught here: only the reader runs inside the ``try``.
    """
    ids: list[str] = []
    failed = False
    reading = iter(items)
    while not run.stopped:
        try:
            item = next(reading)
        except StopIteration:
            return ids, failed, True
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as err:
            _problem(run, Problem(where, f"cannot be read ({type(err).__name__}: {err})"))
            return ids, True, False
        if isinstance(item, Problem):
            _problem(run, item)
            failed = failed or item.skipped
        else:
            run.session.put(item)
            ids.append(item.id)
            run.progress.article(run.session.report)
    return ids, failed, False


def _prune(run: _Run, scope: list[Path]) -> None:
    folders = [str(path.resolve()) for path in scope]
    for entry in run.manifest.under(folders):
        if not os.path.exists(entry.path):
            for article_id in entry.ids:
                run.session.remove(article_id)
            run.gone.append(entry.path)


def _problem(run: _Run, problem: Problem) -> None:
    run.session.report.problems.append(problem)
    run.progress.problem(problem)


def _file_digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
