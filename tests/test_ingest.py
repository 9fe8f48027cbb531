"""Reading real-world inputs: every format, its metadata, encodings and bad input."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import lxml.html
import pytest
from conftest import FIXTURES, Ran, band_keys_held, search

from archive import sources
from archive.index.indexer import index_paths
from archive.index.store import Store
from archive.model import Article, Problem
from archive.sources import FieldMap

INGEST = Path(__file__).parent / "fixtures" / "ingest"
Run = Callable[..., Ran]


def read(path: Path, fields: FieldMap | None = None) -> tuple[list[Article], list[Problem]]:
    items = list(sources.read_file(path, fields))
    return (
        [i for i in items if isinstance(i, Article)],
        [i for i in items if isinstance(i, Problem)],
    )


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


# -- HTML pages, checked against Readability's expected output ----------------------


@pytest.mark.parametrize("page", ["bbc-1", "la-nacion", "herald-sun-1", "heise"])
def test_html_pages_give_the_article_body_and_metadata(page: str) -> None:
    folder = INGEST / "html" / page
    expected = json.loads((folder / "expected-metadata.json").read_text("utf-8"))
    body_words = words(
        lxml.html.fromstring((folder / "expected.html").read_text("utf-8")).text_content()
    )
    (article,), problems = read(folder / "source.html")
    assert problems == []
    assert article.title == expected["title"]
    if expected.get("lang"):  # kept as its language code: en-au is en
        assert article.language == expected["lang"].split("-")[0].lower()
    if expected.get("siteName"):
        assert article.source == expected["siteName"]
    if expected.get("publishedTime"):
        assert article.date is not None
        assert article.date.date().isoformat() == expected["publishedTime"][:10]
    found = set(words(article.title + " " + article.body))
    covered = sum(1 for word in body_words if word in found) / len(body_words)
    assert covered >= 0.95, f"only {covered:.0%} of the expected text"
    # No navigation, ads or comments: not much more text than the article itself.
    assert len(words(article.body)) <= 1.3 * len(body_words)


def test_a_page_with_no_article_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text("<html><head><title>Menu</title></head><body><nav>Home</nav></body></html>")
    articles, problems = read(page)
    assert articles == []
    assert [p.reason for p in problems] == ["no article text found in the page"]


# -- feeds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count", "source", "sample"),
    [
        ("jn_pt_iso-8859-1.rss", 40, "Jornal de Notícias - Últimas Notícias", "Mãe de utente"),
        ("uol_noticias_latin1_nodecl.rss", 15, "UOL Noticias", "simulações"),
        ("qq_news_gb2312.xml", 20, "新闻国内", "习近平"),
        ("theverge.atom", 10, "The Verge", "Senate drops plan"),
        ("heise_developer.atom", 15, "heise developer neueste Meldungen", "WildFly"),
        ("nhs_north_west_news.rss", 2, "NHS North West News Feed", "measles"),
    ],
)
def test_feeds_give_one_readable_article_per_entry(
    name: str, count: int, source: str, sample: str
) -> None:
    articles, problems = read(INGEST / "feeds" / name)
    assert len(articles) == count
    assert {a.source for a in articles} == {source}
    assert all(a.url and a.url.startswith("http") for a in articles)
    assert any(sample in a.title for a in articles)
    assert all("\ufffd" not in a.title + a.body for a in articles)  # no mojibake
    assert all(not p.skipped for p in problems)


def test_feed_dates_authors_and_records() -> None:
    articles, _ = read(INGEST / "feeds" / "theverge.atom")
    first = articles[0]
    assert first.authors == ("Tina Nguyen",)
    assert first.date == datetime(2025, 7, 1, 13, 15, 48)
    assert first.record == "entry 1"
    qq, _ = read(INGEST / "feeds" / "qq_news_gb2312.xml")
    assert qq[0].date == datetime(2018, 9, 18, 14, 38, 10)  # "2018-09-18 14:38:10", not RFC 822


def test_dates_written_in_another_language_are_read() -> None:
    articles, problems = read(INGEST / "feeds" / "uol_noticias_latin1_nodecl.rss")
    assert len(articles) == 15 and not problems
    first = next(a for a in articles if a.record == "entry 1")
    assert first.date == datetime(2018, 9, 24, 22, 42, 40)  # "Seg, 24 Set 2018 19:42:40 -0300"


FEED_DATES = """<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>one</title><description>a</description><pubDate>{}</pubDate></item>
</channel></rss>"""


@pytest.mark.parametrize(
    ("written", "read_as"),
    [
        ("Di, 04 Dez 2018 10:00:00 +0100", datetime(2018, 12, 4, 9, 0)),
        ("24 septembre 2018 10:00", datetime(2018, 9, 24, 10, 0)),
        ("ontem", None),  # "yesterday": never read as the day it is indexed
        ("Seg, 99 Set 2018", None),
        ("sometime soon", None),
        ("24 Set 2018 " + "x" * 100_000, None),  # not tried in every language: no wait
    ],
)
def test_a_date_is_read_in_another_language_or_reported_and_left_empty(
    tmp_path: Path, written: str, read_as: datetime | None
) -> None:
    feed = tmp_path / "feed.rss"
    feed.write_text(FEED_DATES.format(written), encoding="utf-8")
    articles, problems = read(feed)
    assert len(articles) == 1 and articles[0].date == read_as
    if read_as is None:
        assert [p.reason for p in problems] == [
            f"unparsable date {written!r}; indexed without a date"
        ]
    else:
        assert not problems


def test_a_feed_whose_dates_cannot_be_read_says_so_once(tmp_path: Path) -> None:
    """Every entry is indexed, undated, with one warning for the feed: how
    many, and the first date it could not read."""
    items = "".join(
        f"<item><title>item {n}</title><description>text {n}</description>"
        f"<pubDate>Blursday {n} Zork</pubDate></item>"
        for n in range(1, 16)
    )
    feed = tmp_path / "feed.rss"
    feed.write_text(FEED_DATES.split("<item>")[0] + items + "</channel></rss>", "utf-8")
    articles, problems = read(feed)
    assert len(articles) == 15 and all(a.date is None for a in articles)
    assert [(p.path, p.reason, p.skipped) for p in problems] == [
        (
            str(feed),
            f"15 articles with unreadable dates (the first, {feed} (entry 1): unparsable date "
            "'Blursday 1 Zork'); indexed without a date",
            False,
        )
    ]


def test_a_file_that_is_not_a_feed_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "broken.xml"
    bad.write_text("this is <not xml at all & never was")
    articles, problems = read(bad)
    assert articles == [] and len(problems) == 1
    assert problems[0].reason.startswith("not a readable feed (")


# -- encodings --------------------------------------------------------------------


def test_encoding_traps_come_out_readable() -> None:
    (pound,), _ = read(INGEST / "encodings" / "bbc_sport_199_utf8_with_stray_latin1_pound.txt")
    assert "£" in pound.body and "\ufffd" not in pound.body
    (quote,), _ = read(INGEST / "encodings" / "feedparser_demoronize-1.xml")
    assert quote.title == "don’t"
    for name in ("feedparser_utf-8-bom.xml", "feedparser_utf-16le-bom.xml"):
        articles, problems = read(INGEST / "encodings" / name)
        assert articles == []
        assert [(p.reason, p.skipped) for p in problems] == [("the feed has no entries", False)]


# -- records: JSON Lines, JSON, CSV -------------------------------------------------------


def test_reuters_json_lines_gzipped() -> None:
    articles, problems = read(INGEST / "records" / "reuters_first40.jsonl.gz")
    assert problems == []
    assert len(articles) == 40
    cocoa = articles[0]
    assert cocoa.title == "BAHIA COCOA REVIEW"
    assert cocoa.date == datetime(1987, 2, 26, 15, 1, 1)
    assert cocoa.tags == ("cocoa",)
    assert cocoa.record == "line 1"
    assert articles[0].id != articles[1].id


def test_reuters_snippets_and_show_keep_paragraphs_not_wrapped_lines(run: Run) -> None:
    run("index", str(INGEST / "records" / "reuters_first40.jsonl.gz"))
    found = run("search", "Bahia cocoa")
    assert "throughout the week in the Bahia cocoa zone" in found.out  # no ¶ between
    (hit,) = json.loads(run("search", "--json", "Bahia cocoa").out)["hits"]
    shown = run("show", hit["id"]).out.splitlines()
    paragraph = shown.index("The dry period means the temporao will be late this year.")
    assert shown[paragraph - 1] == "" and shown[paragraph + 1] == ""


def test_wrapped_markdown_lines_keep_the_space_between_their_words(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Floods\n\nThe river rose\nacross the town.\n", "utf-8")
    (article,), _ = read(note)
    assert article.body == "The river rose across the town."


def test_huffpost_fields_are_mapped_without_options() -> None:
    articles, _ = read(INGEST / "records" / "huffpost_first40.jsonl")
    first = articles[0]
    assert first.title.startswith("Over 4 Million Americans Roll Up Sleeves")
    assert first.body.startswith("Health experts said it is too early")
    assert first.authors == ("Carla K. Johnson, AP",)
    assert first.url and first.url.startswith("https://www.huffpost.com/entry/")
    assert first.tags == ("U.S. NEWS",)
    assert first.date == datetime(2022, 9, 23)


def test_headerless_csv_guesses_title_and_body() -> None:
    articles, problems = read(INGEST / "records" / "ag_news_test_first40.csv")
    assert problems == [] and len(articles) == 40
    assert articles[0].title == "Fears for T N pension after talks"
    assert articles[0].body.startswith("Unions representing workers at Turner")


def test_author_names_with_commas_stay_whole() -> None:
    articles, _ = read(INGEST / "records" / "cacm_first40.jsonl")
    assert articles[0].authors == ("Perlis, A. J.", "Samelson,K.")
    assert articles[0].source == "CACM December, 1958"
    assert articles[0].origin.endswith("#1")  # the record's own docno


def test_json_arrays_and_field_overrides(tmp_path: Path) -> None:
    data = tmp_path / "export.json"
    data.write_text(
        json.dumps(
            {
                "items": [
                    {
                        "headline_text": "Port strike ends",
                        "story": "Dockers voted to return.",
                        "when": "2024-03-05",
                    },
                    {
                        "headline_text": "Rail fares rise",
                        "story": "Fares go up in May.",
                        "when": "5 March 2024",
                    },
                ]
            }
        ),
        "utf-8",
    )
    fields = FieldMap({"title": "headline_text", "body": "story", "date": "when"})
    articles, problems = read(data, fields)
    assert problems == []
    assert [(a.title, a.body, a.date) for a in articles] == [
        ("Port strike ends", "Dockers voted to return.", datetime(2024, 3, 5)),
        ("Rail fares rise", "Fares go up in May.", datetime(2024, 3, 5)),
    ]
    with pytest.raises(ValueError, match="unknown field 'headlines'"):
        FieldMap({"headlines": "x"})


def test_bad_records_are_reported_by_line_and_the_rest_read(tmp_path: Path) -> None:
    lines = tmp_path / "mixed.jsonl"
    lines.write_text(
        '{"title": "One", "body": "First story."}\n{"title": "Two", "body": \n'
        '[1, 2]\n{"title": "Three", "body": "Third story."}\n',
        "utf-8",
    )
    articles, problems = read(lines)
    assert [a.title for a in articles] == ["One", "Three"]
    assert [p.path for p in problems] == [f"{lines}:2", f"{lines}:3"]
    assert problems[0].reason.startswith("not valid JSON (")
    assert problems[1].reason == "record is not an object"


def test_a_broken_csv_quote_is_reported_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text('title,body\nOne,"fine"\nTwo,"never closed\x00\n', "utf-8")
    articles, problems = read(broken)
    assert [a.title for a in articles] == ["One"]
    assert len(problems) == 1 and problems[0].path.startswith(f"{broken}:")
    assert "broken CSV" in problems[0].reason


def test_truncated_gzip_keeps_what_came_before(tmp_path: Path) -> None:
    whole = (INGEST / "records" / "reuters_first40.jsonl.gz").read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    articles, problems = read(cut)
    assert 0 < len(articles) < 40
    assert len(problems) == 1 and problems[0].reason.startswith("truncated or corrupt gzip data")


# -- Markdown ---------------------------------------------------------------------


def test_markdown_with_yaml_and_toml_front_matter(tmp_path: Path) -> None:
    yaml_md = tmp_path / "a.md"
    yaml_md.write_text(
        "---\ntitle: Floods close the [main] road\ndate: 2024-02-01\nsource: The Courier\n"
        "author: [Ann Lee, Bo Chan]\ntags: weather, roads\nurl: https://example.org/a\n---\n"
        "# Heading\n\nThe **river** rose [overnight](https://x.example).\n\n- one\n- two\n",
        "utf-8",
    )
    toml_md = tmp_path / "b.md"
    toml_md.write_text(
        '+++\ntitle = "Budget passed"\ndate = 2024-03-04\n+++\nVotes *were* 52-48.\n'
    )
    (a,), _ = read(yaml_md)
    assert (a.title, a.source, a.authors, a.tags, a.url) == (
        "Floods close the [main] road",
        "The Courier",
        ("Ann Lee", "Bo Chan"),
        ("weather", "roads"),
        "https://example.org/a",
    )
    assert a.date == datetime(2024, 2, 1)
    assert a.body == "Heading\n\nThe river rose overnight.\n\none\n\ntwo"
    (b,), _ = read(toml_md)
    assert (b.title, b.date, b.body) == ("Budget passed", datetime(2024, 3, 4), "Votes were 52-48.")


def test_bad_front_matter_is_a_warning_and_the_article_is_kept(tmp_path: Path) -> None:
    md = tmp_path / "c.md"
    md.write_text("---\ntitle: [unclosed\n---\nCouncil meets today.\n", "utf-8")
    (article,), (problem,) = read(md)
    assert article.body == "Council meets today."
    assert not problem.skipped and problem.reason.startswith("front matter ignored: not valid YAML")


# -- the indexing run -------------------------------------------------------------


def test_every_kind_of_input_indexes_from_one_folder(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    # The inputs only, not Readability's expected output beside the pages.
    shutil.copytree(INGEST, folder, ignore=shutil.ignore_patterns("expected*"))
    ran = run("index", str(folder))
    assert ran.code == 0, ran.err  # warnings (dates, empty feeds) are not failures
    # 6 feeds (102 entries) + 4 pages + 2 readable encoding samples + 4 x 40 records
    assert "268 added, 0 updated, 0 unchanged, 0 removed, 0 duplicates, 0 skipped" in ran.out
    assert "2 warnings" in ran.out  # two empty feeds; the Portuguese dates are read
    assert run("search", "cocoa").code == 0
    assert run("search", "Mapuche").code == 0
    assert run("search", "WildFly").code == 0


def _corpus_folder(root: Path) -> Path:
    """A folder of articles with the documentation that comes with corpora."""
    news = root / "news"
    for name, text in {
        "story.txt": "Harbour reopens\n\nThe harbour reopened on Monday.\n",
        "README.TXT": "About this corpus\n\nThe stories were collected by hand.\n",
        "PROVENANCE.md": "# Provenance\n\nDownloaded from the collection's site.\n",
        "LICENSE.txt": "Licence terms\n\nFree to use for research.\n",
        "wire/readme.md": "# Wire notes\n\nOne story a file.\n",
        "wire/cocoa.txt": "Cocoa rises\n\nCocoa rose in the harbour towns.\n",
        "drafts/tin.txt": "Tin falls\n\nTin fell at the harbour.\n",
        "drafts/2019/zinc.txt": "Zinc holds\n\nZinc held at the harbour.\n",
    }.items():
        (news / name).parent.mkdir(parents=True, exist_ok=True)
        (news / name).write_text(text, "utf-8")
    return news


def test_documentation_beside_articles_is_not_indexed(run: Run, tmp_path: Path) -> None:
    news = _corpus_folder(tmp_path)
    ran = run("index", str(news))
    assert ran.code == 0
    assert "4 added" in ran.out and "4 files or folders excluded" in ran.out
    assert run("search", "corpus OR provenance OR licence OR notes").code == 1
    assert json.loads(run("search", "--json", "harbour").out)["total"] == 4
    named = run("index", str(news / "README.TXT"))  # a file named is always read
    assert "1 added" in named.out and run("search", "corpus").code == 0


def test_exclude_takes_names_and_paths_from_the_folder_given(run: Run, tmp_path: Path) -> None:
    news = _corpus_folder(tmp_path)
    ran = run("index", "--exclude", "drafts/*.txt", "--exclude", "COCOA*", str(news))
    assert "2 added" in ran.out and "6 files or folders excluded" in ran.out
    titles = {hit["title"] for hit in json.loads(run("search", "--json", "harbour").out)["hits"]}
    assert titles == {"Harbour reopens", "Zinc holds"}  # drafts/*.txt is one folder deep
    # --prune drops what is excluded now; what no longer is comes in.
    pruned = run("index", "--prune", "--exclude", "drafts/", str(news))
    assert "1 added" in pruned.out and "1 removed" in pruned.out
    titles = {hit["title"] for hit in json.loads(run("search", "--json", "harbour").out)["hits"]}
    assert titles == {"Harbour reopens", "Cocoa rises"}


def test_the_skipped_names_setting_replaces_the_defaults(
    run: Run, tmp_path: Path, isolated: Path
) -> None:
    news = _corpus_folder(tmp_path)
    settings = isolated / "config" / "config.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text('skipped_names = ["drafts", "*.md"]\n', "utf-8")
    ran = run("index", str(news))
    assert "4 added" in ran.out and "3 files or folders excluded" in ran.out
    assert run("search", "corpus").code == 0 and run("search", "provenance").code == 1
    settings.write_text("skipped_names = 3\n", "utf-8")
    bad = run("index", str(news))
    assert bad.code == 0
    assert "skipped_names = 3 is not allowed (a list of globs); using the default" in bad.err


def test_standard_input_is_read(index_dir: Path, tmp_path: Path) -> None:
    lines = (INGEST / "records" / "huffpost_first40.jsonl").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "archive", "index", "-"],
        input=lines,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"40 added" in done.stdout


def test_unchanged_files_are_not_read_again(index_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    shutil.copytree(INGEST / "records", folder)
    store = Store.create(index_dir)
    first = index_paths(store, [folder])
    second = index_paths(store, [folder])
    assert first.added == 160 and first.files_unchanged == 0
    assert (second.added, second.updated, second.unchanged, second.files_unchanged) == (
        0,
        0,
        160,
        4,
    )
    os.utime(folder / "cacm_first40.jsonl")  # touched, not changed: the hash decides
    third = index_paths(store, [folder])
    assert (third.added, third.updated, third.unchanged) == (0, 0, 160)


def test_a_run_committed_in_batches_indexes_the_same_as_one_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "news"
    shutil.copytree(FIXTURES / "bbc_business", folder / "a")
    shutil.copytree(FIXTURES / "bbc_business", folder / "b")  # exact copies of all 30

    def indexed(batch: int | None) -> list[tuple[str, str, str]]:
        if batch:
            monkeypatch.setattr("archive.index.sync.CHECKPOINT_ARTICLES", batch)
        store = Store.create(tmp_path / f"index-{batch}")
        report = index_paths(store, [folder])
        assert (report.added, report.duplicates) == (30, 30)
        with store.ix.searcher() as searcher:
            ids = sorted((f["id"], f["cluster"]) for f in searcher.all_stored_fields())
        return [(i, cluster, ";".join(store.get(i).copies)) for i, cluster in ids]

    whole = indexed(None)
    batched = indexed(7)  # five commits on the way
    assert batched == whole
    assert all(copies for _, _, copies in whole)  # each article lists its copy


def test_a_damaged_record_of_files_is_set_aside_and_files_read_again(
    index_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    shutil.copytree(INGEST / "records", folder)
    store = Store.create(index_dir)
    index_paths(store, [folder])
    (index_dir / "archive-files.sqlite").write_bytes(b"not a database" * 100)
    again = index_paths(store, [folder])
    assert (again.added, again.unchanged, again.files_unchanged) == (0, 160, 0)  # all re-read
    (warning,) = again.problems
    assert not warning.skipped and "record of indexed files was damaged" in warning.reason
    assert (index_dir / "archive-files.sqlite.damaged").exists()
    assert index_paths(store, [folder]).files_unchanged == 4  # and the record works again


def test_a_changed_file_updates_in_place_and_drops_what_it_lost(
    index_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "wire.jsonl"
    names = ["alpha", "bravo", "charlie", "delta", "echo"]
    rows = [
        {"id": n, "title": f"Story {n}", "body": f"Story {name}."} for n, name in enumerate(names)
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    store = Store.create(index_dir)
    index_paths(store, [data])
    rows[1]["body"] = "A corrected text."
    del rows[4]
    data.write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    report = index_paths(store, [data])
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, 3, 1)
    assert store.ix.doc_count() == 4
    assert search(store, "corrected").total == 1
    assert search(store, "echo").total == 0
    assert search(store, "delta").total == 1


def test_a_file_gone_bad_loses_nothing_already_indexed(index_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "feed.xml"
    shutil.copy(INGEST / "feeds" / "theverge.atom", data)
    store = Store.create(index_dir)
    index_paths(store, [data])
    data.write_text("<rss><channel><item>broken", "utf-8")
    report = index_paths(store, [data])
    assert report.skipped == 1 and report.removed == 0
    assert store.ix.doc_count() == 10


def test_a_file_gone_bad_keeps_its_articles_through_a_rebuild(run: Run, tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    shutil.copy(INGEST / "feeds" / "theverge.atom", feed)
    run("index", str(feed))
    feed.write_text("<rss><channel><item>broken", "utf-8")
    assert run("index", str(feed)).code == 3
    rebuilt = run("rebuild")
    assert (rebuilt.code, rebuilt.err) == (0, "")
    assert "10 carried over" in rebuilt.out and "1 skipped earlier" in rebuilt.out
    assert run("search", "Senate").code == 0


def test_prune_removes_articles_whose_file_is_gone(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text("Harbour reopens\n\nThe harbour reopened.\n", "utf-8")
    (folder / "b.txt").write_text("Airport closes\n\nThe airport closed.\n", "utf-8")
    run("index", str(folder))
    (folder / "b.txt").unlink()
    assert "0 removed" in run("index", str(folder)).out  # not without --prune
    assert run("search", "airport").code == 0
    assert "1 removed" in run("index", "--prune", str(folder)).out
    assert run("search", "airport").code == 1
    assert run("search", "harbour").code == 0


def test_exact_duplicates_are_one_article_that_knows_its_copies(
    run: Run, tmp_path: Path, index_dir: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    text = "Mill closes after 90 years\n\nThe last shift left the mill on Friday.\n"
    for name in ("a.txt", "b.txt", "c.txt"):
        (folder / name).write_text(text, "utf-8")
    assert (
        "1 added, 0 updated, 0 unchanged, 0 removed, 2 duplicates" in run("index", str(folder)).out
    )
    hits = json.loads(run("search", "--json", "mill").out)["hits"]
    assert len(hits) == 1
    shown = json.loads(run("show", "--json", hits[0]["id"]).out)
    assert sorted(Path(p).name for p in shown["copies"]) == ["b.txt", "c.txt"]
    # The first file goes: a copy takes its place and nothing is lost.
    (folder / "a.txt").unlink()
    run("index", "--prune", str(folder))
    hits = json.loads(run("search", "--json", "mill").out)["hits"]
    assert len(hits) == 1 and Path(hits[0]["path"]).name in {"b.txt", "c.txt"}
    shown = json.loads(run("show", "--json", hits[0]["id"]).out)
    assert len(shown["copies"]) == 1
    assert Store.open(index_dir).ix.doc_count() == 1


Indexed = tuple[int, list[tuple[str, str]], int]


def _index_split(tmp_path: Path, lines: list[str], parts: int) -> Indexed:
    """Index records written into ``parts`` files: the duplicates counted, the
    articles indexed (title and text) and the hits for two words."""
    folder = tmp_path / f"in-{parts}-files"
    folder.mkdir(parents=True)
    size = -(-len(lines) // parts)
    for part in range(parts):
        chunk = lines[part * size : (part + 1) * size]
        (folder / f"part{part}.jsonl").write_text("\n".join(chunk) + "\n", "utf-8")
    store = Store.create(tmp_path / f"index-{parts}")
    report = index_paths(store, [folder])
    with store.ix.searcher() as searcher:
        found = sorted((f["title"], f.get("body", "")) for f in searcher.all_stored_fields())
    return report.duplicates, found, search(store, "glossary OR covid").total


def test_duplicates_do_not_depend_on_how_records_are_split_into_files(tmp_path: Path) -> None:
    # HuffPost's records carry no ID of their own: a story repeated is one article.
    huffpost = (INGEST / "records" / "huffpost_first40.jsonl").read_text("utf-8").splitlines()
    repeated = huffpost + huffpost[3::6]  # seven stories again, further down
    runs = [_index_split(tmp_path / "huffpost", repeated, parts) for parts in (1, 2, 5)]
    duplicates, articles, hits = runs[0]
    assert (duplicates, len(articles)) == (7, 40) and hits > 0
    assert runs == [runs[0]] * 3
    # CACM's carry their docnos: its "Glossary" entries, alike but for their
    # docnos, stay apart.
    cacm = (INGEST / "records" / "cacm_first40.jsonl").read_text("utf-8").splitlines()
    runs = [_index_split(tmp_path / "cacm", cacm, parts) for parts in (1, 2, 5)]
    duplicates, articles, hits = runs[0]
    assert (duplicates, len(articles), hits) == (0, 40, 5)
    assert runs == [runs[0]] * 3


def test_a_copy_that_changes_becomes_its_own_article(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    text = "Mill closes\n\nThe last shift left the mill on Friday.\n"
    (folder / "a.txt").write_text(text, "utf-8")
    (folder / "b.txt").write_text(text, "utf-8")
    run("index", str(folder))
    (folder / "b.txt").write_text(text + "\nWorkers gathered outside.\n", "utf-8")
    assert "1 added" in run("index", str(folder)).out
    hits = json.loads(run("search", "--json", "mill").out)["hits"]
    assert len(hits) == 2
    copies = [json.loads(run("show", "--json", h["id"]).out)["copies"] for h in hits]
    assert copies == [[], []]


def test_progress_lines_when_piped(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("archive.present.progress.QUIET_EVERY", 10)
    ran = run("index", str(INGEST / "records" / "cacm_first40.jsonl"))
    assert ran.err.splitlines() == [f"archive: {n} articles read…" for n in (10, 20, 30, 40)]


def test_field_option_errors_are_usage_errors(run: Run, tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    data.write_text("title,body\nOne,First story.\n", "utf-8")
    assert run("index", "--field", "nonsense", str(data)).code == 2
    assert "unknown field 'headlines'" in run("index", "--field", "headlines=a", str(data)).err


def test_gzip_reuters_round_trip_keeps_bytes_identical() -> None:
    # The fixture is a real excerpt: 40 whole lines of the shared corpus.
    with gzip.open(INGEST / "records" / "reuters_first40.jsonl.gz", "rt", encoding="utf-8") as f:
        assert sum(1 for _ in f) == 40


# -- near duplicates: story clusters ----------------------------------------------

BBC = Path(__file__).parent / "fixtures" / "bbc_business"


def syndicated(original: str) -> str:
    """A copy as another outlet runs it: new headline, a dateline, the last paragraph cut."""
    lines = original.strip().split("\n\n")
    body = lines[1:-1]
    body[0] = "NEW YORK (Reuters) - " + body[0]
    return "Media giant's profits leap on broadband\n\n" + "\n\n".join(body) + "\n"


def test_syndicated_copies_are_one_story_with_a_count(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    original = (BBC / "001.txt").read_text("utf-8")
    (folder / "bbc.txt").write_text(original, "utf-8")
    (folder / "wire.txt").write_text(syndicated(original), "utf-8")
    shutil.copy(BBC / "002.txt", folder / "other.txt")  # another story entirely
    run("index", str(folder))
    grouped = json.loads(run("search", "--json", "timewarner").out)
    assert (grouped["total"], grouped["articles"]) == (1, 2)
    assert grouped["hits"][0]["similar"] == 1
    assert "+1 similar" in run("search", "timewarner").out
    every = json.loads(run("search", "--json", "--all", "timewarner").out)
    assert (every["total"], every["articles"]) == (2, 2)
    assert {h["similar"] for h in every["hits"]} == {0}
    # The unrelated article is its own story.
    profit = json.loads(run("search", "--json", "profits").out)
    assert profit["total"] == profit["articles"] - 1


def test_a_story_with_many_copies_takes_one_place_on_the_page(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    original = (BBC / "001.txt").read_text("utf-8")
    (folder / "bbc.txt").write_text(original, "utf-8")
    for n, dateline in enumerate(["NEW YORK", "LONDON", "PARIS", "TOKYO", "SYDNEY", "DUBLIN"]):
        copy = syndicated(original).replace("NEW YORK", dateline)
        (folder / f"wire{n}.txt").write_text(copy, "utf-8")
    filler = "Record labels reported mixed sales across Europe and Asia this quarter. " * 8
    (folder / "other.txt").write_text(
        f"Music sales\n\n{filler}Warner Music was among them.\n", "utf-8"
    )
    run("index", str(folder))
    # The seven copies rank above the other story: a page of two still shows both.
    page = json.loads(run("search", "--json", "-n", "2", "warner").out)
    assert (page["total"], page["articles"]) == (2, 8)
    assert [h["similar"] for h in page["hits"]] == [6, 0]
    assert page["hits"][1]["title"] == "Music sales"


def test_short_items_are_never_called_near_duplicates(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text("Rates held\n\nThe bank held rates at 4.75%.\n", "utf-8")
    (folder / "b.txt").write_text("Rates kept\n\nThe bank held rates at 4.75%.\n", "utf-8")
    run("index", str(folder))
    found = json.loads(run("search", "--json", "rates").out)
    assert (found["total"], found["articles"]) == (2, 2)


def test_an_export_that_repeats_an_id_loses_no_record(tmp_path: Path) -> None:
    data = tmp_path / "collection.jsonl"
    data.write_text(
        '{"docno": "28", "title": "Sorting by merging"}\n'
        '{"docno": "28", "title": "Arithmetic of intervals"}\n',
        "utf-8",
    )
    articles, problems = read(data)
    assert [a.title for a in articles] == ["Sorting by merging", "Arithmetic of intervals"]
    assert len({a.id for a in articles}) == 2
    assert [(p.reason, p.skipped) for p in problems] == [
        ("ID '28' is used twice in this file; kept as line 2", False)
    ]


@pytest.mark.parametrize("stop_after", ["table", "index"])
def test_a_run_stopped_between_its_commits_is_completed_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop_after: str
) -> None:
    """Copies are listed beside the index (committed just before it) and the
    record of files is written after both: a run stopped between any two of
    these leaves nothing the next run does not complete."""
    from archive.index import sync
    from archive.index.manifest import Manifest

    folder = tmp_path / "news"
    shutil.copytree(FIXTURES / "bbc_business", folder / "a")
    shutil.copytree(FIXTURES / "bbc_business", folder / "b")  # exact copies of all 30
    store = Store.create(tmp_path / "index")

    class Killed(BaseException):
        pass

    def kill(*args: object, **kwargs: object) -> None:
        raise Killed

    if stop_after == "table":  # the table committed, the index not

        def table_then_kill(self: sync.Session) -> None:
            self.stories.commit()
            raise Killed

        monkeypatch.setattr(sync.Session, "_write", table_then_kill)
    else:  # both committed, the record of files not
        monkeypatch.setattr(Manifest, "save", kill)
    with pytest.raises(Killed):
        index_paths(store, [folder])
    monkeypatch.undo()
    report = index_paths(store, [folder])
    assert report.skipped == 0
    with store.ix.searcher() as searcher:
        ids = [fields["id"] for fields in searcher.all_stored_fields()]
    assert len(ids) == 30
    assert all(len(store.get(article).copies) == 1 for article in ids)
    again = index_paths(store, [folder])
    assert again.files_unchanged == 60 and again.added == again.duplicates == 0


def test_a_long_run_commits_at_checkpoints_that_grow_with_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each commit ends segments; growing checkpoints keep a long run's segments few."""
    from archive.index import sync

    rows = [
        {"id": n, "title": f"Report {n}", "body": f"Harvest report number {n} from the valley."}
        for n in range(40)
    ]
    data = tmp_path / "reports.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    monkeypatch.setattr(sync, "CHECKPOINT_ARTICLES", 4)
    monkeypatch.setattr(sync, "CHECKPOINT_MOST", 10)
    committed: list[int] = []
    checkpoint = sync.Session._checkpoint

    def counting(session: sync.Session) -> None:
        checkpoint(session)
        committed.append(session.before.doc_count())

    monkeypatch.setattr(sync.Session, "_checkpoint", counting)
    store = Store.create(tmp_path / "index")
    assert index_paths(store, [data]).added == 40
    # Each half the index before it, at least 4 and at most 10; the run commits
    # the last 3 when it ends.
    assert committed == [4, 8, 12, 18, 27, 37]
    with store.ix.searcher() as searcher:
        assert searcher.doc_count() == 40


def test_the_story_table_holds_the_keys_of_what_is_indexed_after_updates_and_removals(
    tmp_path: Path,
) -> None:
    """Story candidates come from the band keys the segments hold; an article
    changed, made a copy or removed leaves no live keys of its earlier text."""
    folder = tmp_path / "news"
    shutil.copytree(FIXTURES / "bbc_business", folder)
    files = sorted(folder.iterdir())
    store = Store.create(tmp_path / "index")
    index_paths(store, [folder])
    changed = files[0].read_text("utf-8")
    files[0].write_text(changed + "\n\nA new closing paragraph about the quarter ahead.", "utf-8")
    files[1].write_text(files[2].read_text("utf-8"), "utf-8")  # now a copy of another
    files[3].unlink()
    report = index_paths(store, [folder], prune=True)
    assert (report.updated, report.duplicates, report.removed) == (1, 1, 1)

    held, expected = band_keys_held(store.path)
    assert held == expected
    assert len(expected) > 16 * 20  # most of the 28 articles have keys


@pytest.mark.parametrize("stop_before", ["index", "table"])
def test_a_run_stopped_as_copies_take_their_articles_place_loses_no_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop_before: str
) -> None:
    """The files of 30 articles go, and their copies take their place. A run
    stopped before the index's commit, or after it but before the table says
    so, is completed by the next: every copy in its article's place."""
    from archive.index.dedup import StoryTable

    folder = tmp_path / "news"
    shutil.copytree(FIXTURES / "bbc_business", folder / "a")
    shutil.copytree(FIXTURES / "bbc_business", folder / "b")  # exact copies of all 30
    store = Store.create(tmp_path / "index")
    assert index_paths(store, [folder]).duplicates == 30
    shutil.rmtree(folder / "a")

    class Killed(BaseException):
        pass

    def kill(*args: object, **kwargs: object) -> None:
        raise Killed

    opened = Store.writer

    def killed_at_commit(self: Store, parallel: bool = False) -> object:
        writer = opened(self, parallel)
        writer.commit = kill
        return writer

    if stop_before == "index":
        monkeypatch.setattr(Store, "writer", killed_at_commit)
    else:  # the table's first change after the index's commit
        monkeypatch.setattr(StoryTable, "drop_copy", kill)
    with pytest.raises(Killed):
        index_paths(store, [folder], prune=True)
    monkeypatch.undo()
    report = index_paths(store, [folder], prune=True)
    assert report.removed == (30 if stop_before == "index" else 0)  # else removed before

    with store.ix.searcher() as searcher:
        docs = [dict(fields) for fields in searcher.all_stored_fields()]
    assert len(docs) == 30
    assert {Path(doc["path"]).parent.name for doc in docs} == {"b"}
    table = StoryTable(store.path)
    assert not any(table.copy_of(doc["id"]) for doc in docs)  # articles, no longer copies
    table.close()
    held, expected = band_keys_held(store.path)
    assert held == expected and {id_ for _, id_ in held} <= {doc["id"] for doc in docs}
    assert len(held) > 16 * 20  # the heirs took their articles' keys


def _articles(store: Store) -> dict[str, dict[str, object]]:
    """Every indexed article by the name of its file (and record), with its copies."""
    with store.ix.searcher() as searcher:
        docs = [dict(fields) for fields in searcher.all_stored_fields()]
    return {
        Path(str(doc["path"])).name + (f"#{doc['record']}" if doc.get("record") else ""): {
            **doc,
            "copies": sorted(Path(c.split(" (")[0]).name for c in store.get(doc["id"]).copies),
        }
        for doc in docs
    }


def test_a_copy_whose_article_changes_becomes_an_article_of_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    text = (FIXTURES / "bbc_business" / "001.txt").read_text("utf-8")
    (folder / "a.txt").write_text(text, "utf-8")
    (folder / "b.txt").write_text(text, "utf-8")
    store = Store.create(tmp_path / "index")
    index_paths(store, [folder])
    assert _articles(store)["a.txt"]["copies"] == ["b.txt"]
    (folder / "a.txt").write_text(text.replace("Time Warner", "TW Corp"), "utf-8")
    report = index_paths(store, [folder])
    assert (report.updated, report.added) == (1, 1)
    articles = _articles(store)
    assert sorted(articles) == ["a.txt", "b.txt"]
    assert articles["a.txt"]["copies"] == [] and "Time Warner" in str(articles["b.txt"]["title"])
    assert search(store, '"Time Warner"').total == 1


def test_the_copies_of_an_article_that_becomes_a_copy_keep_their_text(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    first, second = (FIXTURES / "bbc_business" / n for n in ("001.txt", "002.txt"))
    shutil.copy(first, folder / "a.txt")
    shutil.copy(first, folder / "b.txt")
    shutil.copy(second, folder / "c.txt")
    store = Store.create(tmp_path / "index")
    index_paths(store, [folder])
    shutil.copy(second, folder / "a.txt")  # now the same as c.txt
    index_paths(store, [folder])
    articles = _articles(store)
    assert sorted(articles) == ["b.txt", "c.txt"]
    assert articles["c.txt"]["copies"] == ["a.txt"]
    assert search(store, '"Ad sales boost"').total == 1


def test_a_copy_taking_a_removed_articles_place_keeps_its_own_date(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    title, body = "Cocoa exports slow", "Cocoa exports fell again this week, traders said. " * 5
    (folder / "a.txt").write_text(f"{title}\n\n{body}", "utf-8")
    record = {"title": title, "body": body, "date": "1987-02-26T15:02:20", "source": "Reuters"}
    (folder / "b.jsonl").write_text(json.dumps(record) + "\n", "utf-8")
    store = Store.create(tmp_path / "index")
    index_paths(store, [folder])
    assert sorted(_articles(store)) == ["a.txt"]  # b.jsonl's record is its copy
    (folder / "a.txt").unlink()
    assert index_paths(store, [folder], prune=True).removed == 1
    (kept,) = _articles(store).values()
    assert Path(str(kept["path"])).name == "b.jsonl"
    assert kept["date"] == datetime(1987, 2, 26, 15, 2, 20) and kept["source"] == "Reuters"


def test_records_repeated_in_one_file_stay_one_article_when_the_article_they_copied_goes(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "news"
    (folder / "a").mkdir(parents=True)
    (folder / "z").mkdir()
    text = (FIXTURES / "bbc_business" / "013.txt").read_text("utf-8")
    shutil.copy(FIXTURES / "bbc_business" / "013.txt", folder / "a" / "h.txt")
    title, body = text.split("\n", 1)
    row = json.dumps({"title": title, "body": body.strip()})
    (folder / "z" / "y.jsonl").write_text(f"{row}\n{row}\n", "utf-8")
    store = Store.create(tmp_path / "index")
    index_paths(store, [folder])
    assert _articles(store)["h.txt"]["copies"] == ["y.jsonl", "y.jsonl"]
    (folder / "a" / "h.txt").unlink()
    index_paths(store, [folder], prune=True)
    articles = _articles(store)
    assert sorted(articles) == ["y.jsonl#line 1"]
    assert articles["y.jsonl#line 1"]["copies"] == ["y.jsonl"]


def test_a_copy_from_standard_input_takes_a_removed_articles_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    folder = tmp_path / "news"
    folder.mkdir()
    text = (FIXTURES / "bbc_business" / "001.txt").read_text("utf-8")
    (folder / "a.txt").write_text(text, "utf-8")
    store = Store.create(tmp_path / "index")
    index_paths(store, [folder])
    stdin = io.BufferedReader(io.BytesIO(text.encode("utf-8")))
    assert index_paths(store, [Path("-")], stdin=stdin).duplicates == 1
    (folder / "a.txt").unlink()
    index_paths(store, [folder], prune=True)
    (kept,) = _articles(store).values()
    assert kept["origin"] == "stdin" and search(store, '"Time Warner"').total == 1


def test_a_copy_whose_file_cannot_be_read_is_read_when_it_can(tmp_path: Path) -> None:
    """Its article goes while the copy's folder is away (an unmounted drive):
    the copy is read again by the next run that can."""
    news, other = tmp_path / "news", tmp_path / "other"
    news.mkdir()
    other.mkdir()
    shutil.copy(FIXTURES / "bbc_business" / "001.txt", news / "a.txt")
    shutil.copy(FIXTURES / "bbc_business" / "001.txt", other / "b.txt")
    store = Store.create(tmp_path / "index")
    index_paths(store, [news, other])
    (news / "a.txt").unlink()
    other.rename(tmp_path / "away")
    index_paths(store, [news], prune=True)
    assert _articles(store) == {}
    (tmp_path / "away").rename(other)
    index_paths(store, [news, other], prune=True)
    assert sorted(_articles(store)) == ["b.txt"]


def test_an_item_repeated_in_a_feed_is_one_article_when_it_takes_a_place(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    title, body = "Cocoa exports slow", "Cocoa exports fell again this week, traders said. " * 5
    (folder / "a.txt").write_text(f"{title}\n\n{body}", "utf-8")
    item = (
        f"<item><title>{title}</title><guid>cocoa-1</guid><description>{body}</description></item>"
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{item}{item}'
    (folder / "wire.rss").write_text(feed + "</channel></rss>", "utf-8")
    store = Store.create(tmp_path / "index")
    index_paths(store, [folder])
    assert sorted(_articles(store)) == ["a.txt"]
    (folder / "a.txt").unlink()
    index_paths(store, [folder], prune=True)
    with store.ix.searcher() as searcher:
        ids = [fields["id"] for fields in searcher.all_stored_fields()]
    assert len(ids) == 1


def test_a_copy_keeps_its_own_date_when_a_checkpoint_falls_after_its_articles_removal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.index import sync

    folder = tmp_path / "news"
    folder.mkdir()
    title, body = "Cocoa exports slow", "Cocoa exports fell again this week, traders said. " * 5
    other = {"id": "r2", "title": "Rubber output", "body": "Rubber output rose in May. " * 5}
    first = {"id": "r1", "title": title, "body": body}
    (folder / "a.jsonl").write_text(f"{json.dumps(first)}\n{json.dumps(other)}\n", "utf-8")
    record = {"id": "r1", "title": title, "body": body, "date": "1987-02-26T15:02:20"}
    (folder / "b.jsonl").write_text(json.dumps(record) + "\n", "utf-8")  # another copy of r1
    store = Store.create(tmp_path / "index")
    index_paths(store, [folder])
    assert sorted(_articles(store)) == ["a.jsonl#line 1", "a.jsonl#line 2"]
    (folder / "a.jsonl").write_text(json.dumps(other) + "\n", "utf-8")  # r1 goes
    (folder / "c.txt").write_text("Tin prices\n\nTin prices held steady all week.", "utf-8")
    monkeypatch.setattr(sync, "CHECKPOINT_ARTICLES", 1)
    monkeypatch.setattr(sync, "CHECKPOINT_MOST", 1)  # a commit after c.txt's article
    index_paths(store, [folder])
    kept = _articles(store)["b.jsonl#line 1"]
    assert kept["date"] == datetime(1987, 2, 26, 15, 2, 20)


def test_a_run_stopped_between_the_index_and_the_tables_second_commit_is_completed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy whose text changed becomes an article of its own; if the run
    stops after the index's commit but before the table says so, the next
    run still takes it off the copies its old article lists ("also in")."""
    from archive.index.dedup import StoryTable

    folder = tmp_path / "news"
    folder.mkdir()
    text = (FIXTURES / "bbc_business" / "001.txt").read_text("utf-8")
    (folder / "a.txt").write_text(text, "utf-8")
    (folder / "b.txt").write_text(text, "utf-8")
    store = Store.create(tmp_path / "index")
    assert index_paths(store, [folder]).duplicates == 1
    first = sources.article_id(str((folder / "a.txt").resolve()))
    assert len(store.get(first).copies) == 1
    (folder / "b.txt").write_text(text + "\nA correction was added later.\n", "utf-8")

    class Killed(BaseException):
        pass

    def kill(*args: object) -> None:
        raise Killed

    monkeypatch.setattr(StoryTable, "drop_copy", kill)  # its first change after the index's
    with pytest.raises(Killed):
        index_paths(store, [folder])
    monkeypatch.undo()
    second = sources.article_id(str((folder / "b.txt").resolve()))
    assert store.get(second).id == second  # the index holds it as an article already
    index_paths(store, [folder])
    assert store.get(first).copies == ()  # no longer "also in" the article it left
    assert "correction" in store.get(second).body
