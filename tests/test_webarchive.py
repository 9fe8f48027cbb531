"""Web archives: WARC, ARC and WACZ files as crawlers write them."""

from __future__ import annotations

import gzip
import io
import json
import random
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, SHARED, Ran
from hypothesis import given
from hypothesis import strategies as st
from test_hostile import FUZZ
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import sources
from archive.index.indexer import Quiet, Stop, index_paths
from archive.index.store import Store
from archive.model import Article, Problem, SyncReport
from archive.sources import webarchive

Run = Callable[..., Ran]
SAMPLES = SHARED / "corpora" / "web_archives"
HERITRIX = "IAH-20080430204825-00000-blackbook-truncated"
OWN = FIXTURES / "web_archives"
NEWS = FIXTURES / "ingest" / "html"
CAPTURED = "2024-05-01T10:00:00Z"


def read(path: Path) -> tuple[list[Article], list[Problem]]:
    items = list(sources.read_file(path))
    return (
        [i for i in items if isinstance(i, Article)],
        [i for i in items if isinstance(i, Problem)],
    )


# -- writing web archives as crawlers do ------------------------------------------


@dataclass
class Rec:
    """One record to write: a response unless ``kind`` says otherwise."""

    uri: str
    body: bytes = b""
    kind: str = "response"
    media: str | None = "text/html; charset=utf-8"
    status: str = "200 OK"
    date: str = CAPTURED
    headers: tuple[tuple[str, str], ...] = ()


def write_warc(path: Path, records: Iterable[Rec], gzipped: bool = True) -> Path:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gzipped)
        for rec in records:
            writer.write_record(_record(writer, rec))
    return path


def _record(writer: WARCWriter, rec: Rec) -> object:
    dated = {"WARC-Date": rec.date}
    if rec.kind == "request":
        http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
        return writer.create_warc_record(
            rec.uri, "request", http_headers=http, warc_headers_dict=dated
        )
    if rec.kind in ("resource", "metadata"):
        return writer.create_warc_record(
            rec.uri,
            rec.kind,
            payload=io.BytesIO(rec.body),
            length=len(rec.body),
            warc_content_type=rec.media or "",
            warc_headers_dict=dated,
        )
    fields = [("Content-Type", rec.media)] if rec.media else []
    http = StatusAndHeaders(rec.status, [*fields, *rec.headers], protocol="HTTP/1.1")
    if rec.kind == "revisit":
        return writer.create_revisit_record(rec.uri, "sha1:X", rec.uri, rec.date, http_headers=http)
    return writer.create_warc_record(
        rec.uri,
        "response",
        payload=io.BytesIO(rec.body),
        length=len(rec.body),
        http_headers=http,
        warc_headers_dict=dated,
    )


WORDS = (
    "council budget river harbour election minister storm festival rail bridge school hospital "
    "court farmers market museum strike vaccine drought airport mayor union port energy wages"
).split()


def news_page(n: int, dated: bool = True) -> bytes:
    """A small news article page, different from every other ``n``."""
    pick = random.Random(n)
    paragraphs = "".join(
        f"<p>{' '.join(pick.choice(WORDS) for _ in range(40))} (story {n}, part {p}).</p>"
        for p in range(3)
    )
    date = f'<meta property="article:published_time" content="2023-0{1 + n % 9}-1{n % 10}">'
    return (
        f"<html><head><title>Story {n}: {WORDS[n % len(WORDS)]} news</title>"
        f"{date if dated else ''}</head><body><nav>Home | World</nav>"
        f"<article><h1>Story {n}: {WORDS[n % len(WORDS)]} news</h1>{paragraphs}</article>"
        "</body></html>"
    ).encode()


# -- the real crawls ---------------------------------------------------------------


SAMPLE_COUNTS = {
    f"small-arcs-and-warcs/{HERITRIX}.warc": (
        1,
        "1 page read, 22 records passed over (8 metadata records, 7 requests, 3 images, "
        "3 other records, 1 page without article text)",
    ),
    f"small-arcs-and-warcs/{HERITRIX}.warc.gz": (
        1,
        "1 page read, 22 records passed over (8 metadata records, 7 requests, 3 images, "
        "3 other records, 1 page without article text)",
    ),
    f"small-arcs-and-warcs/{HERITRIX}.arc.gz": (
        1,
        "1 page read, 8 records passed over (3 images, 3 other records, 1 metadata record, "
        "1 page without article text)",
    ),
    "small-arcs-and-warcs/IAH-urls-wget.warc.gz": (
        2,
        "2 pages read, 34 records passed over (16 requests, 9 redirects, 3 images, "
        "3 logs and other resources, 2 other records, 1 metadata record)",
    ),
    "wikipedia-sopa-blackout-2012/wikipedia-blackout/sopa-wikipedia-homepage.warc.gz": (
        1,
        "1 page read, 163 records passed over (86 requests, 58 images, 11 scripts, "
        "3 logs and other resources, 2 other records, 2 style sheets, 1 metadata record)",
    ),
    "wikipedia-sopa-blackout-2012/wikipedia-post-blackout/main-page.warc.gz": (
        1,
        "1 page read, 150 records passed over (77 requests, 54 images, 11 scripts, "
        "3 logs and other resources, 2 other records, 2 style sheets, 1 metadata record)",
    ),
    "wikipedia-sopa-blackout-2012/wikipedia-post-blackout/post-blackout.warc.gz": (
        1,
        "1 page read, 116 records passed over (62 requests, 40 images, 6 scripts, "
        "3 logs and other resources, 2 other records, 2 style sheets, 1 metadata record)",
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_COUNTS))
def test_each_real_crawl_gives_its_pages_and_counts_the_rest(name: str) -> None:
    """The counts of the samples' PROVENANCE.md: the Heritrix files hold two
    HTML responses (one a bare page with no article), the wget crawl eleven
    (nine of them redirects, the page itself fetched twice), the Wikipedia
    crawls one each; requests, metadata, images, scripts, styles, robots.txt,
    an RSS file, a DNS record without a type and wget's logs are counted."""
    path = SAMPLES / name
    if not path.exists():
        pytest.skip("needs ../shared/corpora")
    pages, summary = SAMPLE_COUNTS[name]
    articles, problems = read(path)
    assert len(articles) == pages
    assert [(p.reason, p.skipped) for p in problems] == [(summary, False)]
    assert all(a.url and a.url.startswith("http") and a.date for a in articles)
    assert all(a.record and a.record.startswith("record at byte ") for a in articles)


def test_a_heritrix_page_keeps_its_address_capture_and_site() -> None:
    (page,), _ = read(OWN / f"{HERITRIX}.warc.gz")
    assert page.title == "Institutional Support"
    assert page.url == "http://www.archive.org/index.php"
    assert page.source == "archive.org"  # the page names no site: its address's
    assert page.record == "record at byte 3380, captured 2008-04-30T20:48:26Z"
    assert page.date == datetime(2007, 4, 27)  # the page's own date, not the capture's


# -- news pages: the same articles as saved pages ----------------------------------

PAGES = ["bbc-1", "la-nacion", "herald-sun-1", "heise"]


def test_news_pages_from_a_warc_or_wacz_are_the_articles_of_the_saved_pages(
    tmp_path: Path,
) -> None:
    saved = {name: read(NEWS / name / "source.html")[0][0] for name in PAGES}
    records = [
        Rec(
            saved[name].url or f"https://news.example/{name}",
            (NEWS / name / "source.html").read_bytes(),
        )
        for name in PAGES
    ]
    crawl = write_warc(tmp_path / "news.warc.gz", records)
    package = write_wacz(tmp_path / "news.wacz", crawl)
    for path in (crawl, package):
        articles, problems = read(path)
        assert problems == []  # every record a page with an article: nothing to count
        for name, article in zip(PAGES, articles, strict=True):
            page = saved[name]
            assert (article.title, article.body, article.date) == (page.title, page.body, page.date)
            assert article.url == (page.url or f"https://news.example/{name}")
            assert (article.authors, article.language) == (page.authors, page.language)


def write_wacz(path: Path, *warcs: Path) -> Path:
    """A WACZ package: the WARCs under archive/, with its page list and manifest."""
    with zipfile.ZipFile(path, "w") as package:
        for warc in warcs:
            package.write(warc, f"archive/{warc.name}", compress_type=zipfile.ZIP_STORED)
        package.writestr("pages/pages.jsonl", json.dumps({"format": "json-pages-1.0"}) + "\n")
        package.writestr("datapackage.json", json.dumps({"profile": "data-package"}))
    return path


def test_a_page_without_a_date_is_dated_by_its_capture(tmp_path: Path) -> None:
    crawl = write_warc(
        tmp_path / "c.warc.gz", [Rec("https://www.example.org/a", news_page(1, dated=False))]
    )
    (article,), _ = read(crawl)
    assert article.date == datetime(2024, 5, 1, 10, 0)
    assert article.source == "example.org"


# -- what is not a page ------------------------------------------------------------


def test_records_that_are_not_article_pages_are_counted_not_reported(tmp_path: Path) -> None:
    html = news_page(2)
    crawl = write_warc(
        tmp_path / "mixed.warc.gz",
        [
            Rec("https://a.example/", kind="request"),
            Rec("https://a.example/", html),
            Rec("https://a.example/old", kind="revisit"),
            Rec("https://a.example/gone", b"<html>Not found</html>", status="404 Not Found"),
            Rec("https://a.example/err", b"<html>Oops</html>", status="503 Busy"),
            Rec("https://a.example/moved", b"<html>Moved</html>", status="301 Moved"),
            Rec("https://a.example/logo.png", b"\x89PNG...", media="image/png"),
            Rec("https://a.example/app.js", b"var a;", media="application/javascript"),
            Rec("https://a.example/robots.txt", b"User-agent: *", media="text/plain"),
            Rec("https://a.example/menu", b"<html><body><nav>Home</nav></body></html>"),
            Rec("https://a.example/untyped", news_page(3), media=None),  # sniffed: a page
            Rec("https://a.example/data", b"\x00\x01binary", media=None),
            Rec("metadata://crawler/log", b"fetched 3 pages", kind="resource", media="text/plain"),
            Rec("https://a.example/kept", news_page(4), kind="resource", media="text/html"),
            Rec("https://a.example/", b"outlinks: 3", kind="metadata", media="text/anvl"),
        ],
    )
    articles, problems = read(crawl)
    assert [a.url for a in articles] == [
        "https://a.example/",
        "https://a.example/untyped",
        "https://a.example/kept",
    ]
    assert [(p.reason, p.skipped) for p in problems] == [
        (
            "3 pages read, 12 records passed over (2 error responses, 2 other records, "
            "1 image, 1 log or other resource, 1 metadata record, 1 page without article text, "
            "1 redirect, 1 request, 1 revisit, 1 script)",
            False,
        )
    ]


def test_the_charset_is_the_http_headers_then_the_pages_then_detected(tmp_path: Path) -> None:
    text = "Le conseil municipal a voté un budget élevé pour l'école et l'hôpital " * 6
    page = (
        "<html><head>{meta}<title>Élections à Genève</title></head>"
        f"<body><article><p>{text}</p></article></body></html>"
    )
    crawl = write_warc(
        tmp_path / "charsets.warc.gz",
        [
            Rec(
                "https://a.example/1",
                page.format(meta="").encode("latin-1"),
                media="text/html; charset=iso-8859-1",
            ),
            Rec(
                "https://a.example/2",
                page.format(meta='<meta charset="windows-1252">').encode("cp1252"),
                media="text/html",
            ),
            Rec("https://a.example/3", page.format(meta="").encode("cp1252"), media="text/html"),
            Rec(
                "https://a.example/4",
                page.format(meta="<meta charset=iso-8859-1>").encode("utf-8"),
                media="text/html",
            ),
        ],
    )
    articles, _ = read(crawl)
    assert [a.title for a in articles] == ["Élections à Genève"] * 4
    assert all("élevé pour l'école et l'hôpital" in a.body for a in articles)


# -- damage ------------------------------------------------------------------------


def damaged(tmp_path: Path, how: str) -> Path:
    data = (OWN / f"{HERITRIX}.warc.gz").read_bytes()
    path = tmp_path / f"{how}.warc.gz"
    if how == "cut":  # the download stopped in the record at 2052, in its page
        path.write_bytes(data[:2500])
    elif how == "cut-early":  # ... in its headers
        path.write_bytes(data[:2300])
    elif how == "garbled":  # bytes of the record at 2052 overwritten
        path.write_bytes(data[:2100] + b"\x00" * 16 + data[2116:])
    return path


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        (
            "cut",
            "damaged record: cut short (the data ends 394 bytes before the record does); "
            "no record was found after it",
        ),
        (
            "cut-early",
            "damaged record: cut short (the data ends inside its headers); "
            "no record was found after it",
        ),
        ("garbled", "damaged record: corrupt gzip data; reading went on at byte 2690"),
    ],
)
def test_a_damaged_record_is_named_by_its_offset_and_the_rest_is_read(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], how: str, reason: str
) -> None:
    path = damaged(tmp_path, how)
    articles, problems = read(path)
    damage = [p for p in problems if p.skipped]
    assert [(p.path, p.reason) for p in damage] == [(f"{path} (record at byte 2052)", reason)]
    assert len(articles) == (1 if how == "garbled" else 0)  # the page at 3380 comes after
    assert capfd.readouterr().err == ""  # warcio's own warnings are not printed


def test_damage_deep_inside_a_record_or_a_wrong_length_is_named(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    big = news_page(5) + random.Random(5).randbytes(100_000).hex().encode()
    path = write_warc(
        tmp_path / "deep.warc.gz",
        [Rec("https://a.example/big", big), Rec("https://a.example/next", news_page(6))],
    )
    data = bytearray(path.read_bytes())
    data[60_000:60_040] = b"\x00" * 40  # inside the first record, past its first block
    path.write_bytes(bytes(data))
    articles, problems = read(path)
    assert [a.url for a in articles] == ["https://a.example/next"]
    (damage,) = [p for p in problems if p.skipped]
    assert damage.path.endswith("(record at byte 0)")
    assert damage.reason.startswith("damaged record: corrupt compressed data (")
    plain = write_warc(
        tmp_path / "plain.warc",
        [Rec("https://a.example/p", news_page(7)), Rec("https://a.example/q", news_page(8))],
        gzipped=False,
    )
    text = plain.read_bytes()
    length = text.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0]
    plain.write_bytes(text.replace(b"Content-Length: " + length, b"Content-Length: 900", 1))
    articles, problems = read(plain)
    assert [a.url for a in articles] == ["https://a.example/q"]
    (damage,) = [p for p in problems if p.skipped]
    assert damage.reason.startswith("damaged record: its length is wrong (it does not end where")
    assert capfd.readouterr().err == ""


def test_a_warc_gzipped_whole_is_reported_with_the_mend(tmp_path: Path) -> None:
    plain = write_warc(
        tmp_path / "p.warc",
        [Rec(f"https://a.example/{n}", news_page(n)) for n in (1, 2)],
        gzipped=False,
    )
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    articles, problems = read(whole)
    assert len(articles) == 1
    assert (
        "gzipped whole, not record by record ('warcio recompress' mends that)" in problems[0].reason
    )


def test_not_a_web_archive_at_all_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "fake.warc"
    path.write_text("just some text\n" * 100)
    articles, problems = read(path)
    assert articles == []
    assert [p.reason for p in problems if p.skipped] == [
        "damaged record: not a WARC or ARC record; no record was found after it"
    ]
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    assert read(tmp_path / "empty.warc.gz") == (
        [],
        [Problem(str(tmp_path / "empty.warc.gz"), "empty file")],
    )


# -- indexing: the command line, resuming, memory ----------------------------------


def test_index_and_show_name_the_file_and_record_and_output_carries_url_and_date(
    run: Run, tmp_path: Path
) -> None:
    crawl = tmp_path / "crawl.warc.gz"
    crawl.write_bytes((OWN / f"{HERITRIX}.warc.gz").read_bytes())
    done = run("index", str(crawl))
    assert done.code == 0, done.err
    assert "1 added" in done.out
    assert done.err.splitlines() == [
        f"archive: warning: {crawl}: 1 page read, 22 records passed over (8 metadata records, "
        "7 requests, 3 images, 3 other records, 1 page without article text)"
    ]
    (hit,) = json.loads(run("search", "--json", "institutional").out)["hits"]
    assert (hit["url"], hit["date"]) == ("http://www.archive.org/index.php", "2007-04-27T00:00:00")
    for form in ("csv", "md"):
        cited = run("search", "--format", form, "institutional").out
        assert "http://www.archive.org/index.php" in cited and "2007-04-27" in cited
    shown = run("show", hit["id"]).out
    assert f"{crawl} (record at byte 3380, captured 2008-04-30T20:48:26Z)" in shown
    assert "http://www.archive.org/index.php" in shown
    again = run("index", str(crawl))
    assert "0 added, 0 updated, 1 unchanged" in again.out and again.err == ""


def test_a_damaged_record_is_one_line_and_exit_status_3(run: Run, tmp_path: Path) -> None:
    path = damaged(tmp_path, "garbled")
    done = run("index", str(path))
    assert done.code == 3
    assert (
        f"archive: skipped {path} (record at byte 2052): damaged record: corrupt gzip data"
        in done.err
    )
    assert "1 added" in done.out  # the page after it


class StopAfter(Quiet):
    """Asks the run to stop once ``count`` articles are read (as Ctrl-C does)."""

    def __init__(self, stop: Stop, count: int) -> None:
        self.stop, self.count = stop, count

    def article(self, report: SyncReport) -> None:
        self.count -= 1
        if self.count == 0:
            self.stop.requested = True


def test_a_run_stopped_inside_a_warc_resumes_without_indexing_a_page_twice(tmp_path: Path) -> None:
    crawl = write_warc(
        tmp_path / "big.warc.gz",
        [
            rec
            for n in range(40)
            for rec in (
                Rec(f"https://n.example/{n}", kind="request"),
                Rec(f"https://n.example/{n}", news_page(n)),
            )
        ],
    )
    store = Store.create(tmp_path / "index")
    stop = Stop()
    first = index_paths(store, [crawl], stop=stop, progress=StopAfter(stop, 15))
    assert first.interrupted and first.added == 15
    second = index_paths(store, [crawl])
    assert (second.added, second.unchanged, second.duplicates) == (25, 15, 0)
    assert [p.reason.split(",")[0] for p in second.problems] == ["40 pages read"]
    third = index_paths(store, [crawl])
    assert (third.added, third.unchanged, third.files_unchanged) == (0, 40, 1)
    with store.ix.searcher() as searcher:
        assert searcher.doc_count() == 40


def test_a_warc_that_grows_adds_only_its_new_pages(tmp_path: Path) -> None:
    records = [Rec(f"https://n.example/{n}", news_page(n)) for n in range(5)]
    crawl = write_warc(tmp_path / "grow.warc.gz", records)
    store = Store.create(tmp_path / "index")
    assert index_paths(store, [crawl]).added == 5
    with crawl.open("ab") as out:  # the crawler goes on writing
        WARCWriter(out, gzip=True).write_record(
            _record(WARCWriter(io.BytesIO()), Rec("https://n.example/5", news_page(5)))
        )
    again = index_paths(store, [crawl])
    assert (again.added, again.updated, again.unchanged, again.removed) == (1, 0, 5, 0)


def test_memory_does_not_grow_with_the_file_or_a_record(tmp_path: Path) -> None:
    """Over 100 MB of images (one of them 40 MB) around a page, read in a few MB."""
    import tracemalloc

    image = random.Random(1).randbytes(1 << 20)
    one = io.BytesIO()
    write_warc_to(one, [Rec("https://i.example/a.jpg", image, media="image/jpeg")])
    crawl = tmp_path / "images.warc"
    with crawl.open("wb") as out:
        write_warc_to(out, [Rec("https://i.example/page", news_page(9))])
        for _ in range(64):
            out.write(one.getvalue())
        write_warc_to(out, [Rec("https://i.example/big.jpg", image * 40, media="image/jpeg")])
    assert crawl.stat().st_size > 100 * 2**20
    read(OWN / f"{HERITRIX}.warc.gz")  # the extraction's imports, before measuring
    tracemalloc.start()
    try:
        kinds = [type(item).__name__ for item in sources.read_file(crawl)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert kinds == ["Article", "Problem"]
    assert peak < 8 * 2**20, f"{peak / 2**20:.1f} MB"


def write_warc_to(out: io.BufferedIOBase | io.BytesIO, records: Iterable[Rec]) -> None:
    writer = WARCWriter(out, gzip=False)
    for rec in records:
        writer.write_record(_record(writer, rec))


# -- a record alone, packages, streams, folders ------------------------------------


def test_each_record_reads_alone_from_its_file_and_offset(tmp_path: Path) -> None:
    crawl = write_warc(
        tmp_path / "c.warc.gz", [Rec(f"https://n.example/{n}", news_page(n)) for n in range(3)]
    )
    package = write_wacz(tmp_path / "c.wacz", crawl)
    for path, member in ((crawl, None), (package, "archive/c.warc.gz")):
        articles, _ = read(path)
        assert len(articles) == 3
        for article in articles:
            place = (article.record or "").removeprefix(f"{member}: " if member else "")
            offset = int(place.split("record at byte ")[1].split(",")[0])
            assert list(webarchive.read_record(path, offset, member)) == [article]


def test_a_wacz_names_the_warc_inside_it(tmp_path: Path) -> None:
    crawl = write_warc(
        tmp_path / "data.warc.gz",
        [Rec("https://n.example/1", news_page(1), date="2024-06-02T08:30:00Z")],
    )
    (article,), problems = read(write_wacz(tmp_path / "site.wacz", crawl))
    assert problems == []
    assert article.path == str(tmp_path / "site.wacz")
    assert article.record == "archive/data.warc.gz: record at byte 0, captured 2024-06-02T08:30:00Z"
    (tmp_path / "empty.wacz").write_bytes(b"not a zip")
    _, problems = read(tmp_path / "empty.wacz")
    assert [p.reason.split(":")[0] for p in problems] == ["not a WACZ package"]


def test_standard_input_and_folders_are_read_as_web_archives(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    crawl = write_warc(tmp_path / "in" / "c.warc.gz", [Rec("https://n.example/1", news_page(1))])
    stdin = io.BufferedReader(io.BytesIO(crawl.read_bytes()))
    items = list(sources.read_stream(stdin, name="-", origin="stdin"))
    assert [type(i).__name__ for i in items] == ["Article"]
    assert items[0].record == "record at byte 0, captured 2024-05-01T10:00:00Z"
    write_wacz(tmp_path / "in" / "c.wacz", crawl)
    (tmp_path / "in" / "old.arc.gz").write_bytes((OWN / f"{HERITRIX}.arc.gz").read_bytes())
    found = sorted(p.name for p in sources.find_inputs([tmp_path / "in"]) if isinstance(p, Path))
    assert found == ["c.wacz", "c.warc.gz", "old.arc.gz"]


# -- what is used of warcio beyond its documented API --------------------------------


def test_the_warcio_internals_relied_on_are_still_there(tmp_path: Path) -> None:
    """Fails by name when an upgrade of warcio moves what the reader uses."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import BufferedReader

    from archive.sources import captures

    assert "INC_RECORD" in vars(ArchiveIterator)
    assert callable(BufferedReader._decompress)
    with (OWN / f"{HERITRIX}.warc.gz").open("rb") as stream:
        records = ArchiveIterator(stream)
        assert (records.offset, records.err_count) == (0, 0)
        record = next(records)
        records.read_to_end(record)
        assert records.offset == 463 and record.raw_stream.limit == 0
        assert isinstance(records.reader.num_block_read, int) and records.reader.decompressor
    assert captures._NOT_CHUNKED in ArchiveIterator.GZIP_ERR_MSG


# -- hostile input ------------------------------------------------------------------

REAL = (OWN / f"{HERITRIX}.warc.gz").read_bytes()[:3380]  # its records before the article page
PLAIN = gzip.decompress(REAL)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.tuples(st.integers(0, len(REAL) - 1), st.binary(min_size=1, max_size=64)).map(
            lambda cut: REAL[: cut[0]] + cut[1] + REAL[cut[0] + len(cut[1]) :]
        ),
        st.tuples(st.integers(0, len(PLAIN) - 1), st.binary(min_size=1, max_size=64)).map(
            lambda cut: PLAIN[: cut[0]] + cut[1] + PLAIN[cut[0] + len(cut[1]) :]
        ),
        st.integers(0, len(REAL)).map(lambda n: REAL[:n]),
    ),
    st.sampled_from(["a.warc", "a.warc.gz", "a.arc.gz", "a.wacz"]),
)
def test_any_bytes_as_a_web_archive_give_articles_or_one_line_problems(
    data: bytes, name: str
) -> None:
    stream = io.BufferedReader(io.BytesIO(data))
    items = list(sources.read_stream(stream, name=name, origin="fuzz"))
    assert all(isinstance(item, Article | Problem) for item in items)
    assert all("\n" not in item.reason for item in items if isinstance(item, Problem))
