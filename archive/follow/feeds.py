"""What a fetched source holds: a feed's articles (RSS, Atom or JSON Feed),
or, for a site's page, the feeds it names in its ``<link rel="alternate">``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from archive.model import Article, Problem
from archive.sources.article import build
from archive.sources.feeds import html_to_text, read_feed

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
_FEED_START = re.compile(rb"^(<\?xml|(<!--.*?-->\s*)*<(rss|feed|rdf:rdf)\b)", re.I | re.S)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)", re.I | re.S)


def kind(body: bytes, content_type: str) -> str:
    """'json', 'html' or 'xml': what the body is, by its first bytes, then its type."""
    start = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"{"):
        return "json"
    if _FEED_START.match(start):
        return "xml"
    if _HTML_START.match(start) or "html" in content_type:
        return "html"
    return "xml"


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
        kind_ = (link.get("type") or "").lower().split(";")[0].strip()
        href = link.get("href")
        if "alternate" in rel and kind_ in FEED_TYPES and href:
            url = urljoin(base, href.strip())
            if url not in [u for u, _ in found]:
                found.append((url, (link.get("title") or "").strip() or None))
    return found


def articles(body: bytes, content_type: str, url: str) -> Iterator[Article | Problem]:
    """The articles of a fetched feed, or a Problem saying why there are none."""
    found = kind(body, content_type)
    if found == "html":
        yield Problem(url, "an HTML page where a feed was expected")
    elif found == "json":
        yield from _json_feed(body, url)
    else:
        yield from read_feed(body, path=url, origin=url)


def feed_title(body: bytes, content_type: str) -> str | None:
    """The feed's own title, to name the source by."""
    if kind(body, content_type) == "json":
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return None
        title = data.get("title") if isinstance(data, dict) else None
        return title.strip() or None if isinstance(title, str) else None
    import feedparser

    title = feedparser.parse(body).feed.get("title")
    return title.strip() or None if isinstance(title, str) else None


def _json_feed(body: bytes, url: str) -> Iterator[Article | Problem]:
    """JSON Feed (jsonfeed.org, versions 1 and 1.1): one article per item."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as err:
        yield Problem(url, f"not a readable JSON feed ({type(err).__name__})")
        return
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        yield Problem(url, "JSON that is not a JSON Feed")
        return
    if not isinstance(items, list) or not items:
        yield Problem(url, "the feed has no entries", skipped=False)
        return
    source = _string(data.get("title"))
    language = _string(data.get("language"))
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            yield Problem(url, f"item {number} is not an object")
            continue
        key = _string(item.get("id")) or _string(item.get("url")) or str(number)
        text = _string(item.get("content_html")) or _string(item.get("summary")) or ""
        plain = _string(item.get("content_text"))
        yield from build(
            origin=f"{url}#{key}",
            path=url,
            record=f"item {number}",
            title=_string(item.get("title")),
            body=plain if plain and len(plain) >= len(text) else html_to_text(text),
            date=_string(item.get("date_published")) or _string(item.get("date_modified")),
            source=source,
            authors=[
                a["name"]
                for a in _list(item.get("authors"))
                if isinstance(a, dict) and _string(a.get("name"))
            ],
            url=_string(item.get("url")),
            tags=[t for t in _list(item.get("tags")) if isinstance(t, str)],
            language=language,
        )


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _list(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, dict | str)] if isinstance(value, list) else []
