"""Ranking quality on CACM: the product against bare Whoosh and SQLite FTS5.

All three index the same 3,204 CACM documents (title and abstract), run the
same 64 queries (52 judged) as any-word queries, and are scored by the same
code (archive.search.evaluation: MAP, P@10, nDCG@10, recall@100).

    python bench/eval_cacm.py
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import time
from pathlib import Path

from whoosh import fields, index, qparser
from whoosh.analysis import StemmingAnalyzer

from archive import sources
from archive.index.store import Store
from archive.search.evaluation import Evaluation, evaluate, read_qrels, read_topics, run_topics

CACM = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "cacm"
DOCS, TOPICS, QRELS = (
    CACM / "cacm_docs.jsonl",
    CACM / "cacm_queries.tsv",
    CACM / "cacm_qrels.trec",
)
DEPTH = 1000


def documents() -> list[tuple[str, str, str]]:
    rows = [json.loads(line) for line in DOCS.read_text("utf-8").splitlines()]
    return [(r["docno"], r["title"], r.get("abstract") or "") for r in rows]


def bare_whoosh(folder: Path) -> dict[str, list[tuple[str, float]]]:
    """Whoosh out of the box: StemmingAnalyzer, BM25F, one writer, any word."""
    schema = fields.Schema(
        docno=fields.ID(stored=True),
        title=fields.TEXT(analyzer=StemmingAnalyzer()),
        abstract=fields.TEXT(analyzer=StemmingAnalyzer()),
    )
    ix = index.create_in(str(folder), schema)
    with ix.writer() as writer:
        seen: set[str] = set()
        for docno, title, abstract in documents():
            key = docno if docno not in seen else f"{docno}-dup"
            seen.add(docno)
            writer.add_document(docno=key, title=title, abstract=abstract)
    parser = qparser.MultifieldParser(["title", "abstract"], schema, group=qparser.OrGroup)
    runs = {}
    with ix.searcher() as searcher:
        for topic, text in read_topics(TOPICS):
            query = parser.parse(text)
            found = searcher.search(query, limit=DEPTH)
            runs[topic] = [(hit["docno"], float(hit.score)) for hit in found]
    return runs


def fts5() -> dict[str, list[tuple[str, float]]]:
    """SQLite FTS5 with the porter tokenizer, ranked by its bm25(), any word."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(docno UNINDEXED, title, abstract, "
        "tokenize='porter unicode61')"
    )
    db.executemany("INSERT INTO docs VALUES (?, ?, ?)", documents())
    runs = {}
    for topic, text in read_topics(TOPICS):
        words = re.findall(r"\w+", text.lower())
        match = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute(
            "SELECT docno, bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
            (match, DEPTH),
        ).fetchall()
        runs[topic] = [(docno, -score) for docno, score in rows]
    return runs


def product(folder: Path) -> dict[str, list[tuple[str, float]]]:
    store = Store.create(folder)
    store.sync(item for item in sources.read_file(DOCS))
    return run_topics(store, read_topics(TOPICS), id_field="key", depth=DEPTH)


def row(name: str, found: Evaluation, seconds: float) -> str:
    metrics = [found.mean(m) for m in ("ap", "p10", "ndcg10", "recall100")]
    return f"| {name} | " + " | ".join(f"{m:.4f}" for m in metrics) + f" | {seconds:.1f} s |"


def main() -> None:
    qrels = read_qrels(QRELS)
    print("| system | MAP | P@10 | nDCG@10 | R@100 | index + run |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in (
            ("bare Whoosh BM25F (StemmingAnalyzer, OR)", lambda: bare_whoosh(Path(tmp, "w"))),
            ("SQLite FTS5 bm25 (porter, OR)", fts5),
            ("news-archive (default any-word ranking)", lambda: product(Path(tmp, "p"))),
        ):
            Path(tmp, "w").mkdir(exist_ok=True)
            started = time.perf_counter()
            runs = make()
            print(row(name, evaluate(runs, qrels), time.perf_counter() - started), flush=True)


if __name__ == "__main__":
    main()
