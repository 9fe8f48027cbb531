"""Which reader a file needs: by its name first, then by its first bytes."""

from __future__ import annotations

import re

TEXT, MARKDOWN, HTML, FEED, JSONFEED, JSON, JSONL, CSV, WARC, WACZ = (
    "text",
    "markdown",
    "html",
    "feed",
    "jsonfeed",
    "json",
    "jsonl",
    "csv",
    "warc",  # a web archive: WARC or ARC records (each gzipped, or not)
    "wacz",  # a web archive package: WARC files in a zip
)
BY_SUFFIX = {
    ".txt": TEXT,
    ".text": TEXT,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".html": HTML,
    ".htm": HTML,
    ".xhtml": HTML,
    ".xml": FEED,
    ".rss": FEED,
    ".atom": FEED,
    ".rdf": FEED,
    ".json": JSON,
    ".jsonl": JSONL,
    ".ndjson": JSONL,
    ".csv": CSV,
    ".tsv": CSV,
    ".warc": WARC,
    ".arc": WARC,
    ".wacz": WACZ,
}
GZIP_MAGIC = b"\x1f\x8b"
# A WARC record starts with its version line, an ARC file with its description.
_WEB_ARCHIVE_START = (b"WARC/", b"filedesc://")
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)
# Every JSON Feed names its version by a jsonfeed.org URL, at the top by the
# specification's advice (JSON Feed 1.1, "version"), so the first few KB tell.
_JSON_FEED_VERSION = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/', re.IGNORECASE)
# What a Content-Type says, for data whose first bytes do not.
_BY_TYPE = (("html", HTML), ("json", JSON), ("xml", FEED), ("rss", FEED), ("atom", FEED))


def by_name(name: str) -> str | None:
    """The format a file name promises (``.gz`` looks at the name inside)."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    dot = lower.rfind(".")
    return BY_SUFFIX.get(lower[dot:]) if dot >= 0 else None


def by_name_and_content(name: str, head: bytes) -> str:
    """The format of a file: its name's, else its content's; a ``.json`` file
    that holds a JSON Feed is a JSON Feed."""
    named = by_name(name)
    if named is None or (named == JSON and by_content(head) == JSONFEED):
        return by_content(head)
    return named


def by_content(head: bytes, content_type: str = "") -> str:
    """The format the first few KB of (decompressed) data look like; for data
    they do not tell, what ``content_type`` (an HTTP Content-Type) says."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    if start.startswith((b"{", b"[")):
        first_line = start.split(b"\n", 1)[0].strip()
        if start.startswith(b"{") and first_line.endswith(b"}") and b"\n{" in start:
            return JSONL
        if start.startswith(b"{") and _JSON_FEED_VERSION.search(start):
            return JSONFEED
        return JSON
    if start.startswith(b"<"):
        if _FEED_ROOT.search(start):
            return FEED
        if _HTML_ROOT.search(start):
            return HTML
    lower = content_type.lower()
    return next((kind for word, kind in _BY_TYPE if word in lower), TEXT)


def web_archive(name: str, head: bytes) -> str | None:
    """WARC or WACZ when the name says so; for a name that does not tell,
    WARC when the first bytes (inflated, if gzipped) are a WARC record or an
    ARC file's description."""
    named = by_name(name)
    if named is not None:
        return named if named in (WARC, WACZ) else None
    if head.startswith(GZIP_MAGIC):
        head = _inflated_head(head)
    return WARC if head.startswith(_WEB_ARCHIVE_START) else None


def _inflated_head(head: bytes) -> bytes:
    import zlib

    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 64)
    except zlib.error:
        return b""
