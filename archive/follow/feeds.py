"""What a fetched source holds: a feed's articles (RSS, Atom or JSON Feed),
read by the same readers as saved files, or, for a site's page, the feeds it
names in its ``<link rel="alternate">``."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from archive.model import Article, Problem
from archive.sources import detect, read_data

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
SNIFF_BYTES = 8192


@dataclass
class Feed:
    """A fetched body read as a feed: its entries, and what went wrong."""

    entries: list[Article]
    problems: list[Problem]

    @property
    def title(self) -> str | None:
        """The feed's own title (its entries' source), to name the source by."""
        return next((entry.source for entry in self.entries if entry.source), None)

    @property
    def refused(self) -> Problem | None:
        """Why the body is no feed at all, or one refused as unsafe."""
        refused = [problem for problem in self.problems if problem.skipped]
        return refused[0] if refused and not self.entries else None


def kind(body: bytes, content_type: str) -> str:
    """The body's format (archive.sources.detect): by its first bytes, then
    by the Content-Type the server gave."""
    return detect.by_content(body[:SNIFF_BYTES], content_type)


def read(body: bytes, content_type: str, url: str) -> Feed:
    """The feed in a fetched body, or a refusal saying why there is none."""
    found = kind(body, content_type)
    if found == detect.HTML:
        return Feed([], [Problem(url, "an HTML page where a feed was expected")])
    if found in (detect.JSON, detect.JSONL):
        return Feed([], [Problem(url, "JSON that is not a JSON Feed")])
    reader = found if found == detect.JSONFEED else detect.FEED  # feedparser decides the rest
    try:
        items = list(read_data(body, reader, name=url, origin=url))
    except Exception as err:  # a feed no reader foresaw fails its source, not the run
        return Feed([], [Problem(url, f"unreadable: {type(err).__name__}: {err}")])
    problems = [item for item in items if isinstance(item, Problem)]
    return Feed([item for item in items if isinstance(item, Article)], problems)


def feeds_in_page(body: bytes, base: str) -> list[tuple[str, str | None]]:
    """The feeds a page names, in its order: (absolute URL, title)."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(body)
    except (ValueError, lxml.etree.ParserError):
        return []
    found: list[tuple[str, str | None]] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        type_ = (link.get("type") or "").lower().split(";")[0].strip()
        href = link.get("href")
        if "alternate" in rel and type_ in FEED_TYPES and href:
            url = urljoin(base, href.strip())
            if url not in [u for u, _ in found]:
                found.append((url, (link.get("title") or "").strip() or None))
    return found
