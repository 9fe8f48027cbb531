"""The index's table of contents: which generation is current, its segments,
and writing one generation up (as a rebuild's switch does)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from archive.whoosh_ext import Internal, uses

INDEX_NAME = "MAIN"  # Whoosh's default index name: its files start so
LOCK_NAME = f"{INDEX_NAME}_WRITELOCK"  # Whoosh's lock: FileIndex.writer takes NAME_WRITELOCK

uses(
    Internal("whoosh.index", "_DEF_INDEX_NAME", "attribute"),
    Internal("whoosh.reading:SegmentReader", "_storage", "attribute"),
    Internal("whoosh.filedb.filestore:OverlayStorage", "a", "attribute"),
    Internal("whoosh.filedb.filestore:OverlayStorage", "b", "attribute"),
    Internal("whoosh.index:TOC", "_latest_generation", "method", ("storage", "indexname")),
    Internal("whoosh.index:TOC", "_filename", "method", ("indexname", "gen")),
    Internal("whoosh.index:TOC", "read", "method", ("storage", "indexname", "gen", "schema")),
    Internal("whoosh.index:TOC", "write", "method", ("storage", "indexname")),
    Internal("whoosh.index:FileIndex", "_segments", "method"),
)


def latest_generation(storage: Any) -> int:
    """The generation of the current table of contents (-1 if there is none)."""
    from whoosh.index import TOC

    return int(TOC._latest_generation(storage, INDEX_NAME))


def table_of_contents(storage: Any, generation: int | None = None) -> Any:
    from whoosh.index import TOC

    return TOC.read(storage, INDEX_NAME, generation)


def toc_file(generation: int) -> str:
    from whoosh.index import TOC

    return str(TOC._filename(INDEX_NAME, generation))


def switch_to(incoming: Any, storage: Any) -> None:
    """Write the table of contents of ``incoming`` into ``storage``, one
    generation above its current one: readers switch to it at once."""
    toc = table_of_contents(incoming)
    toc.generation = max(latest_generation(storage), 0) + 1
    toc.write(storage, INDEX_NAME)


def segments(ix: Any) -> list[Any]:
    """The segments of an open index, as its current table of contents lists them."""
    return list(ix._segments())


def segment_folder(reader: Any) -> Path | None:
    """The folder of a Whoosh segment reader's files (None if it has none): a
    segment of one compound file is read through an overlay of it and the folder."""
    storage = getattr(reader, "_storage", None)
    found_in = [storage, getattr(storage, "a", None), getattr(storage, "b", None)]
    folder = next((s.folder for s in found_in if s is not None and hasattr(s, "folder")), None)
    return Path(folder) if folder is not None else None


@contextmanager
def _earlier_module_names(names: tuple[str, ...], module: Any) -> Iterator[None]:
    """While reading an index of an earlier version, its schema's classes are
    found under the module names that version used: Whoosh pickles the schema
    into the index, naming the classes of its analyzers by module."""
    added = [name for name in names if name not in sys.modules]
    for name in added:
        sys.modules[name] = module
    try:
        yield
    finally:
        for name in added:
            del sys.modules[name]


def stored_by_segment(
    path: Path, earlier_names: tuple[str, ...], schema_module: Any
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every stored document of the index at ``path`` that can still be read,
    segment by segment (an index of an earlier schema version too), and
    what damage was met."""
    from whoosh import index as whoosh_index
    from whoosh.reading import SegmentReader

    with _earlier_module_names(earlier_names, schema_module):  # Whoosh reads it lazily
        try:
            ix = whoosh_index.open_dir(str(path))
        except Exception as err:
            return [], [f"{type(err).__name__}: {err}"]
        docs: list[dict[str, Any]] = []
        damage: list[str] = []
        try:
            for segment in segments(ix):
                try:
                    reader = SegmentReader(ix.storage, ix.schema, segment)
                    try:
                        docs.extend(dict(fields) for fields in reader.all_stored_fields())
                    finally:
                        reader.close()
                except Exception as err:  # a damaged segment: keep what the others hold
                    damage.append(f"segment {segment.segment_id()}: {type(err).__name__}: {err}")
        finally:
            ix.close()
    return docs, damage


def whoosh_lock(storage: Any) -> Any:
    """Whoosh's own write lock, taken (Whoosh's LockError if another holds it)."""
    from whoosh.index import LockError

    lock = storage.lock(LOCK_NAME)
    if not lock.acquire(blocking=False):
        raise LockError("the index is being written")
    return lock


def current_segments(storage: Any) -> list[Any]:
    """The segments of the current table of contents, as new objects (a writer
    marks its deletions in them; readers keep theirs)."""
    return list(table_of_contents(storage).segments)


def segment_reader(ix: Any, segment: Any) -> Any:
    from whoosh.reading import SegmentReader

    return SegmentReader(ix.storage, ix.schema, segment)


def documents_with(reader: Any, fieldname: str, text: str) -> list[int]:
    """The numbers of a segment's documents holding a term (deleted ones too)."""
    raw = text.encode("utf-8")
    if (fieldname, raw) not in reader:
        return []
    return list(reader.postings(fieldname, raw).all_ids())


def stored_with(searcher: Any, fieldname: str, text: str) -> dict[str, Any] | None:
    """The stored fields of the first live document holding a term (an ID),
    read from the segments' term lists without making a query (a run asks
    this of every article it reads)."""
    from archive.whoosh_ext.columns import leaf_readers

    for leaf, _ in leaf_readers(searcher.reader()):
        for docnum in documents_with(leaf, fieldname, text):
            if not leaf.is_deleted(docnum):
                return dict(leaf.stored_fields(docnum))
    return None


def commit(storage: Any, schema: Any, segments: list[Any]) -> None:
    """Write a table of contents one generation up, listing ``segments``:
    readers switch to it at once (the rename is atomic)."""
    from whoosh.index import TOC, clean_files

    generation = max(latest_generation(storage), -1) + 1
    kept = [s for s in segments if s.doc_count()]
    TOC(schema, kept, generation).write(storage, INDEX_NAME)
    clean_files(storage, INDEX_NAME, generation, kept)  # older tables of contents, merged segments
