"""Saved article pages: the article body and its metadata, not the page around it.

trafilatura finds the main text (no navigation, ads or comments) and the
page's metadata (title, author, date, site name, canonical URL); lxml gives
the declared language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from archive.model import Article, Problem
from archive.sources.article import build

# Fewer words than this is a menu, a cookie banner or an error page, not news.
MIN_WORDS = 15
# The most of a page the extraction reads, once inline images are taken out:
# a news page is well under a megabyte, and extracting a 19 MB page took 53 s
# and 600 MB. A page saved "complete" holds its images inline (data: URIs),
# which carry no text and are dropped first.
MAX_PAGE_BYTES = 4 * 2**20
_INLINE_DATA = re.compile(rb"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]{64,}")


def read_html(data: bytes, *, path: str, origin: str) -> Iterator[Article | Problem]:
    import trafilatura

    data = _INLINE_DATA.sub(b"data:,", data)
    if len(data) > MAX_PAGE_BYTES:
        yield Problem(
            path,
            f"a page of {len(data):,} bytes: only its first {MAX_PAGE_BYTES // 2**20} MB are read",
            skipped=False,
        )
        data = data[:MAX_PAGE_BYTES]
    try:
        found = trafilatura.bare_extraction(
            data, with_metadata=True, include_comments=False, include_tables=True
        )
    except Exception as err:  # trafilatura and lxml raise many kinds on broken pages
        yield Problem(path, f"cannot read the page as HTML ({type(err).__name__})")
        return
    if found is None:
        yield Problem(path, "no article text found in the page")
        return
    fields = found.as_dict() if hasattr(found, "as_dict") else found
    body = fields.get("text") or ""
    if len(body.split()) < MIN_WORDS:
        yield Problem(path, "no article text found in the page")
        return
    yield from build(
        origin=origin,
        path=path,
        body=body,
        title=fields.get("title"),
        date=fields.get("date"),
        source=fields.get("sitename"),
        authors=_authors(fields.get("author")),
        url=fields.get("url"),
        tags=[*(fields.get("categories") or []), *(fields.get("tags") or [])],
        language=fields.get("language") or _language(data),
    )


def _authors(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(";") if name.strip()]


def _language(data: bytes) -> str | None:
    import lxml.html

    try:
        root = lxml.html.fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return None
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    return lang.strip() if lang else None
