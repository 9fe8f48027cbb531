"""Precision of spelling-variant folding, measured on real vocabulary.

Reads every word (4+ letters, lowercase, accents folded) of the shared
corpora, groups the words by variant key, and prints each group of two or
more different words the rules merge, with counts. A reader checks the list:
every merged group should be spellings of one word.

    python bench/variants_precision.py              # all corpora
    python bench/variants_precision.py --quick      # BBC and the seeds only
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from whoosh.support.charset import accent_map

from archive.query.variants import CURATED, variant_key

HERE = Path(__file__).resolve().parent
CORPORA = HERE.parents[1] / "shared" / "corpora"
WORD = re.compile(r"[^\W\d_]{4,}")


def texts(quick: bool) -> Iterator[str]:
    for path in sorted((CORPORA / "bbc_fulltext" / "bbc").rglob("*.txt")):
        yield path.read_text("utf-8", errors="replace")
    for path in sorted((HERE.parent / "archive" / "seeds").glob("*.txt")):
        yield path.read_text("utf-8")
    if quick:
        return
    with gzip.open(CORPORA / "reuters21578" / "reuters21578.jsonl.gz", "rt") as lines:
        for line in lines:
            row = json.loads(line)
            yield f"{row.get('title') or ''} {row.get('body') or ''}"
    huffpost = CORPORA / "huffpost_news_category" / "News_Category_Dataset_v3.first10000.jsonl"
    for line in huffpost.read_text("utf-8").splitlines():
        row = json.loads(line)
        yield f"{row['headline']} {row['short_description']}"
    yield (CORPORA / "ag_news" / "test.csv").read_text("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="BBC and the seeds only")
    args = parser.parse_args()
    counts: Counter[str] = Counter()
    for text in texts(args.quick):
        counts.update(w.lower().translate(accent_map) for w in WORD.findall(text))
    groups: dict[str, list[str]] = defaultdict(list)
    for word in counts:
        groups[variant_key(word)].append(word)
    merged = {key: sorted(words) for key, words in groups.items() if len(words) > 1}
    curated = {name for row in CURATED for name in row}
    print(f"vocabulary: {len(counts):,} distinct words of 4+ letters")
    print(f"merged groups: {len(merged):,} ({sum(map(len, merged.values())):,} words)")
    print(f"  from the curated table: {sum(1 for w in merged.values() if set(w) & curated)}")
    for key, words in sorted(merged.items()):
        print(f"  {key:<22} " + ", ".join(f"{w} ({counts[w]})" for w in words))


if __name__ == "__main__":
    main()
