"""The cost of an any-word query: a page of ten hits with snippets.

Builds (once, cached under bench/out/) an index of the first N Reuters-21578
stories, then runs natural-language any-word queries as the command line
does (``search --any``: prepared, matched, ranked with feedback, the page's
snippets made) and reports the median and mean per query. It uses only the
reader's public door, so the same script measures any version of the code:

    python bench/anyword_speed.py                    # 12,000 stories, 20 rounds
    PYTHONPATH=/path/to/an/earlier/checkout python bench/anyword_speed.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from preview_latency import HERE, reuters

from archive.index.store import Store
from archive.model import SearchRequest
from archive.search.reader import Reader

QUERIES = [
    "oil prices opec",
    "what did the bank of japan do about interest rates",
    "grain shipments to the soviet union",
    "coffee export quota talks",
    "takeover bid for the shareholders of a bank",
    "trade deficit with japan",
    "gold mine production",
    "dollar falls against the yen",
]


def build(size: int) -> Store:
    """The index of the first ``size`` stories (made once, then kept)."""
    path = HERE / "out" / f"anyword-{size}"
    done = path / "built"
    store = Store.open_or_create(path)
    if not done.exists():
        store.sync(reuters(size))
        done.write_text(str(size))
    return store


def timed(reader: Reader, text: str) -> float:
    started = time.perf_counter()
    reader.search(reader.prepare(SearchRequest(text, any_words=True)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=12_000, help="stories to index")
    parser.add_argument("--rounds", type=int, default=20, help="runs of every query")
    args = parser.parse_args()
    store = build(args.size)
    with Reader(store) as reader:
        for text in QUERIES:
            timed(reader, text)  # warm: the searcher, its arrays, the spelling variants
        per_query = {text: [timed(reader, text) for _ in range(args.rounds)] for text in QUERIES}
    store.close()
    every = [value * 1000 for values in per_query.values() for value in values]
    code = Path(sys.modules["archive"].__file__ or "").parent.parent
    print(
        f"{store.ix.doc_count():,} articles, {len(QUERIES)} queries x {args.rounds} rounds ({code})"
    )
    for text, values in per_query.items():
        print(f"  {statistics.median(values) * 1000:6.2f} ms  {text}")
    print(f"median {statistics.median(every):.2f} ms, mean {statistics.mean(every):.2f} ms")


if __name__ == "__main__":
    main()
