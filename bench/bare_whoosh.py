"""The baseline: Whoosh used plainly, as its documentation shows.

A StemmingAnalyzer schema (title and body stored), one writer for the whole
build, a MultifieldParser over title and body (with fuzzy terms enabled),
and ``hit.highlights`` for the snippets.

    python bench/bare_whoosh.py build CORPUS_FOLDER INDEX_FOLDER
    python bench/bare_whoosh.py add JSONL_FILE INDEX_FOLDER
    python bench/bare_whoosh.py search INDEX_FOLDER QUERY...   # one-shot, JSON out
"""

from __future__ import annotations

import json
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any


def schema() -> Any:
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        date=DATETIME(stored=True),
        source=STORED,
    )


def _doc(item: dict[str, str]) -> dict[str, Any]:
    from datetime import datetime

    doc: dict[str, Any] = {
        "id": item["id"],
        "title": item.get("title", ""),
        "body": item.get("body", ""),
        "source": item.get("source", ""),
    }
    if item.get("date"):
        with suppress(ValueError):
            doc["date"] = datetime.fromisoformat(item["date"])
    return doc


def build(folder: Path, index: Path, procs: int = 1) -> int:
    """Every item in one commit; with ``procs`` > 1, Whoosh's own batch
    indexing advice: ``procs`` writer processes and ``multisegment=True``."""
    from whoosh import index as whoosh_index

    sys.path.insert(0, str(Path(__file__).parent))
    import corpus

    index.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(index), schema())
    writer = ix.writer(procs=procs, multisegment=True) if procs > 1 else ix.writer()
    count = 0
    for item in corpus.read(folder):
        writer.add_document(**_doc(item))
        count += 1
    writer.commit()
    return count


def add(path: Path, index: Path) -> int:
    """One incremental update: the items of one JSON Lines file, one commit."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(index))
    writer = ix.writer()
    count = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            writer.update_document(**_doc(json.loads(line)))
            count += 1
    writer.commit()
    return count


def parser(ix: Any) -> Any:
    from whoosh.qparser import FuzzyTermPlugin, MultifieldParser

    parse = MultifieldParser(["title", "body"], schema=ix.schema)
    parse.add_plugin(FuzzyTermPlugin())
    return parse


def run_query(searcher: Any, parse: Any, text: str) -> list[dict[str, Any]]:
    """Top ten hits with their highlighted snippets, as the one-shot prints them."""
    results = searcher.search(parse.parse(text), limit=10)
    return [
        {"id": hit["id"], "title": hit["title"], "snippet": hit.highlights("body")}
        for hit in results
    ]


def search(index: Path, text: str) -> None:
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(index))
    with ix.searcher() as searcher:
        hits = run_query(searcher, parser(ix), text)
    json.dump({"query": text, "hits": hits}, sys.stdout)
    sys.stdout.write("\n")


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "build":
        print(build(Path(args[0]), Path(args[1])))
    elif command == "build-procs":
        print(build(Path(args[0]), Path(args[1]), procs=int(args[2])))
    elif command == "add":
        print(add(Path(args[0]), Path(args[1])))
    elif command == "search":
        search(Path(args[0]), " ".join(args[1:]))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
