"""Ranking quality on every test collection with judgements, against the
strongest references: bare Whoosh, SQLite FTS5 and tantivy.

Each collection in ../shared/corpora that has ``<name>_docs.jsonl``,
``<name>_queries.tsv`` and ``<name>_qrels.trec`` (CACM, CISI and Cranfield
today, any added later too) is indexed by each system, on the same documents
(title and abstract), and its queries run as any-word queries. Each
collection is also run with its titles folded into the text ("no titles"),
as news arrives without headlines. Every run is scored by the same code as
``archive eval`` (MAP, P@10, nDCG@10, recall@100, over the judged queries).
The baselines are set up as their documentation shows them: Whoosh with
``OrGroup.factory(0.9)`` and BM25F, FTS5 with title and abstract columns and
``bm25(docs, 2.0, 1.0)`` (and, stronger on CACM, as one column with plain
``bm25()``), tantivy with title and abstract fields. Last, the archive's mean
over the collections and its worst ratio to the stronger FTS5.

    python bench/eval.py                 # the table
    python bench/eval.py --json FILE     # also the figures, for bench/EVAL.json
    python bench/eval.py --earlier       # also Whoosh as run before (a plain OrGroup)

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
from typing import Any

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
    """Whoosh as its documentation shows any-word search: StemmingAnalyzer,
    title and abstract fields, BM25F, ``OrGroup.factory(0.9)`` (an article
    holding more of the words first)."""
    return _whoosh(docs, topics, tmp, qparser.OrGroup.factory(0.9))


def bare_whoosh_plain_or(docs: list[Document], topics: list[tuple[str, str]], tmp: Path) -> Runs:
    """The earlier baseline: the same with a plain ``OrGroup``."""
    return _whoosh(docs, topics, tmp, qparser.OrGroup)


def _whoosh(docs: list[Document], topics: list[tuple[str, str]], tmp: Path, group: Any) -> Runs:
    schema = fields.Schema(
        docno=fields.ID(stored=True),
        title=fields.TEXT(analyzer=StemmingAnalyzer()),
        abstract=fields.TEXT(analyzer=StemmingAnalyzer()),
    )
    ix = index.create_in(str(tmp), schema)
    with ix.writer() as writer:
        for docno, title, abstract in docs:
            writer.add_document(docno=docno, title=title, abstract=abstract)
    parser = qparser.MultifieldParser(["title", "abstract"], schema, group=group)
    runs = {}
    with ix.searcher() as searcher:
        for topic, text in topics:
            query = parser.parse(" ".join(WORDS.findall(text.lower())))
            runs[topic] = [
                (h["docno"], float(h.score)) for h in searcher.search(query, limit=DEPTH)
            ]
    return runs


def fts5(docs: list[Document], topics: list[tuple[str, str]], tmp: Path) -> Runs:
    """SQLite FTS5 as its documentation shows it: porter unicode61, title and
    abstract columns, ``bm25(docs, 2.0, 1.0)`` (a title match weighs double), any word."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, abstract, tokenize='porter unicode61')")
    db.executemany(
        "INSERT INTO docs(rowid, title, abstract) VALUES (?, ?, ?)",
        ((row, title, abstract) for row, (_, title, abstract) in enumerate(docs)),
    )
    return _fts5_runs(db, [docno for docno, _, _ in docs], topics, "bm25(docs, 2.0, 1.0)")


def fts5_one_column(docs: list[Document], topics: list[tuple[str, str]], tmp: Path) -> Runs:
    """The earlier baseline: title and abstract as one text, unweighted ``bm25()``."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(text, tokenize='porter unicode61')")
    db.executemany(
        "INSERT INTO docs(rowid, text) VALUES (?, ?)",
        ((row, f"{title}. {abstract}") for row, (_, title, abstract) in enumerate(docs)),
    )
    return _fts5_runs(db, [docno for docno, _, _ in docs], topics, "bm25(docs)")


def _fts5_runs(
    db: sqlite3.Connection, docnos: list[str], topics: list[tuple[str, str]], rank: str
) -> Runs:
    runs = {}
    for topic, text in topics:
        match = " OR ".join(f'"{w}"' for w in WORDS.findall(text.lower()))
        sql = f"SELECT rowid, {rank} FROM docs WHERE docs MATCH ? ORDER BY {rank} LIMIT ?"
        rows = db.execute(sql, (match, DEPTH)).fetchall() if match else []
        runs[topic] = [(docnos[row], -score) for row, score in rows]
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


def write_records(docs: list[Document], records: Path) -> None:
    """The documents as JSON Lines records, as ``archive index`` reads them."""
    with records.open("w", encoding="utf-8") as out:
        for docno, title, abstract in docs:
            row = {"docno": docno, "abstract": abstract, **({"title": title} if title else {})}
            out.write(json.dumps(row) + "\n")


def product(docs: list[Document], topics: list[tuple[str, str]], tmp: Path) -> Runs:
    """news-archive: its own indexing and any-word ranking, as ``archive eval`` runs."""
    records = tmp / "docs.jsonl"
    write_records(docs, records)
    store = Store.create(tmp / "index")
    store.sync(item for item in sources.read_file(records))
    try:
        with Reader(store) as reader:
            return run_topics(reader, topics, id_field="key", depth=DEPTH)
    finally:
        store.close()


FTS5 = "SQLite FTS5"
FTS5_ONE = "SQLite FTS5, one column"
PRODUCT = "news-archive"
# The baselines as their documentation shows them; FTS5 also as this script
# ran it before (one column, unweighted), which is stronger on CACM; and
# Whoosh as it ran before, with --earlier (no stronger anywhere).
BASELINES = [("bare Whoosh", bare_whoosh), (FTS5, fts5), (FTS5_ONE, fts5_one_column)]
EARLIER = [("bare Whoosh, OrGroup", bare_whoosh_plain_or)]


def systems(earlier: bool) -> list[tuple[str, Callable[..., Runs]]]:
    found = [*BASELINES, *(EARLIER if earlier else [])]
    try:
        import tantivy  # noqa: F401

        found.append(("tantivy", tantivy_runs))
    except ImportError:
        print("tantivy is not installed: its rows are left out", file=sys.stderr)
    return [*found, (PRODUCT, product)]


Figures = dict[str, dict[str, dict[str, float]]]  # collection -> system -> metric -> mean


def measure(folder: Path, titles: bool, earlier: bool, figures: Figures) -> None:
    """Every system on one collection, a row each."""
    topics = read_topics(folder / f"{folder.name}_queries.tsv")
    qrels = read_qrels(folder / f"{folder.name}_qrels.trec")
    name = folder.name.upper() + ("" if titles else ", no titles")
    docs = documents(folder, titles)
    for system, make in systems(earlier):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            found = evaluate(make(docs, topics, Path(tmp)), qrels)
            seconds = time.perf_counter() - started
        means = {metric: round(found.mean(metric), 4) for metric in METRICS}
        figures.setdefault(name, {})[system] = means
        cells = " | ".join(f"{means[m]:.4f}" for m in METRICS)
        print(f"| {name} | {system} | {cells} | {seconds:.1f} |", flush=True)


def stronger_fts5(found: dict[str, dict[str, float]], metric: str) -> float:
    """The stronger of FTS5's two forms on one collection."""
    return max(found[FTS5][metric], found[FTS5_ONE][metric])


def summary(figures: Figures) -> None:
    """The product's mean over the collections (as given), and its worst
    ratio to the stronger FTS5 on MAP and nDCG@10 over every collection."""
    given = [name for name in figures if "," not in name]
    print()
    for metric in ("ap", "ndcg10"):
        mean = sum(figures[name][PRODUCT][metric] for name in given) / len(given)
        base = sum(stronger_fts5(figures[name], metric) for name in given) / len(given)
        ratios = {
            name: found[PRODUCT][metric] / stronger_fts5(found, metric)
            for name, found in figures.items()
        }
        worst = min(ratios, key=ratios.__getitem__)
        print(
            f"{METRIC_NAMES[metric]}: mean over {len(given)} collections {mean:.4f} "
            f"({mean / base:.3f}x the stronger FTS5's {base:.4f}); "
            f"worst ratio to it {ratios[worst]:.3f}x ({worst})"
        )


METRIC_NAMES = {"ap": "MAP", "p10": "P@10", "ndcg10": "nDCG@10", "recall100": "R@100"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--earlier", action="store_true", help="also run the baselines as they were run before"
    )
    parser.add_argument("--only", nargs="*", help="only these collections (cacm, cisi, ...)")
    args = parser.parse_args()
    figures: Figures = {}
    print("| collection | system | MAP | P@10 | nDCG@10 | R@100 | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for folder in collections():
        if args.only and folder.name not in args.only:
            continue
        for titles in (True, False):
            measure(folder, titles, args.earlier, figures)
    summary(figures)
    if args.json:
        kept = {
            name: {s: m for s, m in found.items() if s in dict(systems(False))}
            for name, found in figures.items()
        }
        args.json.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
