"""Did you mean, more like this, and output for scripts and citations."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Ran, search, words_of

from archive import sources
from archive.index.store import Store
from archive.search.reader import Reader

FIXTURES = Path(__file__).parent / "fixtures"
Run = Callable[..., Ran]


def test_no_hits_suggests_words_the_index_holds(bbc: Store) -> None:
    found = search(bbc, "yukso oil")
    assert found.total == 0
    assert found.suggestion == ("yukos oil", search(bbc, "yukos oil").articles)
    vocabulary = words_of(bbc)
    assert all(word in vocabulary for word in found.suggestion[0].split())


def test_no_suggestion_for_good_queries_or_hopeless_ones(bbc: Store) -> None:
    assert search(bbc, "yukos").suggestion is None  # enough hits
    assert search(bbc, "qqxqzv").suggestion is None  # nothing near it
    assert search(bbc, "title:yukso").suggestion == ("title:yukos", 2)  # fields are kept


def test_operators_and_stop_words_are_never_corrected(bbc: Store) -> None:
    found = search(bbc, "the yukso OR gazprm")
    assert found.suggestion is not None
    assert found.suggestion[0] == "the yukos OR gazprom"


def test_did_you_mean_in_text_and_json(run: Run, bbc: Store) -> None:
    text = run("search", "yukso")
    assert text.code == 1 and "Did you mean yukos (3 hits)?" in text.out
    data = json.loads(run("search", "--json", "yukso").out)
    assert data["suggestion"] == {"query": "yukos", "total": 3}


def test_similar_articles_share_key_terms(run: Run, bbc: Store) -> None:
    first = search(bbc, "yukos bankruptcy").hits[0]
    with Reader(bbc) as reader:
        found = reader.similar(first.id, limit=5)
    assert found.like is not None and found.like.id == first.id
    assert "Yukos" in found.key_terms
    assert first.id not in [hit.id for hit in found.hits]
    others = {hit.id for hit in search(bbc, "yukos").hits} - {first.id}
    assert len(others) == 2
    assert others <= {hit.id for hit in found.hits[:3]}  # the other Yukos stories lead
    data = json.loads(run("similar", first.id[:6], "--format", "json").out)
    assert data["like"] == first.id and "Yukos" in data["key_terms"]
    assert "articles like" in run("similar", first.id).out


def test_jsonl_is_a_hit_per_line(run: Run, bbc: Store) -> None:
    lines = run("search", "--format", "jsonl", "oil").out.splitlines()
    hits = [json.loads(line) for line in lines]
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert all({"id", "title", "snippets", "score"} <= set(h) for h in hits)


def test_csv_has_a_header_and_a_row_per_hit(run: Run, bbc: Store) -> None:
    rows = list(csv.DictReader(io.StringIO(run("search", "--format", "csv", "oil").out)))
    total = json.loads(run("search", "--json", "oil").out)["hits"]
    assert [r["id"] for r in rows] == [h["id"] for h in total]
    assert rows[0]["title"] and rows[0]["snippet"]


def test_markdown_is_citation_ready(run: Run, index_dir: Path) -> None:
    run("index", str(FIXTURES / "ingest" / "records" / "huffpost_first40.jsonl"))
    out = run("search", "--format", "md", "boosters").out
    assert out.startswith("Search: `boosters`")
    first = out.split("\n\n")[1]
    title = "Over 4 Million Americans Roll Up Sleeves For Omicron-Targeted COVID Boosters"
    assert first.startswith(f"1. **{title}**")
    assert "Carla K. Johnson, AP, 2022-09-23. <https://www.huffpost.com/entry/" in first
    assert "\n   > " in first


def test_markdown_escapes_what_would_be_markup(run: Run, tmp_path: Path) -> None:
    page = tmp_path / "odd.txt"
    page.write_text("Stocks *soar* on [rumour] #1\n\nThe index rose <fast>.\n", "utf-8")
    run("index", str(page))
    out = run("search", "--format", "md", "stocks").out
    assert r"**Stocks \*soar\* on \[rumour\] \#1**" in out


def test_csv_and_markdown_show_escape_codes_escaped(run: Run, tmp_path: Path) -> None:
    page = tmp_path / "evil.txt"
    page.write_text(
        "Stocks \x1b[31mred\x1b[0m today\n\nThe index \x1b]52;c;eA==\x07 rose.\n", "utf-8"
    )
    run("index", str(page))
    # Visible as \x1b[31m; Markdown also escapes the backslash and bracket.
    for output, visible in (("csv", "\\x1b[31mred"), ("md", "\\\\x1b\\[31mred")):
        out = run("search", "--format", output, "stocks").out
        assert "\x1b" not in out and "\x07" not in out, output
        assert visible in out, output


@pytest.fixture
def typos(tmp_path: Path) -> Store:
    """Many articles with a common word, a few sharing a typo of it, and real
    rare words one letter off common ones."""
    records = []

    def add(text: str, times: int) -> None:
        for _ in range(times):
            records.append({"id": str(len(records)), "title": f"Item {len(records)}", "body": text})

    add("The government said spending would rise, and sales fell.", 500)
    add("The goverment said the plan was final.", 8)  # a typo some articles share
    add("Wales won the match in Cardiff.", 12)  # a real word one letter from "sales"
    add("Anheuser-Busch raised its prices.", 6)  # beside "bush", far more common
    add("President Bush spoke in Texas on Tuesday.", 60)
    add("Ukraine's capital Kyiv was quiet; the key question stayed open.", 2)
    add("A key vote, a key date and a key figure.", 200)
    path = tmp_path / "typos.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), "utf-8")
    store = Store.create(tmp_path / "typos-index")
    store.sync(sources.read_paths([path]))
    return store


def test_a_typo_some_articles_share_is_still_caught(typos: Store) -> None:
    found = search(typos, "goverment")
    assert found.articles == 8
    assert found.suggestion == ("government", search(typos, "government").articles)


def test_real_words_near_common_ones_are_left_alone(typos: Store) -> None:
    assert search(typos, "wales").suggestion is None  # another first letter
    assert search(typos, "busch").suggestion is None  # not rare enough beside bush


def test_a_word_whose_variants_matched_is_never_replaced(typos: Store) -> None:
    found = search(typos, "kiev")
    assert found.articles == 2 and found.variants == {"kiev": ["kyiv"]}
    assert found.suggestion is None  # never "key"
