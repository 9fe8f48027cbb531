"""Ranking changes chosen by leaving one collection out.

Each candidate change has a few settings (archive.search.engine.Settings).
For each collection in turn, the setting that does best on the other two
(the mean of their MAP and nDCG@10, each as a ratio to the current default)
is measured on the one left out. A change is kept only if it helps on every
collection left out; then its setting is the one that does best on all
three, and the next candidate starts from it. Each collection is indexed
once (cached in bench/out/tune/) and its topics prepared once; only the
ranking runs again.

    python bench/tune.py                      # every candidate, in order
    python bench/tune.py --only proximity     # some of them
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval as collections_eval
import numpy as np

from archive import sources
from archive.index.store import Store
from archive.model import Evaluation
from archive.search import engine as ranking
from archive.search.evaluation import (
    compare,
    evaluate,
    prepare_topics,
    randomisation_p,
    rank_topics,
    read_qrels,
    read_topics,
)
from archive.search.reader import Reader

OUT = Path(__file__).resolve().parent / "out" / "tune"
NAMES = ("cacm", "cisi", "cranfield")
Settings = ranking.Settings
# Where the candidates start: the ranking as it was before them.
EARLIER = replace(ranking.DEFAULT, plain_weight=1.0)


def b(title: float, body: float) -> dict[str, float]:
    return {"title": title, "body": body}


# Each candidate: its settings, as changes to the settings in force when it is tried.
CANDIDATES: dict[str, list[dict[str, object]]] = {
    "plain words": [{"plain_weight": w} for w in (0.001, 0.1, 0.3)],
    "proximity": [{"proximity": w} for w in (0.25, 0.5, 1.0, 2.0)],
    "proximity of adjacent words": [
        {"proximity": w, "proximity_pairs": "adjacent"} for w in (0.25, 0.5, 1.0, 2.0)
    ],
    "rm3": [
        {"feedback": "rm3", "feedback_keep": keep, "feedback_words": words}
        for keep in (0.5, 0.7, 0.8)
        for words in (10, 20)
    ],
    "feedback filter": [{"feedback_in": 2}, {"feedback_in": 3}],
    "feedback articles": [{"feedback_articles": n} for n in (3, 5, 20)],
    "feedback words": [{"feedback_words": n} for n in (5, 20, 30)],
    "bo1 weight": [{"feedback_weight": w} for w in (0.2, 0.4, 0.5)],
    "b per field": [
        {"b": b(t, body)}
        for t in (0.3, 0.5, 0.75)
        for body in (0.5, 0.75, 0.9)
        if (t, body) != (0.75, 0.75)
    ],
    "stronger stems": [
        {"strong_stems": n, "strong_weight": w} for n, w in ((5, 0.3), (6, 0.3), (6, 0.5), (7, 0.3))
    ],
    "k1": [{"k1": k} for k in (0.9, 1.5)],
}


@dataclass
class Collection:
    name: str
    engine: ranking.Engine
    prepared: list
    qrels: dict[str, dict[str, int]]

    def run(self, settings: Settings) -> Evaluation:
        self.engine.settings = settings
        return evaluate(rank_topics(self.engine, self.prepared, "key", 1000), self.qrels)


def index(name: str, titles: bool = True) -> Path:
    """The collection's index (built once, then kept in bench/out/tune)."""
    folder = collections_eval.CORPORA / name
    path = OUT / (name if titles else f"{name}-no-titles")
    if (path / "done").exists():
        return path
    path.mkdir(parents=True, exist_ok=True)
    records = path / "docs.jsonl"
    collections_eval.write_records(collections_eval.documents(folder, titles), records)
    store = Store.create(path / "index")
    store.sync(item for item in sources.read_file(records))
    store.close()
    (path / "done").write_text("")
    return path


@contextmanager
def opened(names: tuple[str, ...], titles: bool = True) -> Iterator[list[Collection]]:
    with ExitStack() as stack:
        found = []
        for name in names:
            folder = collections_eval.CORPORA / name
            reader = stack.enter_context(Reader.open(index(name, titles) / "index"))
            prepared = prepare_topics(reader, read_topics(folder / f"{name}_queries.tsv"))
            engine = stack.enter_context(reader.engine())
            found.append(
                Collection(name, engine, prepared, read_qrels(folder / f"{name}_qrels.trec"))
            )
        yield found


def figures(found: Evaluation) -> tuple[float, float]:
    return found.mean("ap"), found.mean("ndcg10")


def gain(found: Evaluation, base: Evaluation) -> float:
    """The mean of MAP and nDCG@10 as ratios to the base's."""
    (ap, ndcg), (ap0, ndcg0) = figures(found), figures(base)
    return (ap / ap0 + ndcg / ndcg0) / 2


@dataclass
class Fold:
    """One collection left out: the setting chosen on the other two, measured on it."""

    left_out: str
    label: str
    found: Evaluation
    base: Evaluation

    @property
    def change(self) -> float:
        return gain(self.found, self.base) - 1

    def differences(self) -> list[float]:
        """Per judged topic, the change of its average precision."""
        return [
            self.found.per_query[topic].ap - scores.ap
            for topic, scores in self.base.per_query.items()
        ]


def fold(
    name: str, results: dict[str, list[Evaluation]], bases: dict[str, Evaluation], out: str
) -> Fold:
    train = [other for other in bases if other != out]
    means = [
        sum(gain(results[t][i], bases[t]) for t in train) / len(train)
        for i in range(len(CANDIDATES[name]))
    ]
    best = max(range(len(means)), key=means.__getitem__)
    if means[best] <= 1:  # nothing helps the other two: no change
        return Fold(out, "(no change)", bases[out], bases[out])
    return Fold(out, json.dumps(CANDIDATES[name][best]), results[out][best], bases[out])


def try_candidate(name: str, base: Settings, collections: list[Collection]) -> Settings:
    """One candidate, each collection left out in turn; the settings after it.
    Kept if it helps every collection left out, and the held-out topics
    pooled show it (MAP, paired randomisation test, p < 0.05)."""
    tried = [replace(base, **changes) for changes in CANDIDATES[name]]
    results = {c.name: [c.run(s) for s in tried] for c in collections}
    bases = {c.name: c.run(base) for c in collections}
    folds = [fold(name, results, bases, c.name) for c in collections]
    pooled = randomisation_p(np.array([d for f in folds for d in f.differences()]))
    kept = all(f.change > 0 for f in folds) and pooled < 0.05
    print(
        f"\n## {name}: {'kept' if kept else 'not kept'} (held-out topics pooled: p {pooled:.3f})\n"
    )
    print("| left out | chosen on the other two | MAP | nDCG@10 | held-out change | p (MAP) |")
    print("|---|---|---:|---:|---:|---:|")
    for f in folds:
        ap, ndcg = figures(f.found)
        p = compare(f.found, f.base).metrics["ap"].p_value
        print(f"| {f.left_out} | {f.label} | {ap:.4f} | {ndcg:.4f} | {f.change:+.2%} | {p:.3f} |")
    return best_everywhere(name, tried, results, bases) if kept else base


def best_everywhere(
    name: str,
    tried: list[Settings],
    results: dict[str, list[Evaluation]],
    bases: dict[str, Evaluation],
) -> Settings:
    """The setting that does best on all the collections."""
    means = [
        sum(gain(results[c][i], bases[c]) for c in bases) / len(bases) for i in range(len(tried))
    ]
    best = max(range(len(tried)), key=means.__getitem__)
    print(f"\non all of them, best {CANDIDATES[name][best]} ({means[best] - 1:+.2%}):")
    for c in bases:
        print(f"  {c}: MAP, nDCG@10 {figures(bases[c])} -> {figures(results[c][best])}")
    return tried[best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=list(CANDIDATES), help="these candidates")
    args = parser.parse_args()
    settings = EARLIER
    started = time.perf_counter()
    with opened(NAMES) as collections:
        for name in args.only or CANDIDATES:
            settings = try_candidate(name, settings, collections)
    print(f"\nsettings after: {settings}  ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
