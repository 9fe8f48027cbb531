"""Ranking evaluation: metrics checked by hand, and a tiny collection end to end."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import Ran

from archive.errors import ArchiveError
from archive.search.evaluation import (
    compare,
    evaluate,
    randomisation_p,
    read_qrels,
    read_run,
    read_topics,
    score,
    trec_run,
)

Run = Callable[..., Ran]


def test_metrics_by_hand() -> None:
    ranking = [("d1", 4.0), ("d2", 3.0), ("d3", 2.0), ("d4", 1.0)]
    found = score(ranking, {"d1": 1, "d3": 1, "d2": 0})
    assert found.ap == pytest.approx((1 / 1 + 2 / 3) / 2)  # 0.8333
    assert found.p10 == pytest.approx(0.2)
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert found.ndcg10 == pytest.approx(dcg / ideal)  # 0.9197
    assert found.recall100 == 1.0
    missing = score(ranking, {"d1": 1, "d9": 1})  # one relevant document never retrieved
    assert (missing.ap, missing.recall100) == (pytest.approx(0.5), 0.5)


def test_graded_judgements_weigh_ndcg() -> None:
    ranking = [("a", 2.0), ("b", 1.0)]
    found = score(ranking, {"a": 1, "b": 2})
    dcg = 1 / math.log2(2) + 2 / math.log2(3)
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    assert found.ndcg10 == pytest.approx(dcg / ideal)


def test_unjudged_topics_are_not_scored() -> None:
    result = evaluate({"1": [("a", 1.0)], "2": [("b", 1.0)]}, {"1": {"a": 1}})
    assert list(result.per_query) == ["1"] and result.unjudged == ["2"]
    assert result.mean("ap") == 1.0


def test_topic_and_qrels_formats(tmp_path: Path) -> None:
    trec = tmp_path / "topics.trec"
    trec.write_text(
        "<top>\n<num> Number: 401\n<title> foreign minorities, Germany\n"
        "<desc> Description:\nWhat language...\n</top>\n"
        "<top>\n<num> Number: 402\n<title> behavioral genetics\n</top>\n",
        "utf-8",
    )
    assert read_topics(trec) == [
        ("401", "foreign minorities, Germany"),
        ("402", "behavioral genetics"),
    ]
    bad = tmp_path / "bad.tsv"
    bad.write_text("1 no tab here\n", "utf-8")
    with pytest.raises(ArchiveError, match="expected 'id<TAB>text'"):
        read_topics(bad)
    qrels = tmp_path / "qrels"
    qrels.write_text("1 0 d1 1\n1 0 d2 0\n", "utf-8")
    assert read_qrels(qrels) == {"1": {"d1": 1, "d2": 0}}
    qrels.write_text("1 d1 1\n", "utf-8")
    with pytest.raises(ArchiveError, match="expected 'topic iteration document relevance'"):
        read_qrels(qrels)


def test_trec_run_format() -> None:
    assert trec_run({"7": [("d1", 2.5), ("d2", 1.0)]}, "mine") == (
        "7 Q0 d1 1 2.500000 mine\n7 Q0 d2 2 1.000000 mine\n"
    )


def test_randomisation_p_values_known_by_hand() -> None:
    # Three topics, each 0.1 better: of the 8 equally likely sign patterns,
    # only all-plus and all-minus are as far from 0. p = 2/8.
    assert randomisation_p(np.array([0.1, 0.1, 0.1])) == pytest.approx(0.25)
    # Five topics all better: 2/32.
    assert randomisation_p(np.full(5, 0.2)) == pytest.approx(0.0625)
    # +0.3, -0.1, +0.1, -0.1 (a sum of 0.2): a relabelled sum is as far from
    # 0 unless all three 0.1s stand against the 0.3 (2 of the 16 patterns).
    assert randomisation_p(np.array([0.3, -0.1, 0.1, -0.1])) == pytest.approx(14 / 16)
    assert randomisation_p(np.zeros(4)) == 1.0
    # Many topics: sampled, the observed relabelling counted among them.
    assert randomisation_p(np.full(40, 0.05)) == pytest.approx(1 / 20_001)


def test_two_runs_compared_topic_by_topic(tmp_path: Path) -> None:
    qrels = {"1": {"a": 1}, "2": {"b": 1}, "3": {"c": 1}, "4": {"d": 1}}
    ours = {"1": [("a", 2.0)], "2": [("b", 2.0)], "3": [("x", 2.0), ("c", 1.0)], "4": []}
    path = tmp_path / "theirs.run"
    path.write_text(
        "1 Q0 x 1 2.0 old\n1 Q0 a 2 1.0 old\n2 Q0 b 1 1.0 old\n3 Q0 c 1 1.0 old\n", "utf-8"
    )
    theirs = read_run(path)
    assert theirs["1"] == [("x", 2.0), ("a", 1.0)]
    found = compare(evaluate(ours, qrels), evaluate(theirs, qrels))
    ap = found.metrics["ap"]
    # AP per topic: ours 1, 1, 0.5, 0; theirs 0.5, 1, 1 and 0 (topic 4 is in neither run).
    assert (ap.ours, ap.theirs) == (pytest.approx(2.5 / 4), pytest.approx(2.5 / 4))
    assert (ap.better, ap.worse, found.topics, found.trials) == (1, 1, 4, 0)
    # Differences +0.5, 0, -0.5, 0: a mean of 0, so every relabelling is as far.
    assert ap.p_value == 1.0
    with pytest.raises(ArchiveError, match="expected 'topic Q0 document rank score name'"):
        path.write_text("1 Q0 x 1\n", "utf-8")
        read_run(path)


def test_nearness_counts_words_within_the_window() -> None:
    from archive.search.proximity import SHIFT, _nearness

    # Article 0: the first word at 1 and 10, the second at 3 (2 away from
    # the first place: 1/4; 7 from the second: too far). Article 1: side by side.
    first = np.array([1, 10, (1 << SHIFT) | 5])
    second = np.array([3, (1 << SHIFT) | 6])
    assert _nearness(first, second, np.array([0, 1])).tolist() == [0.25, 1.0]


def test_plain_words_weigh_little_unless_all_are_plain() -> None:
    from types import SimpleNamespace

    from archive.search.anywords import typed_weights
    from archive.search.engine import DEFAULT

    engine = SimpleNamespace(settings=DEFAULT)
    lowered = typed_weights(engine, {"what": 1.0, "known": 1.0, "sun": 2.0})  # type: ignore[arg-type]
    assert lowered == {"what": DEFAULT.plain_weight, "known": 1.0, "sun": 2.0}
    assert typed_weights(engine, {"what": 1.0}) == {"what": 1.0}  # type: ignore[arg-type]


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Six documents, two topics; the MAP is worked out by hand below."""
    docs = [
        ("A", "Solar eclipse observed", "Crowds watched the solar eclipse at noon."),
        ("B", "Lunar eclipse", "The moon darkened during the lunar eclipse."),
        ("C", "Solar panels", "Farmers installed solar panels on barns."),
        ("D", "Railway strike", "Workers began a railway strike on Monday."),
        ("H", "Railway strike", "Museum shows posters from a railway strike."),
        ("G", "Strike ends", "Dockers ended their strike after talks."),
    ]
    collection = tmp_path / "docs.jsonl"
    collection.write_text(
        "\n".join(json.dumps({"docno": d, "title": t, "abstract": a}) for d, t, a in docs), "utf-8"
    )
    topics = tmp_path / "topics.tsv"
    topics.write_text("1\tsolar eclipse\n2\trailway strike\n3\tunjudged topic\n", "utf-8")
    qrels = tmp_path / "qrels.trec"
    qrels.write_text("1 0 A 1\n2 0 D 1\n2 0 G 1\n2 0 H 0\n", "utf-8")
    return collection, topics, qrels


def test_a_tiny_collection_scored_by_hand(
    run: Run, tiny: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    collection, topics, qrels = tiny
    assert run("index", str(collection)).code == 0
    out = tmp_path / "run.txt"
    ran = run("eval", str(topics), str(qrels), "--run-out", str(out), "--json")
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    lines = out.read_text("utf-8").splitlines()
    assert lines[0].split()[:4] == ["1", "Q0", "A", "1"]
    # Topic 1: A (both words) ranks first: AP 1. Topic 2: D and H hold both
    # words, G only "strike", so G comes third; relevant are D and G.
    second = [line.split()[2] for line in lines if line.startswith("2 ")]
    assert sorted(second[:2]) == ["D", "H"] and second[2] == "G"
    at_d = second.index("D") + 1
    topic_2 = (1 / at_d + 2 / 3) / 2  # precision at D, and at G (rank 3, 2 relevant seen)
    assert data["per_query"]["1"]["ap"] == pytest.approx(1.0)
    assert data["per_query"]["2"]["ap"] == pytest.approx(topic_2, abs=1e-6)
    assert data["map"] == pytest.approx((1.0 + topic_2) / 2, abs=1e-6)
    assert data["unjudged"] == ["3"]
    table = run("eval", str(topics), str(qrels), "--per-query").out
    assert "MAP" in table and f"{data['map']:.4f}" in table


def test_eval_compares_with_an_earlier_run(
    run: Run, tiny: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    collection, topics, qrels = tiny
    run("index", str(collection))
    earlier = tmp_path / "earlier.run"
    earlier.write_text("1 Q0 B 1 2.0 old\n1 Q0 A 2 1.0 old\n2 Q0 H 1 1.0 old\n", "utf-8")
    ran = run("eval", str(topics), str(qrels), "--compare", str(earlier), "--json")
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    ap = data["compared"]["metrics"]["map"]
    assert ap["this"] == pytest.approx(data["map"]) and ap["other"] == pytest.approx(0.25)
    assert (ap["better"], ap["worse"], data["compared"]["topics"]) == (2, 0, 2)
    assert ap["p"] == pytest.approx(0.5)  # two topics, both better: 2 of 4 patterns
    table = run("eval", str(topics), str(qrels), "--compare", str(earlier)).out
    assert "earlier.run" in table and "randomisation" in table and "0.500" in table


def test_id_field_uses_the_archive_ids(run: Run, tiny: tuple[Path, Path, Path]) -> None:
    collection, topics, qrels = tiny
    run("index", str(collection))
    data = json.loads(run("eval", str(topics), str(qrels), "--id-field", "id", "--json").out)
    assert data["map"] == 0.0  # the qrels speak of docnos, not archive IDs


# -- the ranking holds on the test collections -----------------------------------

ROOT = Path(__file__).resolve().parents[1]
MEASURED = json.loads((ROOT / "bench" / "EVAL.json").read_text("utf-8"))


@pytest.mark.parametrize("name", ["cacm", "cisi", "cranfield"])
def test_the_ranking_holds_its_measured_quality(run: Run, isolated: Path, name: str) -> None:
    """``archive eval`` with no options on each test collection: at least what
    bench/EVAL.json records, and above the stronger form of SQLite FTS5 there."""
    from conftest import SHARED

    folder = SHARED / "corpora" / name
    if not folder.exists():
        pytest.skip("needs ../shared/corpora")
    index = str(isolated / name)
    indexed = run("--index-dir", index, "index", str(folder / f"{name}_docs.jsonl"))
    # Two of Cranfield's documents are empty in every distribution: skipped, and said so.
    assert indexed.code == 0 or (name == "cranfield" and indexed.err.count("no title or text") == 2)
    ran = run(
        "--index-dir", index, "eval", "--json",
        str(folder / f"{name}_queries.tsv"), str(folder / f"{name}_qrels.trec"),
    )  # fmt: skip
    found = json.loads(ran.out)
    measured = MEASURED[name.upper()]
    ours = measured["news-archive"]
    assert found["map"] >= ours["ap"] - 0.0005
    assert found["ndcg10"] >= ours["ndcg10"] - 0.0005
    for key, metric in (("map", "ap"), ("ndcg10", "ndcg10")):
        fts5 = max(measured["SQLite FTS5"][metric], measured["SQLite FTS5, one column"][metric])
        assert found[key] > fts5


def test_the_readme_ranking_table_is_the_measured_one() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for collection, systems in MEASURED.items():
        for system, m in systems.items():
            cells = " | ".join(f"{m[k]:.4f}" for k in ("ap", "p10", "ndcg10", "recall100"))
            assert f"| {collection} | {system} | {cells} |" in readme
