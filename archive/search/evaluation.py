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
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from archive.errors import ArchiveError
from archive.model import Comparison, Difference, Evaluation, Ranking, Scores, SearchRequest
from archive.search import hits
from archive.search.engine import Engine
from archive.search.prepared import Prepared
from archive.search.reader import Reader

DEPTH = 1000  # documents retrieved per topic, as in TREC runs
METRICS = ("ap", "p10", "ndcg10", "recall100")
EXACT_UP_TO = 16  # topics: up to this many, every relabelling is counted
TRIALS = 20_000  # random relabellings past that
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
    expected = "topic iteration document relevance"
    for parts in _rows(path, "qrels", expected, lambda p: p[3].lstrip("-").isdigit()):
        judged.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return judged


def _rows(
    path: Path, what: str, expected: str, valid: Callable[[list[str]], bool]
) -> Iterator[list[str]]:
    """The fields of each line of a whitespace-separated TREC file that has
    them; a line without them is an error naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        raise ArchiveError(f"cannot read {what} {path}: {err.strerror}") from err
    for number, line in enumerate(lines, 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != len(expected.split()) or not valid(parts):
            raise ArchiveError(f"{path}:{number}: expected '{expected}'")
        yield parts


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
    prepared = prepare_topics(reader, topics)
    with reader.engine() as engine:
        return rank_topics(engine, prepared, id_field, depth)


def prepare_topics(
    reader: Reader, topics: Iterable[tuple[str, str]]
) -> list[tuple[str, Prepared | None]]:
    """Each topic as an any-word request, ready to run (None: nothing searchable in it)."""
    prepared: list[tuple[str, Prepared | None]] = []
    for topic_id, text in topics:
        try:
            prepared.append((topic_id, reader.prepare(_request(text))))
        except ArchiveError:
            prepared.append((topic_id, None))
    return prepared


def _request(text: str) -> SearchRequest:
    return SearchRequest(text, any_words=True, all_copies=True)


def rank_topics(
    engine: Engine, prepared: list[tuple[str, Prepared | None]], id_field: str, depth: int
) -> dict[str, Ranking]:
    """Each prepared topic's first ``depth`` matches, best first (ties in
    index order), as the ranking of ``engine`` (and its settings) has them."""
    keys: dict[int, str] = {}  # read once per run: topics share most of their matches

    def key(docnum: int) -> str:
        if docnum not in keys:
            keys[docnum] = document_key(engine.searcher.stored_fields(docnum), id_field)
        return keys[docnum]

    runs: dict[str, Ranking] = {}
    for topic_id, request in prepared:
        docnums, scores = hits.matches(engine, request) if request else _NOTHING
        order = np.lexsort((docnums, -scores.astype(np.float64)))[:depth]
        runs[topic_id] = [(key(int(docnums[at])), float(scores[at])) for at in order]
    return runs


_NOTHING = (np.zeros(0, np.int64), np.zeros(0, np.float32))


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
    """The run in TREC format: ``topic Q0 document rank score name`` (a
    document ID with spaces, such as a record's ``line 12``, joined by '_')."""
    lines = [
        f"{topic_id} Q0 {'_'.join(doc.split())} {rank} {value:.6f} {name}"
        for topic_id, ranking in runs.items()
        for rank, (doc, value) in enumerate(ranking, 1)
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def read_run(path: Path) -> dict[str, Ranking]:
    """A run in TREC format (``topic Q0 document rank score name``), each
    topic's documents by score, best first (ties in the file's order)."""
    runs: dict[str, list[tuple[str, float]]] = {}
    expected = "topic Q0 document rank score name"
    for parts in _rows(path, "run", expected, lambda p: _is_number(p[4])):
        runs.setdefault(parts[0], []).append((parts[2], float(parts[4])))
    return {topic: sorted(ranked, key=lambda each: -each[1]) for topic, ranked in runs.items()}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def compare(ours: Evaluation, theirs: Evaluation, seed: int = 0) -> Comparison:
    """Two evaluations on the same judgements, topic by topic: per metric,
    each mean, how many topics did better and worse, and the p-value of a
    paired randomisation test (Fisher's: the sign of each topic's difference
    flipped at random; counted exactly for a few topics)."""
    topics = sorted(ours.per_query.keys() | theirs.per_query.keys())
    metrics = {}
    for name in METRICS:
        mine = np.array([_value(ours, topic, name) for topic in topics])
        other = np.array([_value(theirs, topic, name) for topic in topics])
        metrics[name] = Difference(
            float(mine.mean()) if topics else 0.0,
            float(other.mean()) if topics else 0.0,
            randomisation_p(mine - other, seed),
            int((mine > other).sum()),
            int((mine < other).sum()),
        )
    return Comparison(len(topics), metrics, 0 if len(topics) <= EXACT_UP_TO else TRIALS)


def _value(found: Evaluation, topic: str, name: str) -> float:
    scores = found.per_query.get(topic)
    return float(getattr(scores, name)) if scores is not None else 0.0


def randomisation_p(differences: np.ndarray, seed: int = 0) -> float:
    """The two-sided p-value of a mean difference this far from 0, when each
    topic's sign is equally likely either way: every relabelling counted for
    up to EXACT_UP_TO topics, else TRIALS at random (the observed one among them)."""
    n = len(differences)
    observed = abs(differences.mean()) if n else 0.0
    if n <= EXACT_UP_TO:
        every = np.arange(2**n)[:, None] >> np.arange(n) & 1
        signs = 1 - 2 * every
        means = np.abs(signs @ differences) / max(n, 1)
        return float(np.mean(means >= observed - 1e-12))
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(TRIALS, n))
    means = np.abs(signs @ differences) / n
    return float((np.sum(means >= observed - 1e-12) + 1) / (TRIALS + 1))
