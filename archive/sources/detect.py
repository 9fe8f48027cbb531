"""Which reader a file needs: by its name first, then by its first bytes."""

from __future__ import annotations

import re

TEXT, MARKDOWN, HTML, FEED, JSON, JSONL, CSV = (
    "text",
    "markdown",
    "html",
    "feed",
    "json",
    "jsonl",
    "csv",
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
}
GZIP_MAGIC = b"\x1f\x8b"
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)


def by_name(name: str) -> str | None:
    """The format a file name promises (``.gz`` looks at the name inside)."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    dot = lower.rfind(".")
    return BY_SUFFIX.get(lower[dot:]) if dot >= 0 else None


def by_content(head: bytes) -> str:
    """The format the first few KB of (decompressed) data look like."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    if start.startswith((b"{", b"[")):
        first_line = start.split(b"\n", 1)[0].strip()
        if start.startswith(b"{") and first_line.endswith(b"}") and b"\n{" in start:
            return JSONL
        return JSON
    if start.startswith(b"<"):
        if _FEED_ROOT.search(start):
            return FEED
        if _HTML_ROOT.search(start):
            return HTML
    return TEXT
