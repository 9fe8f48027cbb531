"""Web archives: WARC and ARC files, and WACZ packages of them.

Each HTML page captured in a ``response`` record (or stored in a ``resource``
record) is read as a saved page is (archive.sources.html): its title, text,
authors and date, under the address it was captured from (WARC-Target-URI),
dated by the page, else by its capture (WARC-Date), from the page's site.
A page that is not UTF-8 is read in the charset its HTTP header names, else
the one the page names, else the one detected (archive.sources.decode).

Every other record (requests, metadata, revisits, redirects, error
responses, images, scripts, a crawler's logs) and every page without
article text is counted, not reported: one warning per file says how many
pages were read and what was passed over. A damaged record is reported with
its byte offset, and the rest of the file is read.

An article's ID comes from the file, the address and the capture time, so
reading a file again (after a stopped run, say) finds the same articles.
Any record can be read alone from its file and offset (``read_record``).
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from archive.model import Article, Problem
from archive.sources import detect
from archive.sources.captures import PAGE, Capture, Damage, captures
from archive.sources.dates import parse_date
from archive.sources.decode import Undecodable, decode

# What records are passed over as, in the summary: singular and plural.
PASSED_OVER = {
    "request": ("request", "requests"),
    "metadata": ("metadata record", "metadata records"),
    "revisit": ("revisit", "revisits"),
    "redirect": ("redirect", "redirects"),
    "error": ("error response", "error responses"),
    "image": ("image", "images"),
    "script": ("script", "scripts"),
    "style": ("style sheet", "style sheets"),
    "resource": ("log or other resource", "logs and other resources"),
    "other": ("other record", "other records"),
    "no-text": ("page without article text", "pages without article text"),
    "too-large": ("page over 32 MB", "pages over 32 MB"),
}
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


class Tally:
    """What one web archive gave: pages read, records passed over by kind."""

    def __init__(self) -> None:
        self.pages = 0
        self.passed: Counter[str] = Counter()
        self.damaged = 0

    def summary(self, path: str) -> Iterator[Problem]:
        """One warning saying what was read and what passed over (none if all were pages)."""
        if not (self.pages or self.passed or self.damaged):
            yield Problem(path, "empty file")
        elif self.passed:
            kinds = [(n, PASSED_OVER[kind][n != 1]) for kind, n in self.passed.items()]
            each = ", ".join(
                f"{n:,} {noun}" for n, noun in sorted(kinds, key=lambda k: (-k[0], k[1]))
            )
            total = sum(self.passed.values())
            pages = f"{self.pages:,} page{'' if self.pages == 1 else 's'} read"
            passed = f"{total:,} record{'' if total == 1 else 's'} passed over"
            yield Problem(path, f"{pages}, {passed} ({each})", skipped=False)


def read_web_archive(stream: IO[bytes], *, path: str) -> Iterator[Article | Problem]:
    """The articles in a WARC or ARC stream (a file, or standard input)."""
    tally = Tally()
    seekable = _seekable(stream)
    yield from articles(captures(stream, seekable), path=path, tally=tally)
    yield from tally.summary(path)


def read_wacz(stream: IO[bytes], *, path: str) -> Iterator[Article | Problem]:
    """The articles in the WARC files of a WACZ package (archive/*.warc.gz)."""
    if not _seekable(stream):
        yield Problem(path, "a WACZ package is read from a file, not from a stream")
        return
    try:
        package = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError) as err:
        yield Problem(path, f"not a WACZ package: {err}")
        return
    tally = Tally()
    with package:
        members = sorted(n for n in package.namelist() if detect.by_name(n) == detect.WARC)
        if not members:
            yield Problem(path, "a WACZ package without WARC files (archive/*.warc.gz)")
            return
        for member in members:
            yield from _member(package, member, path, tally)
    yield from tally.summary(path)


def _member(
    package: zipfile.ZipFile, member: str, path: str, tally: Tally
) -> Iterator[Article | Problem]:
    try:
        inner = package.open(member)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as err:
        yield Problem(f"{path} ({member})", f"cannot be read from the package: {err}")
        return
    with inner:
        yield from articles(captures(inner, seekable=True), path=path, tally=tally, member=member)


def read_record(path: Path, offset: int, member: str | None = None) -> Iterator[Article | Problem]:
    """The article in the one record at ``offset`` of a web archive (of the
    WARC file ``member`` of a WACZ package), or why it has none: what a
    worker given a share of a file's records reads."""
    where = str(path.resolve())
    with ExitStack() as opened:
        stream: IO[bytes] = opened.enter_context(path.open("rb"))
        if member:
            package = opened.enter_context(zipfile.ZipFile(stream))
            stream = opened.enter_context(package.open(member))
        stream.seek(offset)
        first = next(captures(stream, seekable=False), None)
        found = [first] if first is not None else []
        yield from articles(found, path=where, tally=Tally(), member=member)


def articles(
    found: Iterable[Capture | Damage], *, path: str, tally: Tally, member: str | None = None
) -> Iterator[Article | Problem]:
    """Articles of the pages captured, the other records counted in ``tally``,
    damaged records reported."""
    for item in found:
        if isinstance(item, Damage):
            tally.damaged += 1
            yield Problem(
                f"{path} ({_place(item.offset, member)})", f"damaged record: {item.reason}"
            )
        elif item.kind == PAGE:
            yield from _page(item, path, member, tally)
        else:
            tally.passed[item.kind] += 1


def _page(
    capture: Capture, path: str, member: str | None, tally: Tally
) -> Iterator[Problem | Article]:
    from archive.sources.html import read_html

    record = _place(capture.offset, member) + (f", captured {capture.date}" if capture.date else "")
    read = list(read_html(_utf8(capture), path=path, origin=_origin(capture, path, member)))
    if not any(isinstance(item, Article) for item in read):
        tally.passed["no-text"] += 1
        return
    tally.pages += 1
    for item in read:
        if isinstance(item, Problem):  # a warning about the page: named by its record
            yield Problem(f"{path} ({record})", item.reason, item.skipped)
        else:
            yield _captured(item, capture, record)


def _captured(article: Article, capture: Capture, record: str) -> Article:
    """The page's article at the address it was captured from, dated by the
    page or else by its capture, from the page's site or else the address's."""
    return replace(
        article,
        url=capture.uri or article.url,
        date=article.date or _capture_date(capture.date),
        source=article.source or _site(capture.uri),
        record=record,
    )


def _origin(capture: Capture, path: str, member: str | None) -> str:
    """Stable across runs: the file (and the WARC inside a package), the
    capture time and the address; the offset only for a record without them."""
    inside = f"{member}#" if member else ""
    if capture.uri and capture.date:
        return f"{path}#{inside}{capture.date} {capture.uri}"
    return f"{path}#{inside}byte {capture.offset}"


def _place(offset: int, member: str | None) -> str:
    return f"{member + ': ' if member else ''}record at byte {offset}"


def _utf8(capture: Capture) -> bytes:
    """The page's bytes as UTF-8: as they are if they are UTF-8, else read in
    the charset the HTTP header names, else the page's own, else the one
    detected (archive.sources.decode)."""
    named = _CHARSET.search(capture.content_type)
    meta = _META_CHARSET.search(capture.body[:4096])
    declared = named.group(1) if named else meta.group(1).decode("ascii") if meta else None
    try:
        text, encoding = decode(capture.body, declared)
    except Undecodable:
        return capture.body
    return capture.body if encoding in ("utf-8", "utf-8-sig") else text.encode("utf-8")


def _capture_date(value: str) -> datetime | None:
    try:
        return parse_date(value)
    except ValueError:
        return None


def _site(uri: str) -> str | None:
    try:
        host = urlsplit(uri).hostname or ""
    except ValueError:  # a malformed address ("http://[x")
        return None
    return host.removeprefix("www.") or None


def _seekable(stream: IO[bytes]) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False
