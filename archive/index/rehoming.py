"""Copies whose article went: each read again from its own file.

When a run removes or changes an article, the copies it stood for (exact
duplicates listed beside the index, archive.index.dedup) may no longer have
an article holding their text. Each copy that came from a file of the
record of files is read again from that file, and takes its place as an
article of its own or as a copy of another.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from archive import sources
from archive.index.dedup import Copy
from archive.index.manifest import FileEntry, Manifest
from archive.index.sync import Session
from archive.model import Article
from archive.sources import FieldMap


def rehome(
    session: Session, manifest: Manifest, stopped: Callable[[], bool] = lambda: False
) -> list[FileEntry]:
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
        if stopped():
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


def rereadable(manifest: Manifest, copy: Copy) -> bool:
    """Whether a copy came from a file of the record (by its path, as read)."""
    return (
        copy.path is not None
        and (copy.origin == copy.path or copy.origin.startswith(copy.path + "#"))
        and manifest.get(copy.path) is not None
    )


def stale(entry: FileEntry) -> FileEntry:
    """The record of a file, changed so that the next run reads the file again."""
    return replace(entry, size=-1, mtime_ns=0, digest="")
