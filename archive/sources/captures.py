"""The records of a web archive (WARC or ARC, gzipped record by record or
not), read one at a time with warcio, as ``Capture`` and ``Damage`` values.

Only a page's body is read into memory (at most MAX_PAGE_BYTES of it); every
other record streams past, so memory does not grow with the file or with a
record. A record cut short, or one whose length is wrong, or one that cannot
be parsed or inflated, is a ``Damage``: in a file, reading goes on at the
next record found after it.

What this module uses of warcio beyond its documented API is kept here, and
tests/test_webarchive.py checks each by name: the iterator's ``offset``,
``fh``, ``err_count``, ``read_to_end`` and ``INC_RECORD`` warning, the
message of a file gzipped whole, a record's ``raw_stream.limit``, and the
readers' ``_decompress`` (with ``decompressor`` and ``num_block_read``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader, DecompressingBufferedReader

from archive.sources import detect

PAGE = "page"  # an HTML page: read as an article
_SNIFF = "sniff"  # a response without a Content-Type: its first bytes tell
# A page's body is read up to this many bytes, as a saved .html file is.
MAX_PAGE_BYTES = 32 * 1024 * 1024
_SCAN_BYTES = 1 << 20  # read at a time when looking for the next record
# Where a record can start, after damage: a gzip member, a WARC version line,
# or an ARC header line (URL, address, 14-digit date, type, length).
_GZIP_START = re.compile(rb"\x1f\x8b\x08")
_PLAIN_START = re.compile(
    rb"\n(?:WARC/(?:1\.[01]|0\.1[78])\r?\n|[a-z][a-z0-9+.-]*:\S* \S+ \d{14} \S* \d+\r?\n)"
)
_NOT_CHUNKED = "non-chunked gzip"  # in warcio's message for a file gzipped whole


@dataclass(frozen=True)
class Capture:
    """One record: a page (``kind`` PAGE, with its body) or what it is passed over as."""

    offset: int  # where the record starts in the file (in its gzip members)
    kind: str  # PAGE, or a key of archive.sources.webarchive.PASSED_OVER
    uri: str = ""  # WARC-Target-URI: the address captured
    date: str = ""  # WARC-Date: when it was captured
    content_type: str = ""  # the page's Content-Type, with its charset if declared
    body: bytes = b""  # a page's body (HTTP content and transfer codings undone)


@dataclass(frozen=True)
class Damage:
    """A record that could not be read whole, and where reading went on."""

    offset: int
    reason: str  # one line: what is wrong, and what was read after it


class _Damaged(Exception):
    """A record read to its end that was not whole."""


class _Raising:
    """Where warcio prints an inflating error met part-way and reads on as if
    the data had ended, raise it: the record is damaged."""

    def _decompress(self: Any, data: bytes) -> bytes:
        if not (self.decompressor and data and self.num_block_read):
            return super()._decompress(data)  # type: ignore[misc]
        try:
            return bytes(self.decompressor.decompress(data))
        except Exception as err:  # zlib and brotli raise their own kinds
            raise _Damaged(f"corrupt compressed data ({err})") from err


class _Inflating(_Raising, DecompressingBufferedReader):
    pass


class _Decoding(_Raising, BufferedReader):
    pass


class _Dechunking(_Raising, ChunkedDataReader):
    pass


class _Records(ArchiveIterator):
    """warcio's iterator, its warning of a record with a wrong length counted
    (in ``err_count``) and not printed, its inflating errors raised."""

    INC_RECORD = ""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(stream, arc2warc=True)
        self.reader = _Inflating(self.fh)  # before anything is read


def captures(stream: IO[bytes], seekable: bool) -> Iterator[Capture | Damage]:
    """Every record from the stream's position on, in order.

    After damage, a ``seekable`` stream is searched for the next record and
    read on from there; any other stream ends at the damage.
    """
    gzipped = _gzipped(stream) if seekable else False
    while True:
        records = _Records(stream)
        at = records.offset
        try:
            for record in records:
                at = records.offset
                capture = _capture(record, at)
                _finish(records, record)
                at = records.offset  # the next record's, should it fail to parse
                yield capture
            _check_end(records)
            return
        except MemoryError:
            raise
        except Exception as err:  # warcio, zlib and the stream raise many kinds
            whole = _NOT_CHUNKED in str(err)  # no record boundary to find: one gzip member
            resumed = _next_record(stream, at + 1, gzipped) if seekable and not whole else None
            yield Damage(max(at, 0), f"{_reason(err, gzipped)}; {_after(resumed, seekable)}")
            if resumed is None:
                return
            stream.seek(resumed)


def _capture(record: Any, offset: int) -> Capture:
    if record.length is None:  # every record has one: its headers were cut short
        raise _Damaged("cut short (its headers end before its length)")
    kind = _kind(record)
    headers = record.rec_headers
    uri = headers.get_header("WARC-Target-URI") or ""
    date = headers.get_header("WARC-Date") or ""
    if kind not in (PAGE, _SNIFF):
        return Capture(offset, kind, uri, date)
    if record.length > MAX_PAGE_BYTES:  # not read at all: warcio reads a chunk whole
        return Capture(offset, "too-large", uri, date)
    body = _read(_body(record), MAX_PAGE_BYTES + 1)
    if kind == _SNIFF:
        kind = PAGE if detect.by_content(body[:8192]) == detect.HTML else "other"
    if len(body) > MAX_PAGE_BYTES:
        kind = "too-large"
    content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
    return Capture(offset, kind, uri, date, content_type or record.content_type or "", body)


def _kind(record: Any) -> str:
    """PAGE, _SNIFF, or what the record is passed over as."""
    kind = record.rec_type
    if kind == "response":
        return _response_kind(record.http_headers)
    if kind == "resource":
        return PAGE if "html" in (record.content_type or "").lower() else "resource"
    if kind in ("warcinfo", "arc_header"):
        return "metadata"
    return kind if kind in ("request", "metadata", "revisit") else "other"


def _response_kind(http: Any) -> str:
    if http is None:  # dns:, whois: and the like
        return "other"
    status = http.get_statuscode() or ""
    if status.startswith("3"):
        return "redirect"
    if not status.startswith("2"):
        return "error"
    media = (http.get_header("Content-Type") or "").strip().lower()
    if not media:
        return _SNIFF
    for word, kind in (("html", PAGE), ("image/", "image"), ("script", "script"), ("css", "style")):
        if word in media:
            return kind
    return "other"


def _body(record: Any) -> Any:
    """The record's payload, its HTTP content and transfer codings undone (as
    warcio's ``content_stream``, but with inflating errors raised)."""
    http = record.http_headers
    if http is None:
        return record.raw_stream
    coding = (http.get_header("Content-Encoding") or "").strip().lower()
    coding = "gzip" if coding == "x-gzip" else coding
    known = coding if coding in BufferedReader.get_supported_decompressors() else None
    if (http.get_header("Transfer-Encoding") or "").lower() == "chunked":
        return _Dechunking(record.raw_stream, decomp_type=known)
    return _Decoding(record.raw_stream, decomp_type=known) if known else record.raw_stream


def _read(stream: Any, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream."""
    pieces, wanted = [], size
    while wanted > 0:
        piece = stream.read(wanted)
        if not piece:
            break
        pieces.append(piece)
        wanted -= len(piece)
    return b"".join(pieces)


def _finish(records: _Records, record: Any) -> None:
    """Read past the record; raise _Damaged if it was not whole."""
    errors = records.err_count
    records.read_to_end(record)
    missing = getattr(record.raw_stream, "limit", 0)
    if missing > 0:
        raise _Damaged(f"cut short (the data ends {missing:,} bytes before the record does)")
    if records.err_count > errors:
        raise _Damaged("its length is wrong (it does not end where it says it does)")


def _check_end(records: _Records) -> None:
    """Raise _Damaged if the data went on past the last whole record (a
    record cut short before its headers ended reads as no record at all)."""
    if records.fh.tell() > records.offset:
        raise _Damaged("cut short (the data ends inside its headers)")


def _reason(err: Exception, gzipped: bool) -> str:
    if isinstance(err, _Damaged):
        return str(err)
    message = str(err).strip()
    if _NOT_CHUNKED in message:
        return "the file is gzipped whole, not record by record ('warcio recompress' mends that)"
    if message.startswith(("Unknown archive format", "Invalid WARC", "Invalid ARC")):
        # warcio reads a gzip member that does not inflate as it stands
        return "corrupt gzip data" if gzipped else "not a WARC or ARC record"
    first = message.splitlines()[0][:120] if message else ""
    return f"cannot be read ({type(err).__name__}{': ' + first if first else ''})"


def _after(resumed: int | None, seekable: bool) -> str:
    if resumed is not None:
        return f"reading went on at byte {resumed}"
    return "no record was found after it" if seekable else "nothing after it was read"


def _gzipped(stream: IO[bytes]) -> bool:
    at = stream.tell()
    start = stream.read(2)
    stream.seek(at)
    return start == detect.GZIP_MAGIC


def _next_record(stream: IO[bytes], start: int, gzipped: bool) -> int | None:
    """The offset of the first record that can be read at or after ``start``."""
    pattern, skip = (_GZIP_START, 0) if gzipped else (_PLAIN_START, 1)
    position = start
    while True:
        stream.seek(position)
        chunk = stream.read(_SCAN_BYTES)
        for match in pattern.finditer(chunk):
            if _starts_record(stream, position + match.start() + skip):
                return position + match.start() + skip
        if len(chunk) < _SCAN_BYTES:
            return None
        position += len(chunk) - 64  # a match across the boundary is found next time


def _starts_record(stream: IO[bytes], offset: int) -> bool:
    stream.seek(offset)
    try:
        next(iter(_Records(stream)))
    except MemoryError:
        raise
    except Exception:
        return False
    return True
