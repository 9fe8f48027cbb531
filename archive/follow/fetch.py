"""Getting a URL politely: one client, timeouts, a deadline for each
request (archive.follow.watchdog), conditional requests, retries that
honour Retry-After, and bounded sizes.

A server that fails gives a one-line reason (``Failed``), never a traceback;
a feed over MAX_BYTES, or one that inflates past that, is refused as it
arrives, without being held whole (archive.follow.body).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from archive import __version__
from archive.follow import addresses, body, watchdog

USER_AGENT = f"news-archive/{__version__} (+https://pypi.org/project/news-archive/; feed reader)"
MAX_BYTES = 32 * 2**20  # the largest feed or page read
TIMEOUT = 20.0  # seconds to connect, and between bytes
# Seconds for a whole answer, however it trickles: a feed or page of a few MB
# arrives in seconds, and a server slower than this is stalling.
REQUEST_SECONDS = 60.0
RETRIES = 3  # attempts on 429 and 503
MAX_WAIT = 30.0  # longest Retry-After honoured, in seconds
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


class Failed(Exception):
    """A fetch that failed, with the reason in words."""


@dataclass
class Fetched:
    url: str  # where it was found, after redirects
    status: int  # 200, or 304 when unchanged
    body: bytes
    content_type: str
    etag: str | None
    modified: str | None
    moved: bool  # a permanent redirect: the source's URL should change


@dataclass
class _Busy:
    """A 429 or 503 answer, and the Retry-After it gave."""

    retry_after: str | None


def client() -> watchdog.Client:
    """The one HTTP client of a run (at most four connections to a host)."""
    import httpx

    return watchdog.Client(
        httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": body.ACCEPTED},
            timeout=httpx.Timeout(TIMEOUT),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
            follow_redirects=False,
        )
    )


def fetch(
    http: watchdog.Client,
    url: str,
    etag: str | None = None,
    modified: str | None = None,
    sleep: Any = time.sleep,
    origin: str | None = None,
    deadline: float | None = None,
) -> Fetched:
    """GET ``url`` (conditionally, given an ETag or Last-Modified), following
    redirects and retrying on 429 and 503; or Failed with the reason.

    Each attempt has REQUEST_SECONDS, and all of them end by ``deadline`` (a
    time.monotonic() value) if one is given. Addresses on this machine or a
    private network are reached only when ``origin`` (the source the address
    came from: ``url`` itself unless given) is on one too."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    private = addresses.private_address(origin or url) is not None
    for attempt in range(1, RETRIES + 1):
        with watchdog.Deadline(http, _seconds(deadline)) as alarm:
            got = _attempt(http, url, headers, private, alarm, last=attempt == RETRIES)
        if isinstance(got, Fetched):
            return got
        wait = _retry_after(got.retry_after, attempt)
        if deadline is not None:  # the next attempt says so if no time is left
            wait = max(0.0, min(wait, deadline - time.monotonic()))
        sleep(wait)
    raise AssertionError("unreachable")  # the last attempt returns or raises


def _seconds(deadline: float | None) -> float:
    """The time an attempt has: REQUEST_SECONDS, or what is left before ``deadline``."""
    if deadline is None:
        return REQUEST_SECONDS
    left = deadline - time.monotonic()
    if left <= 0:
        raise Failed("no time left for this source in this run")
    return min(REQUEST_SECONDS, left)


def _attempt(
    http: watchdog.Client,
    url: str,
    headers: dict[str, str],
    private: bool,
    alarm: watchdog.Deadline,
    last: bool,
) -> Fetched | _Busy:
    """One attempt, from ``url`` through its redirects to the whole body; or,
    when the server is busy and another attempt is due, what it asked."""
    try:
        response, moved, final = _follow(http, url, headers, private, alarm.seconds)
        if response.status_code in (429, 503) and not last:
            response.close()
            return _Busy(response.headers.get("Retry-After"))
        got = _read(response, final, moved)
    except Failed:
        raise
    except Exception as err:  # a failed connection, or a broken stream: one line
        raise _failure(err, url, alarm) from None
    if alarm.passed:  # an answer cut short (one that ends when the connection does)
        raise _failure(TimeoutError(), url, alarm)
    return got


def _failure(err: Exception, url: str, alarm: watchdog.Deadline) -> Failed:
    """The one-line reason an attempt failed."""
    import httpx

    if alarm.passed:
        return Failed(f"no complete answer within {alarm.seconds:.3g} s")
    if isinstance(err, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return Failed(f"not a web address: {url!r} (give one starting with https://)")
    if isinstance(err, httpx.TimeoutException):
        return Failed(f"timed out after {min(TIMEOUT, alarm.seconds):.3g} s")
    if isinstance(err, httpx.ConnectError):
        return Failed(f"cannot connect: {_reason(err)}")
    if isinstance(err, body.Refused):
        return Failed(str(err))
    return Failed(f"{type(err).__name__}: {_reason(err)}")


def _follow(
    http: watchdog.Client, url: str, headers: dict[str, str], private: bool, seconds: float
) -> tuple[Any, bool, str]:
    """The response at the end of any redirects; whether every one was permanent."""
    seen, permanent = [url], True
    for _ in range(MAX_REDIRECTS + 1):
        response = http.send(url, headers, timeout=min(TIMEOUT, seconds))
        if response.status_code not in _REDIRECTS or "Location" not in response.headers:
            return response, permanent and url != seen[0], url
        permanent = permanent and response.status_code in (301, 308)
        response.close()
        url = urljoin(url, response.headers["Location"].strip())
        if url in seen:
            raise Failed(f"a redirect loop ({len(seen)} addresses)")
        _may_go(url, private)
        seen.append(url)
    raise Failed(f"more than {MAX_REDIRECTS} redirects")


def _may_go(target: str, private: bool) -> None:
    """Failed unless a redirect may lead to ``target``."""
    if addresses.not_web(target) is not None:
        raise Failed(f"redirected to {target!r}, which is not a web address")
    address = None if private else addresses.private_address(target)
    if address is not None:
        raise Failed(f"redirected to a private address ({target}, {address}) from a public source")


def _read(response: Any, url: str, moved: bool) -> Fetched:
    try:
        if response.status_code == 304:
            return Fetched(url, 304, b"", "", None, None, moved)
        if response.status_code >= 400:
            raise Failed(f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > MAX_BYTES:
            raise Failed(f"{int(declared):,} bytes: larger than {MAX_BYTES // 2**20} MB")
        applied = body.codings(response.headers.get("Content-Encoding", ""))
        data = body.read(response.iter_raw(), applied, MAX_BYTES)
        return Fetched(
            url,
            response.status_code,
            data,
            response.headers.get("Content-Type", ""),
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
            moved,
        )
    finally:
        response.close()


def _retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait: the server's Retry-After (seconds or a date), else
    backing off, never more than MAX_WAIT."""
    wait = float(2**attempt)
    if value:
        if value.strip().isdigit():
            wait = float(value.strip())
        else:
            try:
                when = parsedate_to_datetime(value)
                wait = when.timestamp() - time.time()
            except (TypeError, ValueError):
                pass
    return max(0.0, min(wait, MAX_WAIT))


def _reason(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:200]
