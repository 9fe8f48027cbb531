"""Saved RSS and Atom feeds: one article per entry, from the source the entry
names (as an aggregator's entries do), else from the feed's title.

feedparser reads every RSS and Atom dialect, finds the encoding (declared,
BOM or neither) and parses dates in their many forms.
"""

from __future__ import annotations

import calendar
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from archive.model import Article, Problem
from archive.sources.article import build


def read_feed(data: bytes, *, path: str, origin: str) -> Iterator[Article | Problem]:
    import feedparser

    if declares_entities(data):
        yield Problem(
            path,
            "the feed declares XML entities, which feeds never need; "
            "refused as unsafe (entity expansion attacks)",
        )
        return
    parsed = feedparser.parse(data)
    if not parsed.entries:
        if parsed.get("bozo") and not parsed.get("version"):
            yield Problem(path, f"not a readable feed ({parsed.get('bozo_exception')})")
        elif not parsed.get("version"):  # well-formed, but feedparser found no RSS or Atom
            yield Problem(path, "not a feed: neither RSS, Atom nor JSON Feed")
        else:
            yield Problem(path, "the feed has no entries", skipped=False)
        return
    feed = parsed.feed
    source = feed.get("title")
    language = feed.get("language")
    for number, entry in enumerate(parsed.entries, 1):
        key = entry.get("id") or entry.get("link") or str(number)
        yield from build(
            origin=f"{origin}#{key}",
            path=path,
            record=f"entry {number}",
            title=_text(entry.get("title")),
            body=_entry_text(entry),
            date=_date(entry),
            source=_source(entry) or source,
            authors=_authors(entry),
            url=entry.get("link"),
            tags=[tag.get("term", "") for tag in entry.get("tags", [])],
            language=language,
        )


def declares_entities(data: bytes) -> bool:
    """Whether the document declares XML entities anywhere, in whichever of the
    encodings an XML parser reads without a declaration it is written."""
    folded = data.lower()  # ASCII letters, also as the low bytes of UTF-16 and UTF-32
    return any(_ENTITY.encode(codec) in folded for codec in _XML_CODECS)


_ENTITY = "<!entity"
_XML_CODECS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


def _entry_text(entry: Any) -> str:
    """The fullest text an entry has: its content, else its summary."""
    contents = [part.get("value", "") for part in entry.get("content", [])]
    best = max(contents, key=len, default="")
    summary = entry.get("summary", "")
    return html_to_text(best if len(best) > len(summary) else summary)


def _source(entry: Any) -> str | None:
    """The source an entry names for itself (RSS ``<source>``, Atom
    ``<source><title>``), as an aggregator's feed does for each story."""
    own = entry.get("source")
    title = own.get("title") if hasattr(own, "get") else None
    return title.strip() if isinstance(title, str) and title.strip() else None


def _authors(entry: Any) -> list[str]:
    names = [author.get("name", "") for author in entry.get("authors", [])]
    return names or ([entry["author"]] if entry.get("author") else [])


def _date(entry: Any) -> datetime | str | None:
    with warnings.catch_warnings():
        # feedparser warns when "updated" falls back to "published"; we ask for both.
        warnings.simplefilter("ignore", DeprecationWarning)
        for key in ("published_parsed", "updated_parsed", "created_parsed"):
            value = entry.get(key)
            if value:
                try:
                    return datetime.fromtimestamp(calendar.timegm(value), UTC)
                except (ValueError, OverflowError, OSError):
                    break  # a placeholder (year 0) or past year 9999: its text says which
        return entry.get("published") or entry.get("updated")  # unparsed: reported later


def _text(value: str | None) -> str | None:
    return html_to_text(value) if value else value


def html_to_text(markup: str) -> str:
    """The text of an HTML fragment, one paragraph per block element."""
    if "<" not in markup:
        return markup
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return markup
    for element in root.iter("p", "div", "br", "li", "h1", "h2", "h3", "h4", "blockquote"):
        element.tail = "\n\n" + (element.tail or "")
    return root.text_content()
