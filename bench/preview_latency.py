"""Keystroke-to-preview latency of the shell's search-as-you-type.

Builds (once, cached under bench/out/) an index of the first N Reuters-21578
stories from ../shared/corpora, then "types" real queries into the shell's
own Previewer one character at a time and records, for every keystroke that
produced a preview, the time from the keystroke to the result.

    python bench/preview_latency.py            # 20,000 stories
    python bench/preview_latency.py --quick    # 2,000 stories, fewer rounds

Typing is simulated twice: at a steady human pace (one key every 120 ms, so
every keystroke is previewed) and as a burst (no pause, so the worker
coalesces and only some keystrokes are previewed). As in the shell, one
previewer (and its open searcher) serves a whole round of queries.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from archive.index.store import Store
from archive.model import Article
from archive.search.reader import Reader
from archive.shell.preview import Previewer

HERE = Path(__file__).resolve().parent
REUTERS = HERE.parents[1] / "shared" / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"
QUERIES = [
    "oil prices opec",
    "coffee export quota",
    "bank of japan interest rates",
    "grain shipments to the soviet union",
    "dollar yen currency",
    "takeover bid shareholders",
    "trade deficit",
    '"federal reserve"',
    "wheat OR corn",
    "gold mine",
]


def reuters(limit: int) -> Iterator[Article]:
    """The first ``limit`` stories with a title or a body, in file order."""
    count = 0
    with gzip.open(REUTERS, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            title = (row.get("title") or "").strip()
            body = (row.get("body") or "").strip() or title
            if not body:
                continue
            date = datetime.fromisoformat(row["date"]) if row.get("date") else None
            yield Article(
                id=f"reuters-{row['newid']}",
                title=title or body[:80],
                body=body,
                origin=f"reuters:{row['newid']}",
                date=date,
            )
            count += 1
            if count == limit:
                return


def build(size: int) -> Store:
    path = HERE / "out" / f"reuters-{size}"
    started = time.perf_counter()
    store = Store.open_or_create(path)
    if store.ix.doc_count() == size:
        return store  # built by an earlier run
    store.sync(reuters(size))
    print(f"built {size:,} stories in {time.perf_counter() - started:.1f} s -> {path}")
    return store


def type_queries(store: Store, pause: float, rounds: int) -> tuple[list[float], int]:
    """Latencies (seconds) of the previews produced, and the keystrokes typed."""
    latencies: list[float] = []
    keys = 0
    for _ in range(rounds):
        # One previewer per round, as a shell keeps one for the whole session.
        previewer = Previewer(Reader(store))
        for query in QUERIES:
            for end in range(1, len(query) + 1):
                previewer.submit(query[:end])
                keys += 1
                if pause:
                    time.sleep(pause)
            previewer.wait()
        previewer.close()
        latencies += previewer.latencies
    return latencies, keys


def report(label: str, latencies: list[float], keys: int) -> None:
    ms = sorted(value * 1000 for value in latencies)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(
        f"{label:<22} keystrokes {keys:>5}  previews {len(ms):>5}  "
        f"median {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 stories, one round")
    parser.add_argument("--size", type=int, default=None, help="stories to index")
    args = parser.parse_args()
    size = args.size or (2_000 if args.quick else 20_000)
    rounds = 1 if args.quick else 3
    store = build(size)
    print(f"index: {store.path} ({store.ix.doc_count():,} articles)")
    report("human pace (120 ms)", *type_queries(store, 0.120, rounds))
    report("burst (no pause)", *type_queries(store, 0.0, rounds))


if __name__ == "__main__":
    main()
