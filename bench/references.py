"""Reference engines on the benchmark corpus: tantivy and SQLite FTS5.

Both index the same items (title and body), answer the same queries with
the top ten and a highlighted snippet of each, as the archive and bare
Whoosh do. tantivy (``pip install tantivy``) uses its en_stem analyzer and
its SnippetGenerator; FTS5 the porter tokenizer, bm25() and snippet().

    python bench/references.py build tantivy|fts5 CORPUS_FOLDER INDEX_FOLDER
    python bench/references.py search tantivy|fts5 INDEX_FOLDER QUERY...   # one-shot, JSON out
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

SYSTEMS = ("tantivy", "fts5")
FTS5_FILE = "fts5.sqlite"


def available(system: str) -> bool:
    if system != "tantivy":
        return True
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


# -- tantivy -----------------------------------------------------------------


def _tantivy_schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
    return builder.build()


def build_tantivy(folder: Path, index: Path) -> None:
    import tantivy

    index.mkdir(parents=True, exist_ok=True)
    ix = tantivy.Index(_tantivy_schema(), path=str(index))
    writer = ix.writer()
    for item in corpus.read(folder):
        writer.add_document(
            tantivy.Document(id=item["id"], title=item.get("title", ""), body=item.get("body", ""))
        )
    writer.commit()
    writer.wait_merging_threads()


def tantivy_searcher(index: Path) -> Callable[[str], list[dict[str, Any]]]:
    import tantivy

    ix = tantivy.Index.open(str(index))
    searcher = ix.searcher()

    def run(text: str) -> list[dict[str, Any]]:
        if text.endswith("~"):  # a fuzzy term within two edits, in either field
            word = text[:-1].lower()
            query = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Should, tantivy.Query.fuzzy_term_query(ix.schema, f, word, 2))
                    for f in ("title", "body")
                ]
            )
        else:
            query = ix.parse_query(_tantivy_syntax(text), ["title", "body"])
        snippets = tantivy.SnippetGenerator.create(searcher, query, ix.schema, "body")
        hits = []
        for score, address in searcher.search(query, 10).hits:
            doc = searcher.doc(address)
            hits.append(
                {
                    "id": doc["id"][0],
                    "title": (doc.get_all("title") or [""])[0],
                    "score": score,
                    "snippet": snippets.snippet_from_doc(doc).to_html(),
                }
            )
        return hits

    return run


def _tantivy_syntax(text: str) -> str:
    """The benchmark's queries in tantivy's syntax: every word required."""
    return text if text.startswith('"') else " ".join(f"+{word}" for word in text.split())


# -- SQLite FTS5 ---------------------------------------------------------------


def build_fts5(folder: Path, index: Path) -> None:
    index.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(index / FTS5_FILE)
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
        "tokenize='porter unicode61')"
    )
    db.executemany(
        "INSERT INTO docs VALUES (?, ?, ?)",
        ((i["id"], i.get("title", ""), i.get("body", "")) for i in corpus.read(folder)),
    )
    db.commit()
    db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    db.commit()
    db.close()


def fts5_searcher(index: Path) -> Callable[[str], list[dict[str, Any]]]:
    db = sqlite3.connect(index / FTS5_FILE)

    def run(text: str) -> list[dict[str, Any]]:
        if "~" in text:  # FTS5 has no fuzzy terms
            return []
        match = text if text.startswith('"') else " AND ".join(_WORD.findall(text.lower()))
        rows = db.execute(
            "SELECT id, title, bm25(docs), snippet(docs, 2, '<b>', '</b>', '…', 24) "
            "FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10",
            (match,),
        ).fetchall()
        return [{"id": r[0], "title": r[1], "score": -r[2], "snippet": r[3]} for r in rows]

    return run


_WORD = re.compile(r"\w+")


# -- the command line -----------------------------------------------------------

BUILD = {"tantivy": build_tantivy, "fts5": build_fts5}
SEARCHER = {"tantivy": tantivy_searcher, "fts5": fts5_searcher}


def main() -> None:
    command, system, *rest = sys.argv[1:]
    if command == "build":
        BUILD[system](Path(rest[0]), Path(rest[1]))
    elif command == "search":
        hits = SEARCHER[system](Path(rest[0]))(" ".join(rest[1:]))
        print(json.dumps({"hits": hits}))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
