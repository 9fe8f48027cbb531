"""Following sources and watching searches, against a real HTTP server on
the loopback interface serving the shared feeds (copied into fixtures)."""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import FIXTURES, Ran

from archive.follow import fetch

Run = Callable[..., Ran]
FEEDS = FIXTURES / "ingest" / "feeds"
PAGES = FIXTURES / "ingest" / "html"
ETAG = '"v1"'
MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"

ENTITIES = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol">]>
<rss version="2.0"><channel><title>x</title><item><title>&lol;</title></item></channel></rss>"""


def rss(title: str, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{text}</title><description>{text} in full: "
        f"the talks on the pipeline went on.</description></item>"
        for guid, text in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"{entries}</channel></rss>"
    ).encode()


# Placeholders and dates past either end of what a date can hold, as real feeds carry.
BAD_DATES = [
    "0000-00-00T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-05:00",
    "Mon, 31 Dec 9999 23:59:59 -1200",
]


def dated(dates: list[str]) -> bytes:
    """A feed with one entry for each date."""
    items = "".join(
        f"<item><guid>d{n}</guid><title>Dated story {n}</title><pubDate>{date}</pubDate>"
        f"<description>Story {n} of the dated desk, in full.</description></item>"
        for n, date in enumerate(dates)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Dated</title>'
    return f"{head}{items}</channel></rss>".encode()


class Site:
    """What the server serves, and what it was asked."""

    def __init__(self) -> None:
        self.changing = [("c1", "Pipeline talks open")]
        self.other = [("o1", "Harbour works begin")]
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.busy = 0  # 503s still to give
        self.secret_fetched = False

    def route(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.requests.append((path, headers))
        feed = {"/nhs.rss": "nhs_north_west_news.rss", "/uol.rss": "uol_noticias_latin1_nodecl.rss",
                "/verge.atom": "theverge.atom", "/heise.atom": "heise_developer.atom"}  # fmt: skip
        if path in feed:
            if headers.get("if-none-match") == ETAG:
                return 304, {}, b""
            body = (FEEDS / feed[path]).read_bytes()
            return 200, {"ETag": ETAG, "Last-Modified": MODIFIED}, body
        if path == "/changing.rss":
            return 200, {"Content-Type": "application/rss+xml"}, rss("Changing", self.changing)
        if path == "/other.rss":
            return 200, {"Content-Type": "application/rss+xml"}, rss("Other", self.other)
        if path == "/moved":
            return 301, {"Location": "/nhs.rss"}, b""
        if path == "/hop":  # a redirect to a server that is busy at first
            return 302, {"Location": "/busy"}, b""
        if path == "/to-file":
            return 302, {"Location": "file:///etc/passwd"}, b""
        if path == "/to-metadata":  # the cloud's metadata service, a link-local address
            return 302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""
        if path == "/to-localhost":  # the same server, by another loopback name
            return (
                302,
                {"Location": f"http://localhost:{headers['host'].split(':')[1]}/nhs.rss"},
                b"",
            )
        if path == "/local-links.rss":  # summaries whose pages are on this machine
            page = f"http://localhost:{headers['host'].split(':')[1]}/news/obama.html"
            item = f"<item><guid>l1</guid><title>Local</title><link>{page}</link></item>"
            return 200, {}, f"<rss><channel><title>L</title>{item}</channel></rss>".encode()
        if path == "/loop":
            return 302, {"Location": "/loop"}, b""
        if path == "/fail":
            return 500, {}, b"oops"
        if path == "/busy":
            if self.busy:
                self.busy -= 1
                return 503, {"Retry-After": "0"}, b""
            return 200, {}, rss("Busy", [("b1", "Busy desk reports")])
        if path == "/slow":
            time.sleep(1.5)
            return 200, {}, rss("Slow", [])
        if path == "/bomb.rss":
            return 200, {"Content-Encoding": "gzip"}, gzip.compress(b" " * (3 * 2**20))
        if path == "/entities.rss":
            return 200, {}, ENTITIES
        if path == "/feed.json":
            return 200, {"Content-Type": "application/feed+json"}, JSON_FEED
        if path == "/site.html":
            links = (
                '<link rel="alternate" type="application/rss+xml" title="NHS" href="/nhs.rss">'
                '<link rel="alternate" type="application/atom+xml" href="verge.atom">'
            )
            return 200, {"Content-Type": "text/html"}, f"<html><head>{links}</head></html>".encode()
        if path == "/summaries.rss":
            items = "".join(
                f"<item><guid>s{n}</guid><title>Summary {n}</title><link>{link}</link>"
                f"<description>Only a summary of story {n}.</description>"
                f"<author>desk@example.org (Entry Desk)</author></item>"
                for n, link in enumerate(
                    ["/news/obama.html", "/private/secret.html", "/news/gone.html"]
                )
            )
            head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Summaries</title>'
            return 200, {}, f"{head}{items}</channel></rss>".encode()
        if path == "/robots.txt":
            return 200, {}, b"User-agent: *\nDisallow: /private/\n"
        if path == "/news/obama.html":
            return (
                200,
                {"Content-Type": "text/html"},
                (PAGES / "bbc-1" / "source.html").read_bytes(),
            )
        if path == "/private/secret.html":
            self.secret_fetched = True
            return 200, {"Content-Type": "text/html"}, b"<html>secret</html>"
        if path == "/bad-dates.rss":
            return 200, {}, dated([*BAD_DATES, "2026-11-30T10:00:00Z"])
        if path == "/hostile.html":  # its first feed link is no web address
            links = "".join(
                f'<link rel="alternate" type="application/rss+xml" href="{href}">'
                for href in [
                    "file:///etc/passwd",
                    "javascript:alert(1)",
                    "/notfeed.xml",
                    "/nhs.rss",
                ]
            )
            return 200, {"Content-Type": "text/html"}, f"<html><head>{links}</head></html>".encode()
        if path == "/many.html":
            links = "".join(
                f'<link rel="alternate" type="application/rss+xml" href="/{feed}">'
                for feed in ["nhs.rss", "uol.rss", "verge.atom", "heise.atom"]
            )
            return 200, {"Content-Type": "text/html"}, f"<html><head>{links}</head></html>".encode()
        if path == "/notfeed.xml":
            return 200, {"Content-Type": "text/xml"}, b"<?xml version='1.0'?><config><a/></config>"
        if path == "/plain.html":
            return 200, {"Content-Type": "text/html"}, b"<!doctype html><html><p>hi</p></html>"
        return 404, {}, b"not here"


JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON Desk",
        "items": [
            {
                "id": "j1",
                "title": "Pipeline deal signed",
                "content_text": "The pipeline deal was signed on Monday after long talks.",
                "date_published": "2026-11-30T10:00:00Z",
                "authors": [{"name": "A. Writer"}],
            },
        ],
    }
).encode()


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Site]]:
    monkeypatch.setattr(fetch, "TIMEOUT", 0.5)
    monkeypatch.setattr(fetch, "MAX_BYTES", 2 * 2**20)
    served = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = served.route(self.path, headers)
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served
    server.shutdown()
    server.server_close()


def lines(ran: Ran) -> list[str]:
    return ran.out.splitlines()


def test_follow_fetches_at_once_and_update_costs_a_304(run: Run, site: tuple[str, Site]) -> None:
    base, served = site
    ran = run("follow", f"{base}/nhs.rss", f"{base}/uol.rss")
    assert ran.code == 0, ran.err
    assert any(line.startswith("following ") and "/nhs.rss" in line for line in lines(ran))
    assert "Updated 2 sources:" in ran.out and " 0 failed" in ran.out
    first = int(ran.out.split("sources: ")[1].split(" new")[0])
    assert first == 17  # 2 + 15 entries
    served.requests.clear()
    again = run("update")
    assert again.code == 0
    assert again.out.count(": unchanged") == 2
    assert all(headers.get("if-none-match") == ETAG for _, headers in served.requests)
    assert json.loads(run("search", "--json", "--all", "*").out)["articles"] == first


def test_a_changing_feed_adds_only_its_new_entries(run: Run, site: tuple[str, Site]) -> None:
    base, served = site
    assert run("follow", f"{base}/changing.rss").code == 0
    served.changing.append(("c2", "Pipeline talks close"))
    ran = run("update")
    assert "Changing: 1 new" in ran.out
    assert json.loads(run("search", "--json", "pipeline talks").out)["articles"] == 2


def test_a_page_is_followed_through_the_feeds_it_names(run: Run, site: tuple[str, Site]) -> None:
    base, _ = site
    ran = run("follow", f"{base}/site.html")
    assert f"<{base}/nhs.rss> (named by the page (2 found))" in ran.out
    assert "/verge.atom" not in ran.out  # the first only
    every = run("follow", "--all-feeds", f"{base}/site.html")
    assert "already following" in every.out and f"<{base}/verge.atom>" in every.out
    plain = run("follow", f"{base}/plain.html")
    assert plain.code == 2 and "the page names no feed" in plain.err
    nowhere = run("follow", "not-a-url")
    assert nowhere.code == 2 and "cannot follow 'not-a-url': not a web address" in nowhere.err


def test_a_permanent_redirect_moves_the_source(run: Run, site: tuple[str, Site]) -> None:
    base, _ = site
    assert run("follow", f"{base}/moved").code == 0
    listed = json.loads(run("follow", "--list", "--json").out)
    assert [s["url"] for s in listed] == [f"{base}/nhs.rss"]


def test_failing_sources_say_why_and_the_rest_is_indexed(
    run: Run, site: tuple[str, Site], tmp_path: Path
) -> None:
    base, _ = site
    opml = tmp_path / "feeds.opml"
    names = ["fail", "loop", "slow", "bomb.rss", "entities.rss", "plain.html", "nhs.rss"]
    outlines = "".join(f'<outline text="{n}" xmlUrl="{base}/{n}"/>' for n in names)
    outlines += '<outline text="refused" xmlUrl="http://127.0.0.1:1/feed.rss"/>'  # nothing listens
    opml.write_text(f"<opml version='2.0'><body>{outlines}</body></opml>", "utf-8")
    ran = run("follow", "--import", str(opml))
    assert ran.code == 3
    said = {line.split(":", 1)[0]: line for line in lines(ran) if ": failed: " in line}
    assert "HTTP 500" in said["fail"]
    assert "cannot connect" in said["refused"]
    assert "redirect loop" in said["loop"]
    assert "timed out" in said["slow"]
    assert "compression bomb" in said["bomb.rss"]
    assert "entities" in said["entities.rss"]
    assert "an HTML page where a feed was expected" in said["plain.html"]
    assert "NHS North West: 2 new" in ran.out or "2 new" in ran.out
    listed = {
        s["url"].rsplit("/", 1)[1]: s for s in json.loads(run("follow", "--list", "--json").out)
    }
    assert listed["fail"]["failures"] == 1 and "HTTP 500" in listed["fail"]["last_error"]
    assert listed["nhs.rss"]["articles"] == 2 and listed["nhs.rss"]["failures"] == 0


def test_busy_servers_are_retried_after_the_time_they_ask(run: Run, site: tuple[str, Site]) -> None:
    base, served = site
    served.busy = 2
    ran = run("follow", f"{base}/busy")
    assert ran.code == 0 and "1 new" in ran.out
    assert [path for path, _ in served.requests].count("/busy") >= 3


def test_a_json_feed_is_read(run: Run, site: tuple[str, Site]) -> None:
    base, _ = site
    assert run("follow", f"{base}/feed.json").code == 0
    hit = json.loads(run("search", "--json", "pipeline deal").out)["hits"][0]
    assert hit["title"] == "Pipeline deal signed" and hit["authors"] == ["A. Writer"]


def test_a_saved_json_feed_is_indexed_as_following_reads_it(
    run: Run, site: tuple[str, Site], tmp_path: Path
) -> None:
    base, _ = site
    saved = tmp_path / "feed.json"
    saved.write_bytes(JSON_FEED)
    run("follow", f"{base}/feed.json")
    followed = json.loads(run("search", "--json", "pipeline deal").out)["hits"][0]
    assert run("--index-dir", str(tmp_path / "saved"), "index", str(saved)).code == 0
    ran = run("--index-dir", str(tmp_path / "saved"), "search", "--json", "pipeline deal")
    indexed = json.loads(ran.out)["hits"][0]
    for field in ("title", "date", "source", "authors"):
        assert indexed[field] == followed[field], field
    assert indexed["source"] == "JSON Desk" and indexed["date"].startswith("2026-11-30")
    shown = json.loads(
        run("--index-dir", str(tmp_path / "saved"), "show", "--json", indexed["id"]).out
    )
    assert shown["body"] == "The pipeline deal was signed on Monday after long talks."


def test_unfollow_keeps_the_articles_and_opml_goes_both_ways(
    run: Run, site: tuple[str, Site], tmp_path: Path
) -> None:
    base, _ = site
    run("follow", f"{base}/nhs.rss", f"{base}/uol.rss")
    exported = run("follow", "--export").out
    assert exported.count("<outline ") == 2 and f'xmlUrl="{base}/uol.rss"' in exported
    ran = run("unfollow", f"{base}/uol.rss")
    assert ran.code == 0 and "its 15 articles stay" in ran.out
    assert len(json.loads(run("follow", "--list", "--json").out)) == 1
    assert run("unfollow", "nothing-like-it").code == 2
    (tmp_path / "back.opml").write_text(exported, "utf-8")
    again = run("follow", "--import", str(tmp_path / "back.opml"))
    assert "already following" in again.out and "following UOL" in again.out.replace("  ", " ")


def test_watches_say_what_is_new_and_show_it_once(run: Run, site: tuple[str, Site]) -> None:
    base, served = site
    run("follow", f"{base}/changing.rss")
    assert run("watch", "add", "pipeline", "pipeline", "talks").code == 0
    assert "pipeline" in run("watch").out and " 0 " in run("watch").out
    served.changing.append(("c2", "Pipeline talks resume"))
    ran = run("update", "--watch")
    assert "1 new" in ran.out
    shown = json.loads(run("watch", "show", "pipeline", "--json").out)
    assert [hit["title"] for hit in shown["hits"]] == ["Pipeline talks resume"]
    assert run("watch", "show", "pipeline").code == 1  # seen now: nothing new
    assert len(json.loads(run("watch", "show", "pipeline", "--all", "--json").out)["hits"]) == 2
    replaced = run("watch", "add", "pipeline", "pipeline", "deal")
    assert "replacing the watch pipeline (was: pipeline talks)" in replaced.out
    assert run("watch", "rm", "pipeline").code == 0
    assert run("watch", "show", "pipeline").code == 2


def test_sources_and_watches_survive_a_rebuild(run: Run, site: tuple[str, Site]) -> None:
    base, _ = site
    run("follow", f"{base}/nhs.rss")
    run("watch", "add", "nhs", "hospital")
    assert run("rebuild").code in (0, 3)
    assert len(json.loads(run("follow", "--list", "--json").out)) == 1
    assert "nhs" in run("watch").out


def test_full_text_fetches_each_new_page_that_robots_allow(
    run: Run, site: tuple[str, Site]
) -> None:
    base, served = site
    ran = run("follow", "--full-text", f"{base}/summaries.rss")
    assert ran.code == 0 and "Summaries: 3 new" in ran.out
    assert "robots.txt does not allow" in ran.err and "HTTP 404" in ran.err
    assert not served.secret_fetched
    found = json.loads(run("search", "--json", "gun", "laws").out)["hits"]
    assert [hit["title"] for hit in found] == [
        "Obama admits US gun laws are his 'biggest frustration'"
    ]
    assert found[0]["url"] == f"{base}/news/obama.html"  # the entry's link
    assert found[0]["date"].startswith("2015-07-24")  # the page's date, which it had
    kept = json.loads(run("search", "--json", "only", "summary").out)["hits"]
    assert sorted(hit["title"] for hit in kept) == ["Summary 1", "Summary 2"]  # summaries stay
    served.requests.clear()
    assert "Summaries: unchanged" in run("update").out
    assert not any(path.startswith("/news/") for path, _ in served.requests)  # pages once
    again = json.loads(run("search", "--json", "gun", "laws").out)["hits"]
    assert [hit["title"] for hit in again] == [found[0]["title"]]  # the summary did not return
    assert json.loads(run("follow", "--list", "--json").out)[0]["full_text"] == 1


def test_a_second_update_waits_or_exits_4_with_no_wait(run: Run, site: tuple[str, Site]) -> None:
    from archive.index.store import Store
    from archive.locations import resolve_index

    base, _ = site
    run("follow", f"{base}/nhs.rss")
    store = Store.open(resolve_index(None).path)
    with store.writing(doing="update"):  # as a running update holds it
        busy = run("update", "--no-wait")
    assert busy.code == 4 and "being written" in busy.err
    assert run("update").code == 0  # once it is free


def test_an_impossible_date_leaves_its_entry_undated_and_blocks_nothing(
    run: Run, site: tuple[str, Site], tmp_path: Path
) -> None:
    base, _ = site
    ran = run("follow", f"{base}/bad-dates.rss", f"{base}/nhs.rss")
    assert ran.code == 0, ran.err
    assert "Dated: 5 new" in ran.out and "2 new" in ran.out
    warned = [line for line in ran.err.splitlines() if "indexed without a date" in line]
    assert len(warned) == 1 and f"{base}/bad-dates.rss: 4 articles with unreadable" in warned[0]
    found = json.loads(run("search", "--json", "dated", "desk").out)["hits"]
    assert sorted(bool(hit["date"]) for hit in found) == [False] * 4 + [True]
    saved = tmp_path / "dated.xml"
    saved.write_bytes(dated(BAD_DATES))
    indexed = run("index", str(saved))
    assert indexed.code == 0 and indexed.err.count("indexed without a date") == 1
    assert "4 articles with unreadable dates" in indexed.err


def test_a_source_that_breaks_the_reader_fails_alone(
    run: Run, site: tuple[str, Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.sources import feeds

    base, served = site
    real = feeds.html_to_text

    def breaks(markup: str) -> str:
        if "Pipeline" in markup:
            raise RuntimeError("the reader broke")
        return real(markup)

    assert run("follow", f"{base}/changing.rss", f"{base}/other.rss").code == 0
    served.changing.append(("c2", "Pipeline talks close"))
    served.other.append(("o2", "Harbour works end"))
    monkeypatch.setattr(feeds, "html_to_text", breaks)
    ran = run("update")
    assert ran.code == 3, ran.err
    failed = [line for line in ran.out.splitlines() if ": failed: " in line]
    assert len(failed) == 1 and failed[0].startswith("Changing: failed: ")
    assert "the reader broke" in failed[0]
    assert "Other: 1 new" in ran.out  # the other source is committed
    assert json.loads(run("search", "--json", "--all", "*").out)["articles"] == 3


def test_what_a_source_gave_is_said_once_it_is_committed(
    run: Run, site: tuple[str, Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.index import sync

    base, served = site
    assert run("follow", f"{base}/changing.rss").code == 0
    served.changing.append(("c2", "Pipeline talks close"))

    def full_disk(self: sync.Session) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(sync.Session, "_write", full_disk)
        failed = run("update")
    assert failed.code == 2 and "No space left on device" in failed.err
    assert "new" not in failed.out  # nothing arrived, and nothing says it did
    assert "Changing: 1 new" in run("update").out


def test_an_entry_changed_under_its_guid_is_reported_updated(
    run: Run, site: tuple[str, Site]
) -> None:
    base, served = site
    assert run("follow", f"{base}/changing.rss").code == 0
    served.changing[0] = ("c1", "Pipeline talks reopen")
    ran = run("update")
    assert "Changing: 0 new, 1 updated" in ran.out
    assert "0 new articles, 1 updated, 0 failed" in ran.out
    assert json.loads(run("search", "--json", "reopen").out)["articles"] == 1


def test_follow_takes_web_addresses_of_real_feeds_only(
    run: Run, site: tuple[str, Site], tmp_path: Path
) -> None:
    base, _ = site
    opml = tmp_path / "feeds.opml"
    outlines = "".join(
        f'<outline text="x" xmlUrl="{url}"/>'
        for url in ["file:///etc/passwd", "javascript:alert(1)", f"{base}/nhs.rss"]
    )
    opml.write_text(f"<opml version='2.0'><body>{outlines}</body></opml>", "utf-8")
    imported = run("follow", "--import", str(opml))
    assert imported.code == 3 and "2 new" in imported.out
    refused = [line for line in imported.err.splitlines() if "not following" in line]
    assert len(refused) == 2 and "'file:///etc/passwd'" in refused[0]
    assert all("not a web address" in line for line in refused)
    paged = run("follow", f"{base}/hostile.html")
    assert paged.code == 3 and f"<{base}/nhs.rss>" in paged.out
    assert paged.err.count("not following") == 3 and "/notfeed.xml: not a feed" in paged.err
    notfeed = run("follow", f"{base}/notfeed.xml")
    assert notfeed.code == 2 and "not a feed" in notfeed.err
    listed = [source["url"] for source in json.loads(run("follow", "--list", "--json").out)]
    assert listed == [f"{base}/nhs.rss"]


def test_all_feeds_follows_at_most_a_page_s_worth(
    run: Run, site: tuple[str, Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.follow import discover

    base, _ = site
    monkeypatch.setattr(discover, "MAX_FEEDS_PER_PAGE", 2)
    ran = run("follow", "--all-feeds", f"{base}/many.html")
    assert ran.code == 0, ran.err
    assert ran.out.count("following ") == 2 and "the first 2 of 4; 2 left out" in ran.out
    assert len(json.loads(run("follow", "--list", "--json").out)) == 2


def test_a_redirect_to_a_busy_server_is_retried_not_called_a_loop(
    run: Run, site: tuple[str, Site]
) -> None:
    base, served = site
    served.busy = 1
    ran = run("follow", f"{base}/hop")
    assert ran.code == 0, ran.err
    assert "Busy: 1 new" in ran.out


def test_a_redirect_to_no_web_address_names_where_it_led(run: Run, site: tuple[str, Site]) -> None:
    base, _ = site
    ran = run("follow", f"{base}/to-file")
    assert ran.code == 2 and "'file:///etc/passwd'" in ran.err and "/to-file" in ran.err


@pytest.fixture
def public_name(monkeypatch: pytest.MonkeyPatch) -> str:
    """A name the archive takes for a public address, which the system's
    resolver maps to this machine (as a hostile DNS server could)."""
    import socket

    from archive.follow import addresses

    name = "news.example"
    real_resolve, real_getaddrinfo = addresses.resolve, socket.getaddrinfo
    monkeypatch.setattr(
        addresses, "resolve", lambda host: ["93.184.216.34"] if host == name else real_resolve(host)
    )
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *rest, **kw: real_getaddrinfo(
            "127.0.0.1" if host == name else host, *rest, **kw
        ),
    )
    return name


def test_redirects_from_a_public_source_to_private_addresses_are_refused(
    run: Run, site: tuple[str, Site], public_name: str
) -> None:
    base, _ = site
    local = run("follow", f"{base}/to-localhost")  # a source on this machine may go on it
    assert local.code == 0 and "2 new" in local.out
    public = base.replace("127.0.0.1", public_name)
    assert run("follow", f"{public}/verge.atom").code == 0  # a public source is fetched
    for path, target in [("to-localhost", "localhost"), ("to-metadata", "169.254.169.254")]:
        ran = run("follow", f"{public}/{path}")
        assert ran.code == 2 and "to a private address" in ran.err and target in ran.err
    listed = [s["url"] for s in json.loads(run("follow", "--list", "--json").out)]
    assert listed == [f"{base.replace('127.0.0.1', 'localhost')}/nhs.rss", f"{public}/verge.atom"]


def test_a_public_feed_s_links_to_private_pages_are_not_fetched(
    run: Run, site: tuple[str, Site], public_name: str
) -> None:
    base, served = site
    public = base.replace("127.0.0.1", public_name)
    ran = run("follow", "--full-text", f"{public}/local-links.rss")
    assert ran.code == 0 and "L: 1 new" in ran.out
    assert "is a private address (127.0.0.1)" in ran.err and "summary is kept" in ran.err
    assert not any(path.startswith("/news/") for path, _ in served.requests)


def test_watch_names_are_shown_escaped_and_empty_or_control_names_refused(
    run: Run, seeded: object, index_dir: Path
) -> None:
    from archive.follow.table import FollowTable, now

    for name in ["", "   ", "red\x1b[31m", "two\nlines"]:
        ran = run("watch", "add", name, "oil")
        assert ran.code == 2 and len(ran.err.splitlines()) == 1 and "watch name" in ran.err
    table = FollowTable(index_dir)  # a name saved before names were checked
    with table.db:
        table.db.execute(
            "INSERT INTO watches (name, request, seen, added) VALUES (?, ?, ?, ?)",
            ("\x1b[31mred\nforged  0  line", json.dumps({"query": "oil"}), now(True), now()),
        )
    table.close()
    for ran in (run("watch"), run("update", "--watch")):
        assert "\x1b" not in ran.out and not any(
            line.startswith("forged") for line in ran.out.splitlines()
        )
        assert "\\x1b[31mred\\nforged" in ran.out
