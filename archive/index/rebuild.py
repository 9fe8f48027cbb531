"""Re-create an index from the sources it recorded, and swap it in safely.

The sources are the files the index records having read (with the
``--field`` choices they were read with) and the bundled seeds, taken from the
record of indexed files and from whatever stored articles can still be read.
The new index is built inside the index folder, under the old one's write
lock; only when it is complete does it replace the old one, in one atomic
step (see ``_swap``). The old one's files are then moved, not copied, into a
backup folder inside the index folder (so a rebuild needs the room of one
new index, and a checkout's ignored index/ folder holds the backup); only the
newest backup is kept. Articles whose source cannot be read again (standard
input, a file that is gone or unreadable) are carried over from the old
index when it still holds them readably.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError, IndexMissing
from archive.index import locking, sidecar
from archive.index.dedup import STORIES_FILE
from archive.index.documents import rewritten
from archive.index.files import (
    BACKUP,
    META_FILE,
    PARTIAL,
    REBUILDING,
    clean_leftovers,
    is_index_file,
)
from archive.index.indexer import Progress, index_paths, index_seeds
from archive.index.manifest import MANIFEST_FILE, SEEDS, Manifest
from archive.index.store import Store
from archive.model import Problem, SyncReport
from archive.sources import FieldMap
from archive.whoosh_ext.segments import INDEX_NAME, LOCK_NAME, stored_by_segment, switch_to

SEED_ORIGIN = "seed:"
# Free space a rebuild wants before it starts: the new index is about as large
# as the old one (the old one's files are then moved aside, not copied).
SPACE_FACTOR = 1.2
SPACE_MARGIN = 16 * 1024 * 1024


class NothingToRebuild(ArchiveError):
    """Neither the record of files nor the index itself names any source."""


@dataclass
class RebuildReport:
    """What a rebuild read, carried over, could not find, and where the old index went."""

    skipped: int = 0  # inputs that could not be read (each reported as it was met)
    earlier: int = 0  # inputs skipped as when they were last read (not reported again)
    files: int = 0  # recorded files read again
    seeds: bool = False
    missing: list[str] = field(default_factory=list)  # recorded files that are gone
    carried: int = 0  # articles carried over from the old index
    unreadable: list[str] = field(default_factory=list)  # damage met in the old index
    kept_at: Path | None = None  # where the old index now is
    articles: int = 0  # in the new index


@dataclass
class _Recorded:
    files: dict[str, str] = field(default_factory=dict)  # path -> --field choices (JSON)
    reported: dict[str, tuple[Problem, ...]] = field(default_factory=dict)  # path -> problems
    seeds: bool = False
    stored: list[dict[str, Any]] = field(default_factory=list)  # readable old articles
    damage: list[str] = field(default_factory=list)


def rebuild(
    path: Path,
    *,
    progress: Progress | None = None,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> RebuildReport:
    """Rebuild the index at ``path``; the old one is kept beside it."""
    if not Store.exists(path):
        raise IndexMissing(f"no index at {path}", hint="build one with 'archive index'")
    with _held(path, wait, on_wait):
        clean_leftovers(path)
        recorded = _recorded(path)
        if not (recorded.files or recorded.seeds or recorded.stored):
            raise NothingToRebuild(
                f"the index at {path} records no sources to rebuild from",
                hint="index the sources again into a new --index-dir",
            )
        _check_space(path)
        new = path / f"{REBUILDING}{os.getpid()}"
        shutil.rmtree(new, ignore_errors=True)
        try:
            report = _build(new, recorded, progress)
            report.kept_at = _swap(path, new)
        finally:
            shutil.rmtree(new, ignore_errors=True)  # what the switch left, or a failed run
        for older in path.glob(f"{BACKUP}*"):
            if older != report.kept_at:
                shutil.rmtree(older, ignore_errors=True)
    return report


def _check_space(path: Path) -> None:
    size = sum(entry.stat().st_size for entry in path.iterdir() if entry.is_file())
    needed = int(size * SPACE_FACTOR) + SPACE_MARGIN
    free = shutil.disk_usage(path).free
    if free < needed:
        raise ArchiveError(
            f"not enough free space to rebuild the index at {path}: it needs about "
            f"{needed / 2**20:,.0f} MB and {free / 2**20:,.0f} MB are free",
            hint="free some space, then run 'archive rebuild' again; the index is unchanged",
        )


@contextmanager
def _held(path: Path, wait: bool, on_wait: Callable[[str], None] | None) -> Iterator[None]:
    """The archive's write lock and Whoosh's own: no run writes meanwhile."""
    from whoosh.filedb.filestore import FileStorage

    whoosh_lock = FileStorage(str(path)).lock(LOCK_NAME)
    with locking.hold(path, "rebuild", wait, on_wait):
        locking.wait_for(
            path,
            lambda: whoosh_lock if whoosh_lock.acquire(blocking=False) else None,
            wait,
            on_wait,
        )
        try:
            yield
        finally:
            whoosh_lock.release()


def _recorded(path: Path) -> _Recorded:
    """The sources named by the record of files and by the readable articles."""
    found = _Recorded()
    manifest = Manifest(path)
    try:
        for entry in manifest.all():
            if entry.path == SEEDS:
                found.seeds = True
            else:
                found.files[entry.path] = entry.fields
                found.reported[entry.path] = entry.problems
    finally:
        manifest.close()
    found.stored, found.damage = _readable_articles(path)
    for doc in found.stored:
        origin = str(doc.get("origin") or "")
        if origin.startswith(SEED_ORIGIN):
            found.seeds = True
        elif (source := source_file(doc)) is not None:
            found.files.setdefault(source, "")
    return found


def source_file(doc: dict[str, Any]) -> str | None:
    """The absolute path of the file a stored article was read from, if any.

    The origin holds it, resolved (a path, or a path and '#' and the record's
    key); an index of an earlier version may store a relative path, which
    would name another file from another folder.
    """
    stored = str(doc.get("path") or "")
    if os.path.isabs(stored):
        return stored
    origin = str(doc.get("origin") or "")
    if not stored or origin == "stdin" or not os.path.isabs(origin):
        return None
    return origin.rsplit("#", 1)[0] if doc.get("record") else origin


# Tables beside the index that earlier versions kept (moved into the backup).
EARLIER_SIDECARS = ("archive-bands.sqlite",)
# Whoosh pickles the schema into the index, naming the classes of its
# analyzers and columns by module: where earlier versions kept them.
EARLIER_SCHEMA_MODULES = ("archive.schema",)


def _readable_articles(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Every stored article that can still be read, segment by segment, and the damage."""
    from archive.index import schema

    return stored_by_segment(path, EARLIER_SCHEMA_MODULES, schema)


def _build(new: Path, recorded: _Recorded, progress: Progress | None) -> RebuildReport:
    report = RebuildReport(seeds=recorded.seeds, unreadable=recorded.damage)
    store = Store.create(new)
    store.first_added = first_added(recorded.stored)
    runs: list[SyncReport] = []
    if recorded.seeds:
        runs.append(index_seeds(store, progress=progress))
    by_fields: dict[str, list[Path]] = {}
    for name, fields in sorted(recorded.files.items()):
        if os.path.isfile(name):
            by_fields.setdefault(fields, []).append(Path(name))
        else:
            report.missing.append(name)
    for fields, paths in by_fields.items():
        mapping = FieldMap(json.loads(fields) if fields else None)
        runs.append(
            index_paths(store, paths, fields=mapping, progress=progress, reported=recorded.reported)
        )
        report.files += len(paths)  # distinct files: recorded once each
    failed = _failed_files(runs, recorded.files)
    carried = [doc for doc in recorded.stored if _not_read_again(doc, failed)]
    report.carried = carry_over(store, carried)
    report.skipped = sum(run.skipped for run in runs)
    report.earlier = sum(run.skipped_earlier for run in runs)
    report.articles = store.ix.doc_count()
    store.close()
    return report


def _failed_files(runs: list[SyncReport], files: Iterable[str]) -> set[str]:
    """The files in which something was skipped: the file itself, or a line,
    row or entry of it (``path:3``, ``path (line 3)``)."""
    places = {p.path for run in runs for p in [*run.problems, *run.earlier] if p.skipped}
    return {
        name
        for name in files
        if any(place == name or place.startswith((f"{name}:", f"{name} (")) for place in places)
    }


def first_added(docs: Iterable[dict[str, Any]]) -> dict[str, datetime]:
    """When each readable article of the old index was added to the archive:
    read again from its source, it keeps that time."""
    return {
        str(doc["id"]): added
        for doc in docs
        if isinstance(added := doc.get("added"), datetime) and "id" in doc
    }


def carry_over(store: Store, docs: Iterable[dict[str, Any]]) -> int:
    """Add stored articles of another index that this one lacks; how many."""
    with store.writing():
        return _carry_over(store, docs)


def _carry_over(store: Store, docs: Iterable[dict[str, Any]]) -> int:
    from archive.index.dedup import Copy, StoryTable

    writer = store.writer()
    stories = StoryTable(store.path)
    known = set(store.ix.schema.names())  # an older schema may have had other fields
    added = 0
    try:
        with store.ix.searcher() as searcher:
            for doc in docs:
                if searcher.document_number(id=doc["id"]) is None:
                    kept = {name: value for name, value in doc.items() if name in known}
                    writer.add_document(**rewritten(kept))
                    for listed in doc.get("copies") or []:  # kept in the document, once
                        stories.put_copy(doc["id"], Copy(*listed))
                    added += 1
        if added:
            stories.commit()
            writer.commit()
        else:
            writer.cancel()
    finally:
        stories.close()
    return added


def _not_read_again(doc: dict[str, Any], failed: set[str]) -> bool:
    origin = str(doc.get("origin") or "")
    if origin.startswith(SEED_ORIGIN):
        return False
    name = source_file(doc)
    return not name or not os.path.isfile(name) or name in failed


def _swap(path: Path, new: Path) -> Path:
    """Make the new index the one at ``path``; the folder the old one is kept in.

    Whoosh reads the table of contents with the highest generation number, so
    the new segments are moved in beside the old ones and the new table of
    contents, written one generation up, switches over in one atomic rename.
    Before that moment the old index is intact; after it, the new one is. The
    old one's files are then moved (renamed, never copied) into the backup,
    which is named complete only once all are in.
    """
    from whoosh.filedb.filestore import FileStorage

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    name, number = f"{BACKUP}{stamp}", 1
    while (path / name).exists():  # two rebuilds within a second
        number += 1
        name = f"{BACKUP}{stamp}.{number}"
    backup, partial = path / name, path / f"{name}{PARTIAL}"
    partial.mkdir()
    storage, incoming = FileStorage(str(path)), FileStorage(str(new))
    old_files = [name for name in storage.list() if is_index_file(name)]
    for name in incoming.list():
        if is_index_file(name) and not name.startswith(f"_{INDEX_NAME}_"):
            os.replace(new / name, path / name)
    switch_to(incoming, storage)  # the switch
    if (path / META_FILE).exists():
        os.replace(path / META_FILE, partial / META_FILE)
    if (new / META_FILE).exists():
        os.replace(new / META_FILE, path / META_FILE)
    for table in (MANIFEST_FILE, STORIES_FILE):  # each with its journal, if any
        sidecar.move(path / table, partial / table)
        if (new / table).exists():
            sidecar.move(new / table, path / table)
    for name in old_files:
        with suppress(FileNotFoundError):
            os.replace(path / name, partial / name)
    for table in EARLIER_SIDECARS:
        sidecar.move(path / table, partial / table)
    os.replace(partial, backup)
    return backup


def problems(report: RebuildReport) -> list[Problem]:
    """What the user should hear about, beyond what reading the files said."""
    found = [
        Problem(name, "recorded as a source but gone; its articles are carried over if readable")
        for name in report.missing
    ]
    found += [
        Problem("the old index", f"{line} (its articles come from their sources)", skipped=False)
        for line in report.unreadable
    ]
    return found
