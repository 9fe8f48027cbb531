"""Searching and highlighting, as a user reads the results."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_000, SEED_001, Ran, search, seed_id
from rich.console import Console

from archive import sources
from archive.errors import QueryError
from archive.index.store import Store
from archive.present.render import article_view, results_view
from archive.search.reader import Reader


def matched_words(text: str, spans: tuple[tuple[int, int], ...]) -> list[str]:
    return [text[start:end] for start, end in spans]


def plain(renderable: object) -> str:
    console = Console(file=io.StringIO(), width=100, highlight=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_a_stemmed_match_is_highlighted_in_the_snippet(seeded: Store) -> None:
    results = search(seeded, "withdrawal")
    assert results.total == 2
    words = {
        word.lower()
        for hit in results.hits
        for snippet in hit.snippets
        for word in matched_words(snippet.text, snippet.matches)
    }
    assert "withdraw" in words  # query says "withdrawal", text says "withdraw"
    assert "withdrawals" in words


def test_all_words_must_match_by_default(seeded: Store) -> None:
    assert search(seeded, "putin withdrawal").total == 2
    assert search(seeded, "putin bishkek").total == 1
    assert search(seeded, "bishkek OR witkoff").total == 2
    assert search(seeded, "putin NOT bishkek").hits[0].id == seed_id(SEED_000)


def test_phrases_fields_and_wildcards(seeded: Store) -> None:
    assert [h.id for h in search(seeded, '"serious discussion"').hits] == [seed_id(SEED_001)]
    assert search(seeded, '"discussion serious"').total == 0
    assert [h.id for h in search(seeded, "title:conflict").hits] == [seed_id(SEED_000)]
    assert search(seeded, "kyrgyz*").total == 1


def test_a_title_match_outranks_a_body_match(seeded: Store) -> None:
    # "conflict" is in seed 000's title and in seed 001's body only.
    hits = search(seeded, "conflict").hits
    assert [h.id for h in hits] == [seed_id(SEED_000), seed_id(SEED_001)]
    assert matched_words(hits[0].title, hits[0].title_matches) == ["Conflict"]


def test_trailing_links_to_other_stories_do_not_match(seeded: Store) -> None:
    assert search(seeded, "beckstrom").total == 0
    assert search(seeded, '"national guard"').total == 0


def test_snippets_never_show_the_same_sentence_twice(seeded: Store) -> None:
    for query in ("putin", "ukraine", "peace", "russia"):
        for hit in search(seeded, query).hits:
            sentences = [
                sentence.strip()
                for snippet in hit.snippets
                for sentence in snippet.text.split(". ")
                if len(sentence.strip()) > 30
            ]
            assert len(sentences) == len(set(sentences)), (query, hit.id)


def test_accents_and_case_fold(seeded: Store, index_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "cafe.txt"
    path.write_text("Café society returns\n\nThe CAFÉ on the corner reopened.\n", "utf-8")
    seeded.sync(sources.read_file(path))
    hit = search(seeded, "cafe").hits[0]
    assert hit.title == "Café society returns"
    assert matched_words(hit.snippets[0].text, hit.snippets[0].matches) == ["CAFÉ"]


def test_paging(seeded: Store) -> None:
    first = search(seeded, "putin", limit=1)
    second = search(seeded, "putin", page=2, limit=1)
    assert (first.total, first.pagecount, len(first.hits)) == (2, 2, 1)
    assert second.hits[0].rank == 2
    assert first.hits[0].id != second.hits[0].id


@pytest.mark.parametrize("query", ["", "   ", "the", "and the of"])
def test_queries_with_nothing_to_search_say_so(seeded: Store, query: str) -> None:
    with pytest.raises(QueryError):
        search(seeded, query)


def test_show_highlights_every_match_in_the_whole_article(seeded: Store) -> None:
    with Reader(seeded) as reader:
        shown = reader.show(seed_id(SEED_001), reader.prepare("withdraw"))
    words = matched_words(shown.article.body, shown.body_matches)
    assert words == ["withdraw"] * 3
    assert shown.article.body.count("withdraw") == 3


def test_article_text_is_never_read_as_markup(seeded: Store, tmp_path: Path) -> None:
    path = tmp_path / "markup.txt"
    path.write_text(
        "[video] Watch: [bold]budget[/bold] vote\n\n"
        "The [red]budget[/] passed [link=http://x]here[/link]. \x1b[2J\x07Done.\n",
        "utf-8",
    )
    seeded.sync(sources.read_file(path))
    out = plain(results_view(search(seeded, "budget")))
    assert "[video] Watch: [bold]budget[/bold] vote" in out
    assert "[red]budget[/] passed [link=http://x]here[/link]" in out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J\\x07Done" in out
    with Reader(seeded) as reader:
        article = plain(article_view(reader.show(sources.article_id(str(path)))))
    assert "[red]budget[/]" in article and "\x1b" not in article


def test_searching_reads_the_index_in_place_rather_than_copying_it(index_dir: Path) -> None:
    import tracemalloc

    from archive.model import Article

    words = [f"w{n:05d}" for n in range(20_000)]
    store = Store.create(index_dir)
    store.sync(
        Article(
            id=f"a{n}",
            title=f"Report {n}",
            body=" ".join(words[(n * 97 + k * 31) % len(words)] for k in range(400)),
            origin=f"report-{n}",
        )
        for n in range(400)
    )
    on_disk = sum(f.stat().st_size for f in index_dir.iterdir() if f.is_file())
    assert on_disk > 1_000_000
    tracemalloc.start()
    try:
        results = search(Store.open(index_dir), "w00097")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert results.total > 0
    # Whoosh would copy each segment's postings and terms (most of the index)
    # into memory, and hold them for as long as the searcher is open.
    assert peak < on_disk / 8


BBC_BUSINESS = Path(__file__).parent / "fixtures" / "bbc_business"
COUNTED = [
    "oil",
    "profits AND shares",
    "oil OR gas OR yukos",
    "growth NOT china",
    "(bank OR dollar) AND NOT euro",
    "profts~ economy",
    "goverment~2",
    "econom*",
    "title:oil OR body:deficit",
    '"chief executive"',
    "date:2005",
    "firm ANDMAYBE profit",
    "nosuchword",
]


@pytest.fixture
def segmented(seeded: Store) -> Store:
    """Seeds, then the BBC articles in two runs, then one of them changed: four
    segments, one with a deleted (replaced) article."""
    from dataclasses import replace

    articles = [a for a in sources.read_paths([BBC_BUSINESS]) if hasattr(a, "body")]
    seeded.sync(articles[:20])
    seeded.sync(articles[20:])
    seeded.sync([replace(articles[3], body=articles[3].body + "\n\nOil and gas rose again.")])
    return seeded


def query_of(searcher: Any, text: str) -> Any:
    """The query a search for ``text`` runs (its spelling variants added)."""
    from archive.model import SearchRequest
    from archive.search.prepared import prepare

    return prepare(SearchRequest(text), searcher).query


def test_exact_counts_agree_with_plain_whoosh_for_every_kind_of_query(
    segmented: Store, tmp_path: Path
) -> None:
    """Phrases and dates are answered from the arrays (positions, a date
    column); plain Whoosh, with them indexed, finds the same articles."""
    from conftest import reference_ids, reference_index

    from archive.whoosh_ext import postings as docsets

    plain = reference_index(segmented, tmp_path / "plain")
    with segmented.searcher() as searcher:
        reader = searcher.reader()
        assert len(reader.leaf_readers()) == 4 and reader.has_deletions()
        for text in COUNTED:
            found = {hit.id for hit in search(segmented, text, all_copies=True, limit=1000).hits}
            query = query_of(searcher, text)
            if "~" in text:  # fuzzy words are the archive's (as typed, not stemmed): its sets
                ids = {searcher.stored_fields(n)["id"] for n in docsets.matching(searcher, query)}
                assert found == ids, text
            else:
                assert found == reference_ids(plain, query), text
        typed = query_of(searcher, "(profit OR growth) shares NOT goverment~")
        assert docsets._by_sets(searcher, typed) is not None  # read as sets, not walked


def test_counts_shown_are_whooshs_counts(segmented: Store) -> None:
    for text in ["oil", "profits shares", "econom* NOT china"]:
        results = search(segmented, text, all_copies=True)
        with segmented.searcher() as searcher:
            query = query_of(searcher, text)
            assert results.total == len(searcher.search(query, limit=None, scored=False).docs())


WORDS = [
    "oil",
    "gas",
    "profit",
    "shares",
    "china",
    "econom*",
    "goverment~",
    "bank",
    "euro",
    "nosuch",
]


def test_exact_counts_agree_with_whoosh_for_random_boolean_queries(segmented: Store) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from archive.whoosh_ext import postings as docsets

    leaf = st.sampled_from(WORDS)
    tree = st.recursive(
        leaf,
        lambda inner: st.tuples(inner, st.sampled_from([" AND ", " OR ", " NOT ", " "]), inner).map(
            lambda parts: f"({''.join(parts)})"
        ),
        max_leaves=6,
    )

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(tree)
    def agree(text: str) -> None:
        with segmented.searcher() as searcher:
            query = query_of(searcher, text)
            expected = set(searcher.search(query, limit=None, scored=False).docs())
            assert docsets.matching(searcher, query) == expected

    agree()


def test_a_derived_title_is_shown_but_not_searched_as_a_headline(
    run: Callable[..., Ran], seeded: Store
) -> None:
    import json

    made_up = json.loads(run("show", "--json", seed_id(SEED_001)).out)
    given = json.loads(run("show", "--json", seed_id(SEED_000)).out)
    assert made_up["title_derived"] is True and given["title_derived"] is False
    assert made_up["title"].startswith("Russian President Vladimir Putin on Thursday asserted")
    assert search(seeded, "title:asserted").total == 0  # the lede's words are not a headline
    assert search(seeded, "asserted").total == 1  # they are found in the body, once
    assert search(seeded, "title:conflict").total == 1  # a real headline is searched


def test_a_one_line_text_is_searched_by_its_words(run: Callable[..., Ran], isolated: Path) -> None:
    note = isolated / "note.txt"
    note.write_text("Parliament approves the rail budget after a long night of debate\n", "utf-8")
    assert run("--index-dir", str(isolated / "index"), "index", str(note)).code == 0
    found = run("--index-dir", str(isolated / "index"), "search", "--json", "rail budget")
    hits = json.loads(found.out)["hits"]
    assert [hit["title"] for hit in hits] == [
        "Parliament approves the rail budget after a long night of debate"
    ]


def test_a_question_mark_ends_a_question_in_an_any_word_query(seeded: Store) -> None:
    asked = search(seeded, "Where did Putin speak, Bishkek?", any_words=True)
    assert asked.total >= 1
    assert asked.hits[0].title == search(seeded, "bishkek").hits[0].title
    assert search(seeded, "What is (Bishkek)?", any_words=True).total >= 1
