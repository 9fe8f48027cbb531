"""What lives in the index folder beside Whoosh's files, and what does not belong.

The meta file records the schema version (an index of another version is
refused with a message) and when the index was last written. A rebuild
builds its new index in a folder of its own inside the index folder and
keeps the old one in another; what interrupted runs leave behind is cleaned
by the next writer. Every file is as readable as the umask allows, so that
others may search a shared index; one they may not read is named as such.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

from archive.errors import IndexUnreadable, SchemaMismatch
from archive.index.schema import SCHEMA_VERSION
from archive.whoosh_ext.segments import (
    INDEX_NAME,
    LOCK_NAME,
    latest_generation,
    table_of_contents,
    toc_file,
)

META_FILE = "archive-meta.json"
REBUILDING = ".rebuilding-"  # a rebuild's new index, inside the index folder
BACKUP = ".before-rebuild-"  # the index a rebuild replaced, inside the index folder
PARTIAL = ".partial"  # a backup still being put together


def is_index_file(name: str) -> bool:
    """Whether a file of the index folder is one of Whoosh's (its lock aside)."""
    return name.startswith((f"{INDEX_NAME}_", f"_{INDEX_NAME}_")) and name != LOCK_NAME


def read_by_searches(name: str) -> bool:
    """Whether a file of the index folder is read to search it: Whoosh's
    (not those being written), the arrays, the meta file and the tables."""
    if name == META_FILE or (name.startswith("archive-") and name.endswith(".sqlite")):
        return True
    return is_index_file(name) and not name.endswith(".tmp")


def require_readable(path: Path) -> None:
    """Raise IndexUnreadable naming the first file of the index at ``path``
    that this process may not read: a problem of permissions, not damage."""
    try:
        names = sorted(entry.name for entry in path.iterdir())
    except PermissionError as err:
        raise permission_denied(path) from err
    except OSError:
        return  # no folder there: said by whoever looks for the index
    for name in filter(read_by_searches, names):
        try:
            with open(path / name, "rb"):
                pass
        except PermissionError as err:
            raise permission_denied(path, name) from err
        except OSError:
            continue  # gone meanwhile: a segment merged away


def permission_denied(path: Path, name: str | None = None) -> IndexUnreadable:
    what = "the folder" if name is None else name
    return IndexUnreadable(
        f"cannot read {what} of the index at {path}: permission denied",
        hint=f"its owner can let others read it with 'chmod -R a+rX {path}'",
    )


def shareable(fd: int) -> None:
    """Give a file made by tempfile.mkstemp (always 0600) the permissions the
    umask allows, as every other file of the index has."""
    os.fchmod(fd, 0o666 & ~umask())


def umask() -> int:
    """The process's umask, read without changing it where the system says
    (another thread may be making files meanwhile)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_version(path: Path) -> None:
    meta = read_meta(path)
    if not meta and (path / META_FILE).exists():
        raise IndexUnreadable(
            f"the index at {path} is damaged: {META_FILE} cannot be read",
            hint="'archive rebuild' re-creates it from its sources",
        )
    found = meta.get("schema_version")
    if found != SCHEMA_VERSION:
        built = "an unknown schema version" if found is None else f"schema version {found}"
        raise SchemaMismatch(
            f"the index at {path} was built with {built}; this archive uses version "
            f"{SCHEMA_VERSION}",
            hint="'archive rebuild' re-creates it from its sources",
        )


def read_meta(path: Path) -> dict[str, Any]:
    try:
        data = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def clean_leftovers(path: Path) -> list[str]:
    """Remove what interrupted runs left in the index folder; what was removed.

    Only with the index's write lock held: no other process is then writing.
    Left by a killed run or rebuild: segment files no table of contents names,
    unfinished tables of contents, Whoosh's temporary folders, a rebuild's
    half-built index and a half-moved backup. Nothing is removed when the
    table of contents cannot be read (the index may be damaged: rebuild reads it).
    """
    from whoosh.filedb.filestore import FileStorage

    storage = FileStorage(str(path))
    try:
        generation = latest_generation(storage)
        toc = table_of_contents(storage, generation)
    except Exception:  # damage shows as any Whoosh error: leave everything
        return []
    current = {toc_file(generation)}
    live = tuple(f"{segment.segment_id()}." for segment in toc.segments)
    removed = []
    for entry in path.iterdir():
        name = entry.name
        if entry.is_dir():
            stale = name.startswith(REBUILDING) or name.endswith((".tmp", PARTIAL))
            if stale and (name.startswith(".") or name.startswith(INDEX_NAME)):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(name)
            continue
        if is_index_file(name) and name not in current and not name.startswith(live):
            with suppress(OSError):
                entry.unlink()
                removed.append(name)
    return removed


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Write the sidecar atomically: a crash leaves the old file or the new one."""
    fd, tmp = tempfile.mkstemp(dir=path, prefix=".meta-", suffix=".tmp")
    shareable(fd)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(meta, out, indent=2, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path / META_FILE)


def stamp(path: Path) -> None:
    """Record in the meta file when the index was last written."""
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat(timespec="seconds")
    write_meta(path, {**read_meta(path), "last_indexed": now})
