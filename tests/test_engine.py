"""Searching over the segments' arrays finds what Whoosh finds, on a grown archive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Ran, search
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.qparser import QueryParser
from whoosh.query import Query

from archive.index.derived import SUFFIX
from archive.index.store import Store
from archive.model import SearchRequest
from archive.search.engine import Engine
from archive.search.plans import evaluate
from archive.search.prepared import prepare
from archive.whoosh_ext import postings as docsets

WORDS = ["oil", "yukos", "shares", "prices", "bank", "rates", "economy", "growth", "said"]
LEAVES = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(WORDS).map(lambda word: f"title:{word}"),
    st.sampled_from(["oil*", "eco*", '"interest rates"', '"oil prices"']),
    st.sampled_from(['"oil prices"~3', '"yukos shares"~2', '"the economy grew"', '"oil oil"']),
    st.sampled_from(["date:2024", "date:1987-02", "date:>=1987-03-01"]),
)


def combined(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pairs = st.tuples(children, st.sampled_from([" ", " AND ", " OR ", " NOT ", " -"]), children)
    return pairs.map(lambda p: f"({p[0]}{p[1]}{p[2]})")


QUERIES = st.recursive(LEAVES, combined, max_leaves=4)


def query_of(searcher: Any, text: str, any_words: bool = False, exact: bool = False) -> Query:
    """The query a search for ``text`` runs (spelling variants added unless exact)."""
    return prepare(SearchRequest(text, any_words=any_words, exact=exact), searcher).query


@pytest.fixture(scope="module")
def store(grown_master: Path) -> Iterator[Store]:
    found = Store.open(grown_master)
    yield found
    found.close()


def test_the_grown_archive_has_segments_deletions_and_arrays(grown_master: Path) -> None:
    with whoosh_index.open_dir(str(grown_master)).reader() as reader:
        segments = [leaf for leaf, _ in reader.leaf_readers()]
        assert len(segments) > 1
        assert any(leaf.has_deletions() for leaf in segments)
        for leaf in segments:
            assert (grown_master / f"{leaf.segment().segment_id()}{SUFFIX}").exists()


def test_the_arrays_hold_whooshs_field_lengths(grown_master: Path) -> None:
    from archive.index.derived import for_segment

    with whoosh_index.open_dir(str(grown_master)).reader() as reader:
        for leaf, _ in reader.leaf_readers():
            arrays = for_segment(leaf)
            assert arrays is not None
            for field in ("title", "body"):
                count = leaf.doc_count_all()
                expected = [leaf.doc_field_length(n, field, 0) or 0 for n in range(count)]
                assert arrays[f"{field}.lengths"].tolist() == pytest.approx(expected)


@pytest.fixture(scope="module")
def plain(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Plain Whoosh over the same articles, positions and dates indexed by it."""
    from conftest import reference_index

    return reference_index(store, tmp_path_factory.mktemp("plain"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=QUERIES, any_words=st.booleans(), exact=st.booleans())
def test_the_arrays_find_what_plain_whoosh_finds(
    store: Store, plain: Any, text: str, any_words: bool, exact: bool
) -> None:
    """Words, phrases (from the arrays' positions), dates (from their column)
    and every combination: the articles plain Whoosh finds, and the sets
    path's (which reads Whoosh's postings) where it answers."""
    from conftest import reference_ids

    with store.searcher() as searcher:
        query = query_of(searcher, text, any_words, exact)
        engine = Engine(store.path, searcher)
        found = evaluate(engine, query).docnums(engine.parts).tolist()
        ids = {searcher.stored_fields(n)["id"] for n in found}
        assert ids == reference_ids(plain, query)
        sets = docsets._by_sets(searcher, query)
        assert sets is None or set(found) == sets


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.sampled_from(["goverment~", "yukso~", "oli~2", "profts~ economy", "shars~ OR bnak~"])
)
def test_fuzzy_words_find_what_the_sets_path_finds(store: Store, text: str) -> None:
    with store.searcher() as searcher:
        query = query_of(searcher, text)
        engine = Engine(store.path, searcher)
        found = evaluate(engine, query).docnums(engine.parts).tolist()
        assert set(found) == docsets.matching(searcher, query)


def test_plain_whoosh_opens_the_index_and_finds_the_same_articles(store: Store) -> None:
    ix = whoosh_index.open_dir(str(store.path))
    with ix.searcher() as plain:
        query = QueryParser("body", ix.schema).parse("yukos OR prices")
        expected = {plain.stored_fields(docnum)["id"] for docnum in plain.docs_for_query(query)}
    hits = search(store, "yukos prices", any_words=True, all_copies=True, limit=100).hits
    assert {hit.id for hit in hits} == expected
    assert expected


def test_a_segment_without_its_arrays_is_damage_that_a_rebuild_repairs(
    grown: Path, run: Callable[..., Ran]
) -> None:
    def ranked() -> list[tuple[str, float | None]]:
        opened = Store.open(grown)
        found = search(opened, "oil prices", any_words=True, all_copies=True, limit=50)
        opened.close()
        return [(hit.id, hit.score) for hit in found.hits]

    before = ranked()
    next(grown.glob(f"*{SUFFIX}")).unlink()
    broken = run("--index-dir", str(grown), "search", "oil")
    assert broken.code == 2 and "damaged" in broken.err and "archive rebuild" in broken.err
    assert run("--index-dir", str(grown), "rebuild").code == 0
    after = ranked()
    assert [hit_id for hit_id, _ in after] == [hit_id for hit_id, _ in before]
    assert len(before) > 5


def test_fuzzy_words_are_the_words_as_written_within_the_edits(grown_master: Path) -> None:
    from rapidfuzz.distance import Levenshtein

    from archive.index.derived import for_segment, words_starting
    from archive.whoosh_ext.fuzzy import _within

    with whoosh_index.open_dir(str(grown_master)).reader() as reader:
        for leaf, _ in reader.leaf_readers():
            arrays = for_segment(leaf)
            assert arrays is not None
            for field, spelled in (("title", "spell_title"), ("body", "spell_body")):
                name = f"{spelled}.terms"
                every = arrays.decoded(name, range(len(arrays[f"{name}.offsets"]) - 1))
                for word in ("oli", "goverment", "shars", "yukso", "bnak", "x"):
                    for prefix in (0, 1):
                        expected = [
                            w
                            for w in every
                            if w[:prefix] == word[:prefix] and Levenshtein.distance(w, word) <= 2
                        ]
                        found = _within(leaf, field, word, 2, prefix, words_starting)
                        assert sorted(found) == sorted(expected)


def test_phrases_after_a_file_is_indexed_again(wire: Path, tmp_path: Path) -> None:
    """Updated articles leave deleted ones behind in the old segment: a phrase
    is checked at its positions without stepping past a posting list's end."""
    from archive.cli import main

    records = tmp_path / "wire.jsonl"
    lines = wire.read_text("utf-8").splitlines(keepends=True)[:300]
    records.write_text("".join(lines), "utf-8")
    index = tmp_path / "index"
    assert main(["--index-dir", str(index), "index", str(records)]) == 0
    records.write_text("".join(lines[1:]), "utf-8")  # the same file, one record fewer
    assert main(["--index-dir", str(index), "index", str(records)]) == 0
    store = Store.open(index)
    from conftest import reference_ids, reference_index

    plain = reference_index(store, tmp_path / "plain")
    with store.searcher() as searcher:
        engine = Engine(store.path, searcher)
        for text in ['"crude oil"', '"oil prices"', '"said it"', '"interest rates"~3']:
            query = query_of(searcher, text)
            found = evaluate(engine, query).docnums(engine.parts).tolist()
            ids = {searcher.stored_fields(n)["id"] for n in found}
            assert ids == reference_ids(plain, query), text
            assert ids, text
    store.close()


def test_phrases_in_a_long_article_are_found_past_any_narrow_position(tmp_path: Path) -> None:
    """Positions past 65,535 and a word said hundreds of times are kept as
    they are: a phrase at the end of a long text is found where it is."""
    from archive.cli import main

    folder = tmp_path / "news"
    folder.mkdir()
    filler = " ".join(f"word{n % 997} report" for n in range(40_000))  # 80,000 words
    (folder / "long.txt").write_text(
        f"Long report\n\n{filler} the harbour bridge reopened today.\n", "utf-8"
    )
    (folder / "short.txt").write_text(
        "Short note\n\nThe bridge near the harbour reopened.\n", "utf-8"
    )
    index = tmp_path / "index"
    assert main(["--index-dir", str(index), "index", str(folder)]) == 0
    store = Store.open(index)
    with store.searcher() as searcher:
        engine = Engine(store.path, searcher)
        for text, expected in [
            ('"harbour bridge reopened"', {"long.txt"}),
            ('"word996 report"', {"long.txt"}),
            ('"bridge reopened"', {"long.txt"}),
            ('"bridge near"', {"short.txt"}),
        ]:
            found = evaluate(engine, query_of(searcher, text)).docnums(engine.parts).tolist()
            names = {Path(searcher.stored_fields(n)["path"]).name for n in found}
            assert names == expected, text
    store.close()


@pytest.mark.parametrize("name", ["001.txt", "002.txt", "010.txt"])
def test_the_fast_analyzer_gives_the_index_s_own_terms(name: str) -> None:
    from conftest import FIXTURES

    from archive.index.analysis import terms
    from archive.index.schema import text_analyzer

    text = (FIXTURES / "bbc_business" / name).read_text("utf-8") + (
        " Café São Paulo naïve co-op U.S."
        # Chinese, Japanese and Korean runs (a lone character, a run mixed with Latin letters)
        " 国家主席习近平致信，习 东京都の小池百合子知事は 서울특별시는"
        " iPhone手机 a手机 u.s.中国 ｶﾀｶﾅ"
    )
    assert terms(text) == [token.text for token in text_analyzer()(text)]


def test_one_term_is_found_where_the_sorted_terms_hold_it(grown_master: Path) -> None:
    from archive.index.derived import for_segment

    with whoosh_index.open_dir(str(grown_master)).reader() as reader:
        for leaf, _ in reader.leaf_readers():
            arrays = for_segment(leaf)
            assert arrays is not None
            for field in ("title", "body"):
                blob, offsets = arrays.strings(f"{field}.terms")
                held = [bytes(blob[offsets[i] : offsets[i + 1]]) for i in range(len(offsets) - 1)]
                for term in [*held, b"zzzz", b"", b"oil\xff"]:
                    assert arrays.where(field, term) == arrays.find(f"{field}.terms", term)


WORD_QUERIES = st.lists(
    st.sampled_from([*WORDS, "title:oil", "oil*", "goverment~", "economy", "zzzz"]),
    min_size=1,
    max_size=4,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=WORD_QUERIES, joined=st.sampled_from([" OR ", " "]))
def test_words_alone_score_the_same_without_archive_sized_arrays(
    store: Store, words: list[str], joined: str
) -> None:
    """Queries of words only skip the masks the size of the archive: the same
    live articles, in the same order, with the very same scores. (An exact
    word is more than its stem: the articles must hold it as written.)"""
    from archive.search.plans import word_groups

    with store.searcher() as searcher:
        query = query_of(searcher, joined.join(words))
        engine = Engine(store.path, searcher)
        groups = word_groups(query, engine)
        assert groups is not None  # words alone, ANDed or ORed
        docnums, scores = engine.scored_words(groups, {})
        expected = evaluate(engine, query)
        assert docnums.tolist() == expected.docnums(engine.parts).tolist()
        assert scores.tolist() == expected.score_array().tolist()
