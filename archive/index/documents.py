"""How an ``Article`` is laid out as a Whoosh document, and read back: once.

Stored fields are what is shown; indexed fields are what is searched. A
title the archive made up (from the lede, when an article has no headline)
is stored for display but not indexed: it is not a headline, and indexing it
counted the opening words of the lede three times over.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.index.schema import LIST_SEPARATOR
from archive.index.similarity import Fingerprint, fingerprint
from archive.model import Article, Cleaning


def to_doc(article: Article, digest: str, text_hash: str, added: datetime) -> dict[str, Any]:
    """The Whoosh document for an article (without its near-duplicate fields)."""
    doc: dict[str, Any] = {
        "id": article.id,
        "origin": article.origin,
        # A headline-only item keeps its words in the title alone: indexing them
        # again as its body would count every match twice. A title made from
        # the text itself is not indexed, so then the text stays the body.
        "body": article.body if article.title_derived or article.body != article.title else "",
        "content_hash": digest,
        "text_hash": text_hash,
        # Counts of what cleaning removed: most articles have none to keep.
        "removed_paragraphs": article.cleaning.duplicate_paragraphs or None,
        "removed_links": article.cleaning.link_lines or None,
        "removed_chars": article.cleaning.chars_removed or None,
        "added": added,
        "path": article.path,
        "record": article.record,
        "date": article.date,
        "source": article.source,
        "outlet": article.source,
        "url": article.url,
        "language": article.language,
        "authors": LIST_SEPARATOR.join(article.authors) or None,
        "tags": LIST_SEPARATOR.join(article.tags) or None,
    }
    if article.title_derived:
        doc["title_derived"] = True
    return _titled(without_empty(doc), article.title, article.title_derived)


def _titled(doc: dict[str, Any], title: str, derived: bool) -> dict[str, Any]:
    """The document with its title: a derived one is stored to be shown, and
    indexed as nothing (Whoosh stores ``_stored_title`` only beside a ``title``)."""
    if derived:
        return {**doc, "title": "", "_stored_title": title}
    return {**doc, "title": title} if title else doc


def to_article(fields: dict[str, Any], copies: tuple[str, ...] = ()) -> Article:
    """An ``Article`` from the stored fields of an indexed document."""
    return Article(
        id=fields["id"],
        title=fields.get("title", ""),
        body=fields.get("body") or fields.get("title", ""),
        origin=fields.get("origin", ""),
        path=fields.get("path"),
        date=fields.get("date"),
        source=fields.get("source"),
        cleaning=Cleaning(
            duplicate_paragraphs=fields.get("removed_paragraphs", 0),
            link_lines=fields.get("removed_links", 0),
            chars_removed=fields.get("removed_chars", 0),
        ),
        authors=split_list(fields.get("authors")),
        url=fields.get("url"),
        tags=split_list(fields.get("tags")),
        language=fields.get("language"),
        record=fields.get("record"),
        copies=copies,
        title_derived=bool(fields.get("title_derived")),
    )


def rewritten(fields: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A document to write again from an article's stored fields (every indexed
    field is stored, or made from one), with some changed; a derived title
    stays unindexed."""
    doc = without_empty({**fields, **changes})
    if doc.get("source"):
        doc["outlet"] = doc["source"]
    return _titled(doc, str(doc.pop("title", "")), bool(doc.get("title_derived")))


def stored_document(fields: dict[str, Any]) -> dict[str, Any]:
    """The document an article's stored fields were written from."""
    return rewritten(dict(fields))


def split_list(joined: str | None) -> tuple[str, ...]:
    """Authors or tags as stored (joined with ';') back to a tuple."""
    return tuple(part for part in (joined or "").split(LIST_SEPARATOR) if part)


def without_empty(doc: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if value is not None and value != ""}


def content_hash(article: Article) -> str:
    """Changes whenever anything the index keeps of the article changes."""
    parts = [
        article.title,
        "derived" if article.title_derived else "",
        article.body,
        article.source or "",
        article.path or "",
        article.date.isoformat() if article.date else "",
        article.url or "",
        article.language or "",
        article.record or "",
        LIST_SEPARATOR.join(article.authors),
        LIST_SEPARATOR.join(article.tags),
    ]
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).hexdigest()


def exact_text_hash(article: Article) -> str:
    """The same for exact duplicates: the same cleaned headline and text, and
    for a record with an ID of its own, the same ID (CACM's five "Glossary"
    entries are five documents; a second copy of an export is a copy).

    A copy under another headline is not an exact duplicate but a near one
    (a syndicated or re-headlined story).
    """
    text = f"{article.title}\n{article.body}"
    if article.record_id is not None:
        text += f"\x1fid:{article.record_id}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Prepared:
    """An article with what is made of it alone, in the run or by a reader
    (archive.index.reading); archive.index.sync reads these."""

    article: Article
    digest: str  # content_hash
    text_hash: str  # exact_text_hash
    fingerprint: Fingerprint | None  # of its text; None if too short to compare


def prepare(article: Article) -> Prepared:
    mine = fingerprint(article.body)
    if mine is not None:
        mine.band_keys  # noqa: B018 (kept with it)
    return Prepared(article, content_hash(article), exact_text_hash(article), mine)
