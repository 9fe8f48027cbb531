"""Ranking quality on test collections, measured the way trec_eval does.

Topics (``id<TAB>text`` lines, or TREC ``<top>`` files) are run against the
index as natural-language queries with the product's own any-word ranking;
the ranked lists are scored against relevance judgements (TREC qrels:
``qid iteration docid relevance``) with MAP, P@10, nDCG@10 and recall@100.
Only judged topics are scored, as trec_eval does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

from archive.errors import ArchiveError
from archive.model import Evaluation, Ranking, Scores, SearchRequest
from archive.search.reader import Reader

DEPTH = 1000  # documents retrieved per topic, as in TREC runs
_TREC_TOPIC = re.compile(
    r"<top>.*?<num>\s*(?:Number:)?\s*(?P<id>\S+).*?<title>\s*(?:Topic:)?(?P<text>.*?)"
    r"(?=<desc>|<narr>|</top>)",
    re.S | re.I,
)


def read_topics(path: Path) -> list[tuple[str, str]]:
    """Topics from a TSV (``id<TAB>text``) or a TREC topic file."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise ArchiveError(f"cannot read topics {path}: {err.strerror}") from err
    if "<top>" in text.lower():
        topics = [(m["id"], " ".join(m["text"].split())) for m in _TREC_TOPIC.finditer(text)]
    else:
        topics = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            topic_id, tab, query = line.partition("\t")
            if not tab or not query.strip():
                raise ArchiveError(f"{path}:{number}: expected 'id<TAB>text'")
            topics.append((topic_id.strip(), query.strip()))
    if not topics:
        raise ArchiveError(f"no topics found in {path}")
    return topics


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Judgements: topic -> document -> relevance grade (0 is not relevant)."""
    judged: dict[str, dict[str, int]] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        raise ArchiveError(f"cannot read qrels {path}: {err.strerror}") from err
    for number, line in enumerate(lines, 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4 or not parts[3].lstrip("-").isdigit():
            raise ArchiveError(f"{path}:{number}: expected 'topic iteration document relevance'")
        judged.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return judged


def document_key(fields: dict[str, object], id_field: str) -> str:
    """The ID a collection's judgements use for a document.

    ``key`` is the record's own ID (CACM's docno): the part of its origin
    after '#'. Any other name is a stored field (``id`` is the archive's ID).
    """
    if id_field == "key":
        origin = str(fields.get("origin", ""))
        return origin.rsplit("#", 1)[-1]
    return str(fields.get(id_field, ""))


def run_topics(
    reader: Reader, topics: Iterable[tuple[str, str]], id_field: str = "key", depth: int = DEPTH
) -> dict[str, Ranking]:
    """Each topic's ranked documents, by the product's any-word ranking."""
    runs: dict[str, Ranking] = {}
    for topic_id, text in topics:
        try:
            prepared = reader.prepare(SearchRequest(text, any_words=True, all_copies=True))
        except ArchiveError:
            runs[topic_id] = []  # nothing searchable in it: an empty ranking
            continue
        ranked = reader.ranked(prepared, depth)
        runs[topic_id] = [(document_key(fields, id_field), value) for fields, value in ranked]
    return runs


def score(ranking: Ranking, judgements: dict[str, int]) -> Scores:
    relevant = {doc for doc, grade in judgements.items() if grade > 0}
    ranked = [doc for doc, _ in ranking]
    hits, precision_sum = 0, 0.0
    for rank, doc in enumerate(ranked, 1):
        if doc in relevant:
            hits += 1
            precision_sum += hits / rank
    ap = precision_sum / len(relevant) if relevant else 0.0
    p10 = sum(1 for doc in ranked[:10] if doc in relevant) / 10
    gains = [max(judgements.get(doc, 0), 0) for doc in ranked[:10]]
    dcg = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, 1))
    ideal = sorted((g for g in judgements.values() if g > 0), reverse=True)[:10]
    idcg = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(ideal, 1))
    recall = sum(1 for doc in ranked[:100] if doc in relevant) / len(relevant) if relevant else 0.0
    return Scores(ap, p10, dcg / idcg if idcg else 0.0, recall, len(relevant), len(ranked))


def evaluate(runs: dict[str, Ranking], qrels: dict[str, dict[str, int]]) -> Evaluation:
    result = Evaluation(runs=runs)
    for topic_id, ranking in runs.items():
        judged = qrels.get(topic_id)
        if not judged or not any(grade > 0 for grade in judged.values()):
            result.unjudged.append(topic_id)
            continue
        result.per_query[topic_id] = score(ranking, judged)
    return result


def trec_run(runs: dict[str, Ranking], name: str = "news-archive") -> str:
    """The run in TREC format: ``topic Q0 document rank score name``."""
    lines = [
        f"{topic_id} Q0 {doc} {rank} {value:.6f} {name}"
        for topic_id, ranking in runs.items()
        for rank, (doc, value) in enumerate(ranking, 1)
    ]
    return "\n".join(lines) + ("\n" if lines else "")
