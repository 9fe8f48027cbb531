"""What the index holds, and whether every part of it can be read."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from archive.index.files import read_meta
from archive.index.schema import SCHEMA_VERSION
from archive.model import IndexStats
from archive.whoosh_ext.columns import Column
from archive.whoosh_ext.segments import segments


def check(path: Path, ix: Any) -> list[str]:
    """Read every segment, stored article and posting list, and the tables
    beside the index; what is damaged."""
    from archive.index.dedup import StoryTable
    from archive.index.manifest import Manifest

    damage = Manifest.check(path) + StoryTable.check(path)
    with ix.searcher() as searcher:
        for reader, _ in searcher.reader().leaf_readers():
            name = getattr(reader, "segment", lambda: None)()
            label = f"segment {name.segment_id()}" if name is not None else "segment"
            try:
                for _ in reader.all_stored_fields():
                    pass
                for field in reader.indexed_field_names():
                    for term in reader.lexicon(field):
                        reader.postings(field, term).all_ids()
            except Exception as err:  # any damage shows as some Whoosh error
                damage.append(f"{label}: {type(err).__name__}: {err}")
    return damage


def stats(path: Path, ix: Any) -> IndexStats:
    with ix.searcher() as searcher:
        reader = searcher.reader()
        live = [n for n in range(reader.doc_count_all()) if not reader.is_deleted(n)]
        totals = {
            name: _column_total(reader, name, live)
            for name in ("removed_paragraphs", "removed_links")
        }
        cleaned = _count_nonzero(reader, ("removed_paragraphs", "removed_links"), live)
        articles = searcher.doc_count()
    meta = read_meta(path)
    last = meta.get("last_indexed")
    return IndexStats(
        path=str(path),
        articles=articles,
        schema_version=int(meta.get("schema_version", SCHEMA_VERSION)),
        size_bytes=sum(f.stat().st_size for f in path.iterdir() if f.is_file()),
        segments=len(segments(ix)),
        last_indexed=datetime.fromisoformat(last) if last else None,
        cleaned_articles=cleaned,
        duplicate_paragraphs=totals["removed_paragraphs"],
        link_lines=totals["removed_links"],
    )


def _column_total(reader: Any, name: str, live: list[int]) -> int:
    column = Column(reader, name, translate=True)
    return sum(int(column[n] or 0) for n in live)


def _count_nonzero(reader: Any, names: tuple[str, ...], live: list[int]) -> int:
    columns = [Column(reader, name, translate=True) for name in names]
    return sum(1 for n in live if any(column[n] for column in columns))
