"""Every private name of Whoosh's that the archive relies on is still there.

archive/whoosh_ext/ lists them as it uses them; a Whoosh upgrade that moves
one fails here, by name, rather than somewhere in a search.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import archive.whoosh_ext as whoosh_ext
from archive.whoosh_ext import INTERNALS, Internal

for module in pkgutil.iter_modules(whoosh_ext.__path__):  # every module declares its uses
    importlib.import_module(f"archive.whoosh_ext.{module.name}")


def owner(path: str) -> Any:
    module_name, _, qualname = path.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in filter(None, qualname.split(".")):
        found = getattr(found, part)
    return found


def whoosh_source() -> str:
    from pathlib import Path

    import whoosh

    return "\n".join(p.read_text("utf-8") for p in Path(whoosh.__file__).parent.rglob("*.py"))


def test_every_module_of_whoosh_ext_declares_what_it_uses() -> None:
    assert len({internal.owner for internal in INTERNALS}) >= 10


@pytest.mark.parametrize("internal", INTERNALS, ids=lambda i: f"{i.owner}.{i.name}")
def test_whoosh_still_has(internal: Internal) -> None:
    holder = owner(internal.owner)
    if internal.kind == "attribute":
        # Often set on instances (in __init__, or by another class): then the
        # source of Whoosh assigns it somewhere.
        assert hasattr(holder, internal.name) or f".{internal.name} =" in whoosh_source(), internal
        return
    found = getattr(holder, internal.name)
    assert callable(found), internal
    parameters = [
        name for name in inspect.signature(found).parameters if name not in ("self", "cls")
    ]
    assert parameters[: len(internal.parameters)] == list(internal.parameters), parameters


@pytest.mark.parametrize("stored_offsets", [False, True])
def test_a_column_of_byte_strings_reads_back_what_was_written(
    tmp_path: Any, stored_offsets: bool
) -> None:
    """Stored fields live in such a column; the archive derives its offsets itself."""
    from whoosh.columns import VarBytesColumn
    from whoosh.filedb.filestore import FileStorage

    from archive.whoosh_ext import patches

    patches.apply()
    values = [b"", b"x" * 300, b"", b"abc", b"\x00" * 70_000, b"z"] * 50
    column = VarBytesColumn(write_offsets_cutoff=10 if stored_offsets else 10**6)
    storage = FileStorage(str(tmp_path))
    with storage.create_file("column") as out:
        writer = column.writer(out)
        for docnum, value in enumerate(values):
            writer.add(docnum, value)
        writer.finish(len(values))
        length = out.tell()
    stream = storage.open_file("column")
    reader = column.reader(stream, 0, length, len(values))
    assert reader.had_stored_offsets == stored_offsets
    assert [reader[docnum] for docnum in range(len(values))] == values
    assert list(reader) == values
    stream.close()


def test_a_segment_the_archive_writes_holds_what_whoosh_s_own_writer_writes(
    tmp_path: Path,
) -> None:
    """The same articles written by the archive's segment builder and by
    Whoosh's own writer, with the same schema: the same terms, postings,
    weights, term statistics, field lengths and stored fields."""
    from conftest import FIXTURES
    from whoosh import index as whoosh_index

    from archive import sources
    from archive.index.documents import content_hash, exact_text_hash, to_doc
    from archive.index.schema import build_schema
    from archive.index.store import Store
    from archive.index.writer import Writer
    from archive.model import Article

    when = datetime(2026, 1, 2, 3, 4, 5)
    articles = [
        item
        for path in sorted((FIXTURES / "bbc_business").iterdir())
        for item in sources.read_file(path)
        if isinstance(item, Article)
    ]
    docs = [to_doc(a, content_hash(a), exact_text_hash(a), when) for a in articles]
    docs += [{**docs[0], "id": "repeated", "body": "oil " * 300 + docs[0]["body"]}]
    store = Store.create(tmp_path / "ours")
    writer = Writer(store.ix, store.path, parallel=False)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    (tmp_path / "whoosh").mkdir()
    theirs = whoosh_index.create_in(str(tmp_path / "whoosh"), build_schema())
    with theirs.writer() as native:
        for doc in docs:
            native.add_document(**doc)

    with whoosh_index.open_dir(str(store.path)).reader() as a, theirs.reader() as b:
        assert list(a.all_terms()) == list(b.all_terms())
        for field, term in b.all_terms():
            assert a.doc_frequency(field, term) == b.doc_frequency(field, term)
            assert a.frequency(field, term) == b.frequency(field, term)
            mine, whoosh = a.postings(field, term), b.postings(field, term)
            assert list(mine.items_as("weight")) == list(whoosh.items_as("weight"))
        for field in ("title", "body", "outlet", "authors"):
            assert a.field_length(field) == b.field_length(field)
            lengths = [a.doc_field_length(n, field) for n in range(a.doc_count_all())]
            assert lengths == [b.doc_field_length(n, field) for n in range(b.doc_count_all())]
        assert list(a.all_stored_fields()) == list(b.all_stored_fields())
