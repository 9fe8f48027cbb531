"""Fetching from hostile servers on the loopback interface: compression
bombs, trickling answers, endless pages. Each test bounds what the archive
may spend (memory, pages, time) and says why it stopped; hangs are guarded
by an alarm, never by measuring time."""

from __future__ import annotations

import contextlib
import gzip
import signal
import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import Ran

from archive.follow import fetch

Run = Callable[..., Ran]
Respond = Callable[[BaseHTTPRequestHandler], None]


class Hung(BaseException):
    """A test that hung (not an Exception, which the code under test may catch)."""


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    """Fail a test that hangs instead of letting it stop the suite."""

    def hung(*_: Any) -> None:
        raise Hung("the test hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(15)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def serving(respond: Respond) -> Iterator[str]:
    """A server on the loopback interface, ``respond`` writing each answer."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                respond(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.block_on_close = False  # a trickling answer ends with the client, not the server
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def answer(handler: BaseHTTPRequestHandler, body: bytes, **headers: str) -> None:
    handler.send_response(200)
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def gzipped(size: int) -> bytes:
    """``size`` zero bytes, gzipped a megabyte at a time (a thousandth the size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(2**20)
    return b"".join(packer.compress(block) for _ in range(size // 2**20)) + packer.flush()


NESTED_BOMB = gzip.compress(gzipped(64 * 2**20))  # under a kilobyte, 64 MB inside


def test_a_nested_compression_bomb_is_refused_in_bounded_memory(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "MAX_BYTES", 2 * 2**20)

    def bomb(handler: BaseHTTPRequestHandler) -> None:
        answer(handler, NESTED_BOMB, Content_Encoding="gzip, gzip")

    with serving(bomb) as base:
        http = fetch.client()
        tracemalloc.start()
        try:
            with pytest.raises(fetch.Failed, match="compression bomb"):
                fetch.fetch(http, f"{base}/feed.rss")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            http.close()
        assert peak < 16 * 2**20  # the cap and a few pieces, not what the bomb holds
        ran = run("follow", f"{base}/feed.rss")
    assert ran.code == 2 and "compression bomb" in ran.err and "/feed.rss" in ran.err


def test_content_codings_the_archive_did_not_ask_for_are_refused(run: Run) -> None:
    def brotli(handler: BaseHTTPRequestHandler) -> None:
        answer(handler, b"\x0b\x02\x80hello\x03", Content_Encoding="br")

    with serving(brotli) as base:
        ran = run("follow", f"{base}/feed.rss")
    assert ran.code == 2 and "content coding" in ran.err and "'br'" in ran.err


def trickle(handler: BaseHTTPRequestHandler, start: bytes) -> None:
    """Write ``start``, then a byte every 20 ms, for ever (until the client goes)."""
    handler.wfile.write(start)
    while True:
        handler.wfile.write(b"x")
        handler.wfile.flush()
        threading.Event().wait(0.02)


TRICKLING_BODY = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n<rss>"
TRICKLING_HEADERS = b"HTTP/1.1 200 OK\r\nX-Trickle: "


@pytest.mark.parametrize("start", [TRICKLING_BODY, TRICKLING_HEADERS], ids=["body", "headers"])
def test_a_trickling_answer_is_cut_at_the_request_deadline(
    run: Run, monkeypatch: pytest.MonkeyPatch, start: bytes
) -> None:
    monkeypatch.setattr(fetch, "REQUEST_SECONDS", 0.3)  # each read is quick: the whole is not
    with serving(lambda handler: trickle(handler, start)) as base:
        ran = run("follow", f"{base}/feed.rss")
    assert ran.code == 2 and "no complete answer within 0.3 s" in ran.err


def summaries(count: int) -> bytes:
    """A feed of ``count`` summaries, each linking to its page."""
    items = "".join(
        f"<item><guid>s{n}</guid><title>Summary {n}</title><link>/page/{n}</link>"
        f"<description>Only a summary of story {n}.</description></item>"
        for n in range(count)
    )
    return f"<rss><channel><title>Summaries</title>{items}</channel></rss>".encode()


PAGE = b"<html><head><title>Story</title></head><body><article><p>" + b"The whole story. " * 40


def site(pages_trickle: bool, asked: list[str]) -> Respond:
    """A feed of six summaries; each page answers at once, or trickles."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        asked.append(handler.path)
        if handler.path == "/feed.rss":
            answer(handler, summaries(6))
        elif handler.path.startswith("/page/") and pages_trickle:
            trickle(handler, TRICKLING_BODY)
        elif handler.path.startswith("/page/"):
            story = f"This is {handler.path}. ".encode()  # each page its own story
            page = PAGE + story + b"</p></article></body></html>"
            answer(handler, page, Content_Type="text/html")
        else:
            handler.send_error(404)

    return respond


def test_full_text_stops_at_the_pages_of_one_run(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.follow import update

    monkeypatch.setattr(update, "MAX_PAGES", 2)
    asked: list[str] = []
    with serving(site(False, asked)) as base:
        ran = run("follow", "--full-text", f"{base}/feed.rss")
    assert ran.code == 0 and "Summaries: 6 new" in ran.out
    assert len([path for path in asked if path.startswith("/page/")]) == 2
    assert "4 entries keep their summaries" in ran.err and "2 pages" in ran.err


def test_full_text_stops_when_the_source_s_time_is_spent(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.follow import update

    monkeypatch.setattr(fetch, "REQUEST_SECONDS", 0.3)  # each page takes at least this
    monkeypatch.setattr(update, "SOURCE_SECONDS", 0.8)  # so no more than three fit
    asked: list[str] = []
    with serving(site(True, asked)) as base:
        ran = run("follow", "--full-text", f"{base}/feed.rss")
    assert ran.code == 0 and "Summaries: 6 new" in ran.out
    assert len([path for path in asked if path.startswith("/page/")]) <= 3
    assert "no complete answer within 0.3 s" in ran.err
    assert "entries keep their summaries" in ran.err and "time" in ran.err
