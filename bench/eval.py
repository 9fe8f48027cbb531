"""Ranking quality on every test collection with judgements, against the
strongest references: bare Whoosh, SQLite FTS5 and tantivy.

Each collection in ../shared/corpora that has ``<name>_docs.jsonl``,
``<name>_queries.tsv`` and ``<name>_qrels.trec`` (CACM and CISI today, any
added later too) is indexed by each system, on the same documents (title and
abstract), and its queries run as any-word queries. Each collection is also
run with its titles folded into the text ("no titles"), as news arrives
without headlines. Every run is scored by the same code as ``archive eval``
(MAP, P@10, nDCG@10, recall@100, over the judged queries).

    python bench/eval.py                 # the table
    python bench/eval.py --json FILE     # also the figures, for bench/EVAL.json

tantivy is optional (``pip install tantivy``); without it its rows are left out.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from whoosh import fields, index, qparser
from whoosh.analysis import StemmingAnalyzer

from archive import sources
from archive.index.store import Store
from archive.search.evaluation import evaluate, read_qrels, read_topics, run_topics
from archive.search.reader import Reader

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
DEPTH = 1000
METRICS = ("ap", "p10", "ndcg10", "recall100")
Document = tuple[str, str, str]  # docno, title, abstract
Runs = dict[str, list[tuple[str, float]]]
WORDS = re.compile(r"[a-z0-9]{2,}")


def collections() -> list[Path]:
    return sorted(p for p in CORPORA.iterdir() if (p / f"{p.name}_qrels.trec").exists())


def documents(folder: Path, titles: bool) -> list[Document]:
    rows = [
        json.loads(line) for line in (folder / f"{folder.name}_docs.jsonl").open(encoding="utf-8")
    ]
    found = [(str(r["docno"]), r.get("title") or "", r.get("abstract") or "") for r in rows]
    if titles:
        return found
    return [(docno, "", f"{title}. {abstract}".strip(" .")) for docno, title, abstract in found]


def bare_whoosh(docs: list[Document], topics: list[tuple[str, str]], tmp: Path) -> Runs:
    """Whoosh out of the box: StemmingAnalyzer, BM25F, any word."""
    schema = fields.Schema(
        docno=fields.ID(stored=True),
        title=fields.TEXT(analyzer=StemmingAnalyzer()),
        abstract=fields.TEXT(analyzer=StemmingAnalyzer()),
    )
    ix = index.create_in(str(tmp), schema)
    with ix.writer() as writer:
        for docno, title, abstract in docs:
            writer.add_document(docno=docno, title=title, abstract=abstract)
    parser = qparser.MultifieldParser(["title", "abstract"], schema, group=qparser.OrGroup)
    runs = {}
    with ix.searcher() as searcher:
        for topic, text in topics:
            query = parser.parse(" ".join(WORDS.findall(text.lower())))
            runs[topic] = [
                (h["docno"], float(h.score)) for h in searcher.search(query, limit=DEPTH)
            ]
    return runs


def fts5(docs: list[Document], topics: list[tuple[str, str]], tmp: Path) -> Runs:
    """SQLite FTS5, porter unicode61, bm25(), title and abstract as one text, any word."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(docno UNINDEXED, text, tokenize='porter unicode61')"
    )
    db.executemany(
        "INSERT INTO docs VALUES (?, ?)",
        ((docno, f"{title}. {abstract}") for docno, title, abstract in docs),
    )
    runs = {}
    for topic, text in topics:
        match = " OR ".join(f'"{w}"' for w in WORDS.findall(text.lower()))
        rows = (
            db.execute(
                "SELECT docno, bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
                (match, DEPTH),
            ).fetchall()
            if match
            else []
        )
        runs[topic] = [(docno, -score) for docno, score in rows]
    return runs


def tantivy_runs(docs: list[Document], topics: list[tuple[str, str]], tmp: Path) -> Runs:
    """tantivy with its en_stem analyzer, BM25, title and abstract fields, any word."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("docno", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="en_stem")
    builder.add_text_field("abstract", tokenizer_name="en_stem")
    ix = tantivy.Index(builder.build())
    writer = ix.writer()
    for docno, title, abstract in docs:
        writer.add_document(tantivy.Document(docno=docno, title=title, abstract=abstract))
    writer.commit()
    ix.reload()
    searcher = ix.searcher()
    runs = {}
    for topic, text in topics:
        words = WORDS.findall(text.lower())
        if not words:
            runs[topic] = []
            continue
        found = searcher.search(ix.parse_query(" ".join(words), ["title", "abstract"]), DEPTH)
        runs[topic] = [(searcher.doc(a)["docno"][0], float(s)) for s, a in found.hits]
    return runs


def product(docs: list[Document], topics: list[tuple[str, str]], tmp: Path) -> Runs:
    """news-archive: its own indexing and any-word ranking, as ``archive eval`` runs."""
    records = tmp / "docs.jsonl"
    with records.open("w", encoding="utf-8") as out:
        for docno, title, abstract in docs:
            row = {"docno": docno, "abstract": abstract, **({"title": title} if title else {})}
            out.write(json.dumps(row) + "\n")
    store = Store.create(tmp / "index")
    store.sync(item for item in sources.read_file(records))
    try:
        with Reader(store) as reader:
            return run_topics(reader, topics, id_field="key", depth=DEPTH)
    finally:
        store.close()


def systems() -> list[tuple[str, Callable[..., Runs]]]:
    found = [("bare Whoosh", bare_whoosh), ("SQLite FTS5", fts5)]
    try:
        import tantivy  # noqa: F401

        found.append(("tantivy", tantivy_runs))
    except ImportError:
        print("tantivy is not installed: its rows are left out", file=sys.stderr)
    return [*found, ("news-archive", product)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures: dict[str, dict[str, dict[str, float]]] = {}
    print("| collection | system | MAP | P@10 | nDCG@10 | R@100 | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for folder in collections():
        topics = read_topics(folder / f"{folder.name}_queries.tsv")
        qrels = read_qrels(folder / f"{folder.name}_qrels.trec")
        for titles in (True, False):
            name = folder.name.upper() + ("" if titles else ", no titles")
            docs = documents(folder, titles)
            for system, make in systems():
                with tempfile.TemporaryDirectory() as tmp:
                    started = time.perf_counter()
                    found = evaluate(make(docs, topics, Path(tmp)), qrels)
                    seconds = time.perf_counter() - started
                means = {metric: round(found.mean(metric), 4) for metric in METRICS}
                figures.setdefault(name, {})[system] = means
                cells = " | ".join(f"{means[m]:.4f}" for m in METRICS)
                print(f"| {name} | {system} | {cells} | {seconds:.1f} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
