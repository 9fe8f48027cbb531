"""The index's table of contents: which generation is current, its segments,
and writing one generation up (as a rebuild's switch does)."""

from __future__ import annotations

from typing import Any

from archive.whoosh_ext import Internal, uses

INDEX_NAME = "MAIN"  # Whoosh's default index name: its files start so
LOCK_NAME = f"{INDEX_NAME}_WRITELOCK"

uses(
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
