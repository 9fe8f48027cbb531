"""Every language the news comes in: Chinese, Japanese and Korean found by
their words, and each article's language kept, shown, filtered by and counted."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import FIXTURES, Ran

from archive.index.analysis import terms, words
from archive.index.scripts import UNSPACED_CHARS as CJK_CHARS
from archive.sources.language import declared, detected, language_of

Run = Callable[..., Ran]
INGEST = FIXTURES / "ingest"
QQ = INGEST / "feeds" / "qq_news_gb2312.xml"  # Tencent news, GB2312, 20 items


def holding(word: str) -> set[str]:
    """The links of the Chinese feed's entries whose title or text holds
    ``word``, by a plain substring check."""
    parsed = feedparser.parse(QQ.read_bytes())
    return {e.link for e in parsed.entries if word in e.title + e.get("summary", "")}


def found(run: Run, *args: str) -> dict[str, Any]:
    ran = run("search", "--json", "--all", "--limit", "100", *args)
    assert ran.code in (0, 1), ran.err
    return dict(json.loads(ran.out))


@pytest.fixture
def chinese(run: Run) -> Run:
    assert run("index", str(QQ)).code == 0
    return run


def test_a_chinese_name_finds_every_item_that_mentions_it(chinese: Run) -> None:
    results = found(chinese, "习近平")
    hits = results["hits"]
    assert {hit["url"] for hit in hits} == holding("习近平")
    assert len(hits) >= 4


def test_items_with_the_words_in_the_headline_rank_first(chinese: Run) -> None:
    # "Reform and opening up": in one headline, and in three other items' text.
    hits = found(chinese, "改革开放")["hits"]
    assert {hit["url"] for hit in hits} == holding("改革开放")
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)
    in_title = ["改革开放" in hit["title"] for hit in hits]
    assert in_title == [True, False, False, False]


def test_a_name_inside_a_longer_run_of_characters_is_found(chinese: Run) -> None:
    # The spokesman 耿爽 is named mid-sentence in each item, no space around him.
    parsed = feedparser.parse(QQ.read_bytes())
    texts = [e.title + e.get("summary", "") for e in parsed.entries if "耿爽" in e.summary]
    assert texts and all(re.search(f"[{CJK_CHARS}]耿爽[{CJK_CHARS}]", t) for t in texts)
    hits = found(chinese, "耿爽")["hits"]
    assert {hit["url"] for hit in hits} == holding("耿爽") != set()


def test_characters_found_apart_are_not_the_word(chinese: Run) -> None:
    # 习 and 平 are both in the feed, but never side by side as 习平.
    assert not holding("习平") and holding("习") and holding("平")
    ran = chinese("search", "习平")
    assert ran.code == 1
    assert "0 hits" in ran.out


def test_snippets_mark_the_matched_characters(chinese: Run) -> None:
    hits = found(chinese, "耿爽")["hits"]
    marked = {
        snippet["text"][start:end]
        for hit in hits
        for snippet in hit["snippets"]
        for start, end in snippet["matches"]
    }
    assert marked == {"耿爽"}


def test_an_exact_search_and_a_title_search_read_the_word_the_same_way(chinese: Run) -> None:
    everywhere = {hit["url"] for hit in found(chinese, "--exact", "习近平")["hits"]}
    assert everywhere == holding("习近平")
    titles = {hit["url"] for hit in found(chinese, "title:习近平")["hits"]}
    parsed = feedparser.parse(QQ.read_bytes())
    assert titles == {e.link for e in parsed.entries if "习近平" in e.title}


def test_japanese_and_korean_words_are_found_inside_their_sentences(
    run: Run, tmp_path: Path
) -> None:
    records = tmp_path / "asia.jsonl"
    rows = [
        ("ja", "都知事が会見", "東京都の小池百合子知事は記者会見で発表した。"),
        ("ko", "서울시 발표", "서울특별시는 오늘 새로운 교통 정책을 발표했습니다."),
        ("en", "Tokyo", "The governor of Tokyo spoke to reporters today."),
    ]
    lines = [
        json.dumps({"id": key, "title": title, "body": body}, ensure_ascii=False)
        for key, title, body in rows
    ]
    records.write_text("\n".join(lines), "utf-8")
    assert run("index", str(records)).code == 0
    for word, title in [("小池百合子", "都知事が会見"), ("교통", "서울시 발표"), ("特別", None)]:
        hits = found(run, word)["hits"]
        assert [hit["title"] for hit in hits] == ([title] if title else []), word


def test_english_text_is_analysed_as_before() -> None:
    assert terms("The U.S. co-op's naïve withdrawal") == ["u.", "co", "op", "naiv", "withdraw"]


# -- the language of each article ------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [("en-GB", "en"), ("pt_BR", "pt"), ("zh-cn", "zh"), ("DE", "de"), ("deu", "de"),
     ("English", None), ("", None), (None, None)],
)  # fmt: skip
def test_a_declared_language_is_kept_as_its_code(written: str | None, code: str | None) -> None:
    assert declared(written) == code


def test_a_language_is_detected_from_text_that_declares_none() -> None:
    bbc = (FIXTURES / "bbc_business" / "001.txt").read_text("utf-8")
    german = (INGEST / "html" / "heise" / "expected.html").read_text("utf-8")
    assert detected(bbc) == "en"
    assert detected(re.sub(r"<[^>]+>", " ", german)) == "de"
    assert detected("Oil up") is None  # too short to tell
    assert detected("ROOTFINDER II (Algorithm 15)") is None  # a CACM title alone: not Irish
    title = "ROOTFINDER II (Algorithm 15)"  # a headline-only record: read once, not twice
    assert language_of(None, title, title) is None


# The samples and the languages they are written in: some declared by their
# feed or page, the rest (heise's and UOL's feeds, the NHS feed) detected.
SAMPLES = {
    "feeds/qq_news_gb2312.xml": "zh",
    "feeds/heise_developer.atom": "de",
    "feeds/jn_pt_iso-8859-1.rss": "pt",
    "feeds/uol_noticias_latin1_nodecl.rss": "pt",
    "feeds/theverge.atom": "en",
    "feeds/nhs_north_west_news.rss": "en",
    "html/bbc-1/source.html": "en",
    "html/herald-sun-1/source.html": "en",
    "html/la-nacion/source.html": "es",
    "html/heise/source.html": "de",
}


@pytest.fixture
def samples(run: Run) -> Run:
    assert run("index", *(str(INGEST / name) for name in SAMPLES)).code == 0
    return run


def articles_per_language() -> dict[str, int]:
    """How many articles the samples hold in each language, by their readers."""
    from archive import sources
    from archive.model import Article

    counts: dict[str, int] = {}
    for name, language in SAMPLES.items():
        read = [a for a in sources.read_file(INGEST / name) if isinstance(a, Article)]
        counts[language] = counts.get(language, 0) + len(read)
    return counts


def test_the_language_facet_counts_each_sample_in_its_language(samples: Run) -> None:
    results = found(samples, "--facet", "language", "*")
    facet = results["facets"]["language"]
    expected = articles_per_language()
    # But for one headline-only UOL item of 14 words, half of them names
    # ("Fernanda Melchionna: a Primavera Feminista vai derrotar Bolsonaro nas
    # ruas e nas urnas!"), which CLD2 will not call.
    expected["pt"] -= 1
    assert dict(facet["counts"]) == expected
    assert facet["missing"] == 1


def test_language_filters_the_search(samples: Run) -> None:
    german = found(samples, "language:de")["hits"]
    assert len(german) == articles_per_language()["de"]
    assert {hit["language"] for hit in german} == {"de"}
    assert {hit["url"] for hit in found(samples, "language:DE")["hits"]} == {
        hit["url"] for hit in german
    }
    # Google is in German and English news; language: keeps the German.
    google = found(samples, "google")["hits"]
    assert {hit["language"] for hit in google} == {"de", "en"}
    german_google = found(samples, "language:de", "google")["hits"]
    assert [hit["url"] for hit in german_google] == [
        hit["url"] for hit in google if hit["language"] == "de"
    ]


def test_show_prints_the_language(chinese: Run) -> None:
    hit = found(chinese, "耿爽")["hits"][0]
    ran = chinese("show", hit["id"])
    assert ran.code == 0
    assert "language: zh" in ran.out


# -- stemming in each article's language ------------------------------------------------


def index_rows(run: Run, records: Path, rows: list[tuple[str, str, str]]) -> None:
    """Index (language, title, body) rows as JSON Lines records, each its own ID."""
    lines = [
        json.dumps({"id": lang, "language": lang, "title": title, "body": body})
        for lang, title, body in rows
    ]
    records.write_text("\n".join(lines), "utf-8")
    assert run("index", str(records)).code == 0


@pytest.fixture
def stemmed(run: Run, tmp_path: Path) -> Run:
    """Three articles, each in its own language, each holding one form of a word."""
    rows = [
        ("de", "Browser aktualisiert", "Eine Sicherheitslücke im Browser ist geschlossen."),
        ("pt", "Brasil vota", "A eleição presidencial será em outubro, com milhões de eleitores."),
        ("en", "Elections", "The election is in October, with millions of voters."),
    ]
    records = tmp_path / "stemmed.jsonl"
    index_rows(run, records, rows)
    return run


def marked(hits: list[dict[str, Any]]) -> set[str]:
    return {
        snippet["text"][start:end]
        for hit in hits
        for snippet in hit["snippets"]
        for start, end in snippet["matches"]
    }


@pytest.mark.parametrize(
    ("typed", "title", "form"),
    [
        ("Sicherheitslücken", "Browser aktualisiert", "Sicherheitslücke"),
        ("sicherheitslucken", "Browser aktualisiert", "Sicherheitslücke"),
        ("eleições", "Brasil vota", "eleição"),
        ("milhão", "Brasil vota", "milhões"),
        ("elections", "Elections", "election"),
    ],
)
def test_a_word_finds_its_other_forms_in_its_own_language(
    stemmed: Run, typed: str, title: str, form: str
) -> None:
    hits = found(stemmed, typed)["hits"]
    assert [hit["title"] for hit in hits] == [title]
    assert marked(hits) == {form}


def test_a_question_in_another_language_finds_its_words_other_forms(stemmed: Run) -> None:
    hits = found(stemmed, "--any", "quando são as eleições?")["hits"]
    assert [hit["title"] for hit in hits] == ["Brasil vota"]
    assert marked(hits) == {"eleição"}


def test_a_stem_of_one_language_does_not_find_a_word_of_another(run: Run, tmp_path: Path) -> None:
    # Spanish stems "milhões" as "milh", as Portuguese stems "milhares"
    # (thousands): the Spanish stem is searched in Spanish articles alone.
    rows = [
        ("pt", "Mil", "Chegaram milhares de pessoas."),
        ("es", "Gente", "Llegaron miles de personas a la ciudad."),
    ]
    records = tmp_path / "two.jsonl"
    index_rows(run, records, rows)
    assert found(run, "milhões")["hits"] == []
    assert [hit["title"] for hit in found(run, "milhares")["hits"]] == ["Mil"]


def test_a_query_is_stemmed_for_the_language_it_names(stemmed: Run) -> None:
    hits = found(stemmed, "language:pt", "eleições")["hits"]
    assert [hit["title"] for hit in hits] == ["Brasil vota"]
    assert found(stemmed, "language:de", "eleições")["hits"] == []


def test_an_archive_of_english_alone_searches_english_stems_alone(bbc: Any) -> None:
    from archive.query import languages
    from archive.query.parse import parse

    with bbc.searcher() as searcher:
        assert languages.held(searcher.reader()) == {"en"}  # the BBC's texts, detected
        for text in ("elections", '"oil prices"', "withdrawal OR shares"):
            query = parse(searcher.schema, text)
            assert languages.stemmed_for(query, text, languages.held(searcher.reader())) is query


# Real sentences: a German report on working life, a Thai election notice,
# a Thai economy brief, and an English drought report that uses "die".
MIXED = [
    {
        "title": "Die Welt der Arbeit verändert sich",
        "body": "In der Welt der Arbeit ändert sich vieles. Die Gewerkschaften fordern mehr "
        "Lohn und die Arbeitgeber warnen vor den Kosten der Digitalisierung für die Betriebe.",
        "language": "de",
    },
    {
        "title": "ประเทศไทยมีการเลือกตั้งทั่วไป",
        "body": "คณะกรรมการการเลือกตั้งประกาศว่าประเทศไทยจะมีการเลือกตั้งทั่วไปในเดือนหน้า",
        "language": "th",
    },
    {
        "title": "เศรษฐกิจไทยเติบโต",
        "body": "ธนาคารแห่งประเทศไทยรายงานว่าเศรษฐกิจขยายตัวในไตรมาสที่สาม การส่งออกเพิ่มขึ้น",
        "language": "th",
    },
    {
        "title": "Plants die in drought",
        "body": "Crops die across the region as the drought deepens and farmers count the cost.",
        "language": "en",
    },
]


@pytest.fixture
def mixed(run: Run, tmp_path: Path) -> Run:
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(MIXED, ensure_ascii=False), encoding="utf-8")
    assert run("index", str(path)).code == 0
    return run


def titles(run: Run, *args: str) -> list[str]:
    return [hit["title"] for hit in found(run, *args)["hits"]]


def test_a_languages_stop_words_are_not_indexed_and_ask_nothing_of_its_articles(
    mixed: Run,
) -> None:
    assert terms("Die Welt der Arbeit", "de") == ["welt", "arbeit"]
    assert terms("Die Welt der Arbeit", "en") == ["die", "welt", "der", "arbeit"]
    german, english = MIXED[0]["title"], MIXED[3]["title"]
    assert titles(mixed, "die welt") == [german]  # by Welt: "die" asks nothing of German
    assert titles(mixed, '"die welt"') == [german]
    assert titles(mixed, '"der die" welt') == [german]
    assert titles(mixed, "die") == [english]  # alone, it finds no German article
    assert titles(mixed, "welt -die") == [german]
    marks = found(mixed, "die welt")["hits"][0]["snippets"][0]
    assert [marks["text"][a:b] for a, b in marks["matches"]] == ["Welt"]


def test_thai_words_are_found_inside_their_sentences_and_marked_whole(mixed: Run) -> None:
    election, economy = MIXED[1]["title"], MIXED[2]["title"]
    assert titles(mixed, "เลือกตั้ง") == [election]  # "election", inside a run of words
    assert set(titles(mixed, "ไทย")) == {election, economy}  # "Thai"
    assert titles(mixed, "ตั้งเลือก") == []  # its syllables the other way round
    snippet = found(mixed, "เลือกตั้ง")["hits"][0]["snippets"][0]
    assert {snippet["text"][a:b] for a, b in snippet["matches"]} == {"เลือกตั้ง"}


def test_vowel_signs_and_tone_marks_stay_inside_their_words() -> None:
    # Python's \w leaves out combining marks: Hindi words fell apart at each.
    assert words("हिन्दी समाचार", "hi") == ["हिन्दी", "समाचार"]
    # Thai pairs a character with its marks: ตั้ง is two characters, not four.
    assert words("ตั้ง", "th") == ["ตั้ง"]


def test_an_accent_typed_as_a_mark_is_the_accented_letter(mixed: Run) -> None:
    german = MIXED[0]["title"]
    assert titles(mixed, "verändert") == titles(mixed, "vera\u0308ndert") == [german]


def test_text_without_marks_is_read_by_the_faster_pattern_into_the_same_words() -> None:
    from archive.index.scripts import MARK, PLAIN_WORD, WORD, word_pattern

    texts = [p.read_text("utf-8", "replace") for p in sorted(INGEST.rglob("*")) if p.is_file()]
    plain = [text for text in texts if MARK.search(text) is None]
    assert len(plain) > 10
    for text in plain:
        assert word_pattern(text) is PLAIN_WORD
        assert [m.group() for m in PLAIN_WORD.finditer(text)] == [
            m.group() for m in WORD.finditer(text)
        ]
    thai = str(MIXED[1]["body"])
    assert word_pattern(thai) is WORD
    assert len(list(PLAIN_WORD.finditer(thai))) > len(list(WORD.finditer(thai)))


def test_stop_words_alone_find_none_of_their_languages_articles(mixed: Run) -> None:
    english = MIXED[3]["title"]
    assert titles(mixed, "der die") == []  # German stop words both: nothing asked of German
    assert titles(mixed, "language:de der") == []
    assert titles(mixed, '"der die"') == []
    assert set(titles(mixed, "die OR welt")) == {MIXED[0]["title"], english}


def test_a_language_filter_reads_the_code_as_articles_keep_it(mixed: Run) -> None:
    german = MIXED[0]["title"]
    for typed in ("de", "DE", "deu", "de-AT"):
        assert titles(mixed, f"language:{typed} welt") == [german], typed


def test_portuguese_plurals_in_oes_find_their_singular() -> None:
    for plural, singular in (("ações", "ação"), ("leões", "leão"), ("eleições", "eleição")):
        assert terms(plural, "pt") == terms(singular, "pt"), plural
