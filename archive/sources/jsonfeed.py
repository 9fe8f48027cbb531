"""JSON Feed (jsonfeed.org, versions 1 and 1.1): one article per item."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from archive.model import Article, Problem
from archive.sources.article import build
from archive.sources.feeds import html_to_text


def read_json_feed(data: bytes, *, path: str, origin: str) -> Iterator[Article | Problem]:
    """The items of a JSON Feed, each under ``origin#id``; or why there are none."""
    try:
        feed = json.loads(data)
    except (ValueError, RecursionError) as err:
        yield Problem(path, f"not a readable JSON Feed ({type(err).__name__})")
        return
    if not is_json_feed(feed):
        yield Problem(path, "JSON that is not a JSON Feed")
        return
    items = feed.get("items")
    if not isinstance(items, list) or not items:
        yield Problem(path, "the feed has no entries", skipped=False)
        return
    for number, item in enumerate(items, 1):
        if isinstance(item, dict):
            yield from _item(item, number, feed, path, origin)
        else:
            yield Problem(path, f"item {number} is not an object")


def is_json_feed(value: Any) -> bool:
    """An object whose ``version`` names jsonfeed.org, as every JSON Feed's does."""
    return isinstance(value, dict) and "jsonfeed.org" in str(value.get("version", ""))


def _item(
    item: dict[str, Any], number: int, feed: dict[str, Any], path: str, origin: str
) -> Iterator[Article | Problem]:
    key = _string(item.get("id")) or _string(item.get("url")) or str(number)
    markup = _string(item.get("content_html")) or _string(item.get("summary")) or ""
    plain = _string(item.get("content_text"))
    yield from build(
        origin=f"{origin}#{key}",
        path=path,
        record=f"item {number}",
        title=_string(item.get("title")),
        body=plain if plain and len(plain) >= len(markup) else html_to_text(markup),
        date=_string(item.get("date_published")) or _string(item.get("date_modified")),
        source=_string(feed.get("title")),
        authors=_authors(item),
        url=_string(item.get("url")),
        tags=[tag for tag in _list(item.get("tags")) if isinstance(tag, str)],
        language=_string(item.get("language")) or _string(feed.get("language")),
    )


def _authors(item: dict[str, Any]) -> list[str]:
    """Version 1.1's ``authors``, else version 1's single ``author``."""
    people = _list(item.get("authors")) or _list([item.get("author")])
    return [p["name"] for p in people if isinstance(p, dict) and _string(p.get("name"))]


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _list(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, dict | str)] if isinstance(value, list) else []
