"""The query language a researcher relies on: fields, exact dates, safe fuzziness."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import Ran, search
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import sources
from archive.errors import QueryError
from archive.index.store import Store
from archive.model import Article
from archive.query.dates import date_query, span

RECORDS = Path(__file__).parent / "fixtures" / "ingest" / "records"
Run = Callable[..., Ran]


def article(title: str, when: datetime | None, body: str = "", **extra: object) -> Article:
    return Article(
        id=title.lower().replace(" ", "-"),
        title=title,
        body=body or f"{title}. The harbour authority reported on the storm.",
        origin=title,
        date=when,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def dated(index_dir: Path) -> Store:
    store = Store.create(index_dir)
    store.sync(
        [
            article("Before October ends", datetime(2025, 10, 31, 23, 59, 59)),
            article("First of November", datetime(2025, 11, 1, 0, 0, 0)),
            article("Mid November", datetime(2025, 11, 20, 12, 0)),
            article("Day after", datetime(2025, 11, 21, 0, 0, 1)),
            article("Last moment of November", datetime(2025, 11, 30, 23, 59, 59)),
            article("December first", datetime(2025, 12, 1, 0, 0, 0)),
            article("Undated note", None),
        ]
    )
    return store


def titles(store: Store, query: str, **options: object) -> list[str]:
    found = search(store, query, limit=50, sort="oldest", **options)  # type: ignore[arg-type]
    return [hit.title for hit in found.hits]


NOVEMBER = ["First of November", "Mid November", "Day after", "Last moment of November"]


def test_a_month_is_exactly_that_month(dated: Store) -> None:
    assert titles(dated, "harbour date:2025-11") == NOVEMBER


def test_ranges_include_both_ends_to_the_last_moment(dated: Store) -> None:
    assert titles(dated, "harbour date:[2025-11-01 to 2025-11-30]") == NOVEMBER
    assert titles(dated, "harbour date:[2025-11-20 to 2025-11-20]") == ["Mid November"]
    # Braces leave the end days out, whole.
    assert titles(dated, "harbour date:{2025-10-31 to 2025-12-01}") == NOVEMBER
    assert titles(dated, "harbour date:{2025-11-01 to 2025-11-30}") == NOVEMBER[1:3]


def test_a_single_day(dated: Store) -> None:
    assert titles(dated, "date:2025-11-30 harbour") == ["Last moment of November"]
    assert titles(dated, "date:2025-10-31") == ["Before October ends"]


def test_comparisons_are_by_whole_days(dated: Store) -> None:
    assert titles(dated, "harbour date:>2025-11-20") == [
        "Day after",
        "Last moment of November",
        "December first",
    ]
    assert titles(dated, "harbour date:>=2025-11-20") == [
        "Mid November",
        "Day after",
        "Last moment of November",
        "December first",
    ]
    assert titles(dated, "harbour date:<2025-11-01") == ["Before October ends"]
    assert titles(dated, "harbour date:<=2025-11-01") == [
        "Before October ends",
        "First of November",
    ]


def test_dates_work_inside_boolean_queries(dated: Store) -> None:
    query = "(harbour AND date:2025-10) OR (harbour AND date:2025-12)"
    assert titles(dated, query) == ["Before October ends", "December first"]
    assert titles(dated, "harbour NOT date:2025-11") == [
        "Before October ends",
        "December first",
        "Undated note",
    ]


def test_since_and_until_options(dated: Store) -> None:
    assert titles(dated, "harbour", since="2025-11-21", until="2025-11-30") == [
        "Day after",
        "Last moment of November",
    ]
    with pytest.raises(QueryError, match="after --until"):
        search(dated, "harbour", since="2025-12-01", until="2025-11-01")


def test_relative_dates() -> None:
    now = datetime(2025, 11, 27, 15, 30)
    assert span("yesterday", now) == (
        datetime(2025, 11, 26),
        datetime(2025, 11, 26, 23, 59, 59, 999999),
    )
    assert span("-7 days", now)[0] == datetime(2025, 11, 20)
    assert span("2 weeks ago", now)[0] == datetime(2025, 11, 13)
    assert span("-1 month", now)[0] == datetime(2025, 10, 27)
    assert span("now", now) == (now, now)
    week = date_query("[-7 days to now]", now)
    assert (week.startdate, week.enddate) == (datetime(2025, 11, 20), now)


def test_relative_ranges_find_recent_articles(index_dir: Path) -> None:
    store = Store.create(index_dir)
    today = datetime.now() - timedelta(seconds=1)
    store.sync(
        [
            article("This morning", today),
            article("Last week", today - timedelta(days=6)),
            article("Last month", today - timedelta(days=40)),
        ]
    )
    assert sorted(titles(store, "harbour date:[-7 days to now]")) == ["Last week", "This morning"]
    assert titles(store, "harbour date:today") == ["This morning"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("nosuch:word", "unknown field 'nosuch'; fields are: title:, body:, source:, author:"),
        ("date:2025-13", "there is no month 13"),
        ("date:[2025-12-01 to 2025-11-01]", "ends before it starts"),
        ("date:soonish", "cannot read 'soonish' as a date"),
        ("date:[2025-11-01 2025-11-30]", "a date range needs 'to'"),
        ("the", "has no words to search for"),
        ("AND", "has no words to search for"),
    ],
)
def test_queries_that_cannot_be_run_say_why(dated: Store, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace("[", r"\[")):
        search(dated, query)


def test_urls_and_times_are_not_mistaken_for_fields(dated: Store) -> None:
    assert search(dated, "https://example.org harbour").total == 0  # a URL, not a field
    assert search(dated, '"note: harbour"').total >= 0  # inside quotes is text


def test_fields_on_real_records(index_dir: Path) -> None:
    store = Store.create(index_dir)
    store.sync(sources.read_file(RECORDS / "huffpost_first40.jsonl"))
    store.sync(sources.read_file(RECORDS / "reuters_first40.jsonl.gz"))
    assert search(store, "author:johnson").total >= 1
    assert search(store, 'author:"Carla K. Johnson"').total == 1
    assert search(store, "tags:cocoa").hits[0].title == "BAHIA COCOA REVIEW"
    assert (
        search(store, "date:1987-02-26", limit=100).total
        == search(store, "date:1987", limit=100).total
    )
    assert search(store, "date:2022-09-23").total > 0
    assert search(store, "date:2022-09-23 date:1987").total == 0


def test_source_matches_by_words(index_dir: Path) -> None:
    store = Store.create(index_dir)
    store.sync(
        [
            article("Budget vote", datetime(2024, 1, 1), source="The Guardian"),
            article("Budget row", datetime(2024, 1, 2), source="Financial Times"),
        ]
    )
    assert [h.title for h in search(store, "budget source:guardian").hits] == ["Budget vote"]
    assert [h.title for h in search(store, 'source:"financial times"').hits] == ["Budget row"]


def test_fuzzy_never_fuzzes_numbers_or_short_words(index_dir: Path) -> None:
    store = Store.create(index_dir)
    store.sync(
        [
            article("Outlook for 2024", None, "Forecasts for 2024 were revised in Kharkiv."),
            article("Outlook for 2025", None, "Forecasts for 2025 were revised in Kyiv."),
        ]
    )
    assert [h.title for h in search(store, "2024~").hits] == ["Outlook for 2024"]
    assert [h.title for h in search(store, "2024~2").hits] == ["Outlook for 2024"]
    assert search(store, "kharkov~").total == 1  # a long word is fuzzed
    assert search(store, "kyev~").total == 1
    assert search(store, "kiv~").total == 0  # a short word is not


def test_proximity_and_phrases(seeded: Store) -> None:
    assert search(seeded, '"peace plan"').total == 1
    assert search(seeded, '"peace starting"~8').total == 2
    assert search(seeded, '"peace starting"').total == 0


def test_any_words_ranks_articles_with_more_of_them_higher(seeded: Store) -> None:
    question = "what did putin say in bishkek about the kremlin and serious discussion"
    assert search(seeded, question).total == 0  # all words must match by default
    found = search(seeded, question, any_words=True)
    assert found.total == 2
    # Seed 001 has putin, bishkek, kremlin, serious and discussion; seed 000 only putin.
    assert found.hits[0].id == sources.article_id("seed:001_dcd564552b84d477.txt")
    assert found.hits[0].score > 2 * found.hits[1].score


def test_search_options_on_the_command_line(run: Run, dated: Store) -> None:
    out = json.loads(
        run("search", "--json", "--sort", "newest", "harbour", "--since", "2025-11-21").out
    )
    assert [h["title"] for h in out["hits"]] == [
        "December first",
        "Last moment of November",
        "Day after",
    ]
    assert run("search", "--until", "2025-10-31", "harbour").code == 0
    bad = run("search", "nosuch:x")
    assert bad.code == 2 and "unknown field 'nosuch'" in bad.err
    assert run("search", "--any", "harbour", "zebra").code == 0
    assert run("search", "harbour", "zebra").code == 1


def test_fuzzy_terms_match_words_as_typed_not_their_stems(index_dir: Path) -> None:
    store = Store.create(index_dir)
    store.sync(
        [
            article("Cabinet", None, "The government said the governments of Europe agreed."),
            article("Markets", None, "Financial markets rallied as inflation eased."),
            article("Magazine", None, "The cover story was over by noon; a lover and a giver."),
        ]
    )
    # "goverment" is one edit from "government": its articles match, and
    # words one edit from the stem "gover" (cover, over, lover) do not.
    assert [h.title for h in search(store, "goverment~").hits] == ["Cabinet"]
    (hit,) = search(store, "goverment~").hits
    snippet = hit.snippets[0]
    assert [snippet.text[a:b] for a, b in snippet.matches] == ["government", "governments"]
    assert [h.title for h in search(store, "finacial~").hits] == ["Markets"]
    assert [h.title for h in search(store, "inflaton~ markts~2").hits] == ["Markets"]
    assert search(store, "title:cabnet~").total == 1


def test_one_tokenizer_tells_every_reader_what_each_piece_is() -> None:
    from archive.query import tokens
    from archive.shell.lexer import FIELD, OPERATOR
    from archive.shell.lexer import tokens as coloured

    line = 'title:budgt "peace talks" OR kiev* id:abcd date:[2025 to 2026] https://x.org'
    pieces = tokens.tokenize(line)
    assert "".join(piece.text for piece in pieces) == line
    # The colours are the tokenizer's kinds...
    assert (FIELD, "title:") in coloured(line) and (OPERATOR, "OR") in coloured(line)
    assert ("", "https://x.org") in coloured(line)  # a URL is not a field
    # ...the parser's field check reads the same fields...
    assert [t.text for t in tokens.fields(line)] == ["title:", "id:", "date:"]
    # ...and spelling help the same words: not patterns, not IDs or dates, but phrases.
    assert [t.text for t in tokens.words(line)] == ["budgt", "peace", "talks"]
    assert tokens.word_at("title:gor") == "gor" and tokens.word_at("gor ") == ""


def test_every_field_the_parser_accepts_is_shown_and_completed() -> None:
    from archive.query import tokens

    searchable = set(tokens.FIELDS.values())
    assert searchable == {tokens.FIELDS[name] for name in tokens.SHOWN_FIELDS}
    assert "url" not in tokens.FIELDS  # stored, not indexed: it would find nothing


PLAIN = ["oil", "Oil", "prices", "the", "and", "or", "not", "AND", "OR", "NOT", "TO", "to",
         "running", "Kiev", "US", "us", "a", "I", "x", "withdrawal"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(PLAIN), min_size=1, max_size=6),
    spaces=st.sampled_from([" ", "  ", "\t"]),
)
def test_plain_words_are_read_as_the_parser_reads_them(words: list[str], spaces: str) -> None:
    """Plain words skip Whoosh's parser: the query must be the one it makes."""
    from archive.index.schema import build_schema
    from archive.query.parse import ALL_WORDS, parsed_by_whoosh, plain_words

    schema = build_schema()
    text = spaces.join(words)
    fast = plain_words(schema, text)
    if fast is not None:
        assert fast == parsed_by_whoosh(schema, text, ALL_WORDS)
    else:  # only an operator keeps plain words from the short way
        assert {"AND", "OR", "NOT", "TO"} & set(words)
    assert plain_words(schema, f'"{text}"') is None
    assert plain_words(schema, f"title:{text}") is None


def test_a_word_after_a_minus_is_left_out_and_a_minus_inside_a_word_is_part_of_it(
    index_dir: Path,
) -> None:
    store = Store.create(index_dir)
    store.sync(
        [
            article("Harbour storm", None, "The storm closed the harbour and the covid-19 ward."),
            article("Harbour repairs", None, "Repairs to the harbour began after the e-mail."),
        ]
    )
    assert titles(store, "harbour -storm") == ["Harbour repairs"]
    assert titles(store, "-storm harbour") == ["Harbour repairs"]
    assert titles(store, "harbour -(storm OR repairs)") == []
    assert titles(store, "(harbour (harbour -storm))") == ["Harbour repairs"]  # in brackets too
    assert titles(store, "harbour NOT storm") == titles(store, "harbour -storm")
    assert titles(store, "covid-19") == ["Harbour storm"]
    assert titles(store, "e-mail harbour") == ["Harbour repairs"]
    assert titles(store, "harbour - storm") == ["Harbour storm"]  # a lone minus is no operator
