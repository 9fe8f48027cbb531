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


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    """Fail a test that hangs instead of letting it stop the suite."""

    def hung(*_: Any) -> None:
        raise TimeoutError("the test hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)
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
