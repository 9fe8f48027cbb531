"""A deterministic benchmark corpus of real news, at any size up to about 130,000.

Built from ../shared/corpora:

- real items as they are: HuffPost headlines with their descriptions, AG News
  items, and the Reuters-21578 stories of fewer than six sentences;
- short real news items: every BBC article and every longer Reuters story is
  split into groups of consecutive sentences (at least 15 words a group).

No text appears twice (an item whose text was already used is dropped: the
BBC set holds byte copies). The items are shuffled with a fixed seed and a
corpus of N items is the first N, so a smaller corpus is part of a larger
one. Items are written as JSON Lines files of 1,000 items each, a layout an
archive of exports would have.

For sizes beyond that (``bench/scale.py --large``: 500,000 and 1,000,000),
``large_items`` recombines the corpora's sentence groups with a fixed seed.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
SEED = 1987
MIN_GROUP_WORDS = 15
LONG_SENTENCES = 6  # Reuters stories with this many sentences or more are split
PER_FILE = 1000
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"']?\s+(?=[\"'A-Z0-9])")

Item = dict[str, str]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(re.sub(r"\s+", " ", text)) if s.strip()]


def groups(parts: list[str]) -> list[str]:
    """Consecutive sentences joined until each group has MIN_GROUP_WORDS words."""
    out: list[str] = []
    current: list[str] = []
    for sentence in parts:
        current.append(sentence)
        if sum(len(s.split()) for s in current) >= MIN_GROUP_WORDS:
            out.append(" ".join(current))
            current = []
    if current:
        if out:
            out[-1] += " " + " ".join(current)
        else:
            out.append(" ".join(current))
    return out


def huffpost() -> Iterator[Item]:
    path = CORPORA / "huffpost_news_category" / "News_Category_Dataset_v3.first10000.jsonl"
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            row = json.loads(line)
            yield {
                "id": f"huffpost-{n}",
                "title": row["headline"],
                "body": row["short_description"],
                "date": row["date"],
                "authors": row["authors"],
                "url": row["link"],
                "source": "HuffPost",
            }


def ag_news() -> Iterator[Item]:
    text = (CORPORA / "ag_news" / "test.csv").read_text(encoding="utf-8")
    for n, row in enumerate(csv.reader(io.StringIO(text))):
        yield {
            "id": f"agnews-{n}",
            "title": row[1],
            "body": row[2].replace("\\", " "),
            "source": "AG News",
        }


def reuters() -> Iterator[Item]:
    path = CORPORA / "reuters21578" / "reuters21578.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            body = row.get("body") or ""
            parts = sentences(body)
            base = {"date": row.get("date") or "", "source": "Reuters"}
            if len(parts) < LONG_SENTENCES:
                title = row.get("title") or ""
                yield {**base, "id": f"reuters-{row['newid']}", "title": title, "body": body}
                continue
            for k, group in enumerate(groups(parts)):
                yield {**base, "id": f"reuters-{row['newid']}-{k}", "title": "", "body": group}


def bbc() -> Iterator[Item]:
    for path in sorted((CORPORA / "bbc_fulltext" / "bbc").rglob("*.txt")):
        text = path.read_bytes().decode("latin-1")
        _, _, body = text.partition("\n")
        name = f"{path.parent.name}-{path.stem}"
        for k, group in enumerate(groups(sentences(body))):
            yield {"id": f"bbc-{name}-{k}", "title": "", "body": group, "source": "BBC News"}


def all_items() -> list[Item]:
    """Every usable item, each text once, in the fixed shuffled order."""
    seen: set[bytes] = set()
    items: list[Item] = []
    for source in (huffpost(), ag_news(), reuters(), bbc()):
        for item in source:
            text = f"{item['title']}\n{item.get('body', '')}".strip()
            key = hashlib.blake2b(text.encode("utf-8"), digest_size=12).digest()
            if not text or key in seen:
                continue
            seen.add(key)
            items.append(item)
    random.Random(SEED).shuffle(items)
    return items


LARGE_SEED = 2026


def large_items(count: int) -> list[Item]:
    """``count`` items (beyond what the corpora hold) recombined from their
    sentence groups: each item joins two or three groups of real sentences,
    drawn with a fixed seed, under the headline of a real item when the first
    group came from one, and the date of the item the first group came from.
    The same ``count`` gives the same items; a smaller one is part of a larger."""
    base = all_items()
    pieces = [
        (item, group)
        for item in base
        for group in groups(sentences(item.get("body", ""))) or [item.get("title", "")]
        if group
    ]
    rng = random.Random(LARGE_SEED)
    items: list[Item] = []
    for n in range(count):
        first, text = pieces[rng.randrange(len(pieces))]
        more = [pieces[rng.randrange(len(pieces))][1] for _ in range(rng.randint(1, 2))]
        items.append(
            {
                "id": f"mix-{n}",
                "title": first.get("title", ""),
                "body": " ".join([text, *more]),
                "date": first.get("date", ""),
                "source": first.get("source", ""),
            }
        )
    return items


def write(items: list[Item], folder: Path) -> Path:
    """Write ``items`` as JSON Lines files of PER_FILE items under ``folder``."""
    if (folder / ".complete").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(items), PER_FILE):
        with (folder / f"part-{start // PER_FILE:04d}.jsonl").open("w", encoding="utf-8") as out:
            for item in items[start : start + PER_FILE]:
                out.write(json.dumps(item, ensure_ascii=False) + "\n")
    (folder / ".complete").write_text(str(len(items)), encoding="utf-8")
    return folder


def read(folder: Path) -> Iterator[Item]:
    for path in sorted(folder.glob("part-*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)
