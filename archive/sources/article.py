"""Building ``Article`` values: the one place readers turn fields into articles."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from archive.model import Article, Problem
from archive.sources.dates import parse_date
from archive.sources.language import language_of
from archive.text import clean_article, clean_body, clean_title

# One article is indexed up to this many characters of text (about 170,000
# words, far past any news story; beyond it a "text" is a dump or a book). A
# 16 MB text file took 50 s and 2.8 GB of memory to index whole, and every
# search it matched read and scanned all of it.
MAX_ARTICLE_CHARS = 1_000_000
UNDATED = "; indexed without a date"  # how a warning of an unreadable date ends


def article_id(origin: str) -> str:
    """A short ID that stays the same for the same origin across runs."""
    return hashlib.blake2b(origin.encode("utf-8"), digest_size=6).hexdigest()


def build(
    *,
    origin: str,
    path: str | None,
    body: str,
    title: str | None = None,
    date: Any = None,
    record: str | None = None,
    record_id: str | None = None,
    source: str | None = None,
    authors: Iterable[str] = (),
    url: str | None = None,
    tags: Iterable[str] = (),
    language: str | None = None,
) -> Iterator[Article | Problem]:
    """One cleaned article (and a warning if its date could not be read).

    Without a title the first line is used when it reads like a headline, or
    a title is derived from the lede.
    """
    where = f"{path or origin}{f' ({record})' if record else ''}"
    length = len(body)
    body = body[: 2 * MAX_ARTICLE_CHARS]  # cleaning may drop repeats: keep some spare
    if title and title.strip():
        text, cleaning = clean_body(body)
        heading, derived = clean_title(title), False
    else:
        clean = clean_article(body)
        text, cleaning, heading = clean.body, clean.cleaning, clean.title
        derived = clean.title_derived
    if len(text) > MAX_ARTICLE_CHARS:
        text = _cut(text, MAX_ARTICLE_CHARS)
        yield Problem(
            where,
            f"{length:,} characters long: only the first {MAX_ARTICLE_CHARS:,} are indexed",
            skipped=False,
        )
    if not text and heading:
        text = heading  # a headline-only item is still news
    if not text:
        yield Problem(where, "no article text")
        return
    try:
        when = parse_date(date)
    except ValueError as err:
        yield Problem(where, f"{err}{UNDATED}", skipped=False)
        when = None
    yield Article(
        id=article_id(origin),
        title=heading,
        title_derived=derived,
        body=text,
        origin=origin,
        path=path,
        date=when,
        source=_clean(source),
        cleaning=cleaning,
        authors=_distinct(map(_clean, authors)),
        url=_clean(url),
        tags=_distinct(map(_clean, tags)),
        language=language_of(language, heading, text),
        record=record,
        record_id=record_id,
    )


def _cut(text: str, limit: int) -> str:
    """The text up to ``limit`` characters, ending at a paragraph or word if one is near."""
    head = text[:limit]
    for mark in ("\n\n", " "):
        at = head.rfind(mark, limit - 2_000)
        if at > 0:
            return head[:at].rstrip()
    return head


def _distinct(values: Iterable[str | None]) -> tuple[str, ...]:
    """Non-empty values, each once (compared without case), in order."""
    seen: dict[str, str] = {}
    for value in values:
        if value:
            seen.setdefault(value.casefold(), value)
    return tuple(seen.values())


def _clean(value: Any) -> Any:
    if value is None:
        return None
    text = clean_title(str(value))
    return text or None
