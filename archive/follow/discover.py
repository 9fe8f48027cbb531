"""What ``archive follow`` takes from an address: the feed itself, or the
feeds its page names; only web addresses, and only bodies that read as feeds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archive.errors import ArchiveError
from archive.follow import feeds
from archive.follow.addresses import not_web
from archive.follow.fetch import Failed, client, fetch
from archive.model import Problem
from archive.sources import detect

# --all-feeds: a news site names a handful of feeds (sections, languages);
# a page naming more is a directory of other sites, not one site's feeds.
MAX_FEEDS_PER_PAGE = 50


@dataclass(frozen=True)
class Found:
    """A feed to follow, and how it was found."""

    url: str
    title: str | None
    how: str


def discover(url: str, all_feeds: bool, http: Any = None) -> tuple[list[Found], list[Problem]]:
    """The feeds to follow for ``url`` (itself when it is a feed, else those
    its page names: the first that reads as a feed, or every one), and the
    feeds named but refused, each with the reason."""
    reason = not_web(url)
    if reason is not None:
        raise ArchiveError(f"cannot follow {url!r}: {reason}")
    own_client = http is None
    http = http or client()
    try:
        return _discover(http, url, all_feeds)
    finally:
        if own_client:
            http.close()


def _discover(http: Any, url: str, all_feeds: bool) -> tuple[list[Found], list[Problem]]:
    got = _fetched(http, url)
    if feeds.kind(got.body, got.content_type) != detect.HTML:
        feed = feeds.read(got.body, got.content_type, got.url)
        if feed.refused is not None:
            raise ArchiveError(f"cannot follow {url}: {feed.refused.reason}")
        return [Found(got.url, feed.title, "a feed")], []
    named = feeds.feeds_in_page(got.body, got.url)
    if not named:
        raise ArchiveError(
            f"cannot follow {url}: the page names no feed",
            hint="give the feed's own address (RSS, Atom or JSON Feed)",
        )
    return _chosen(http, url, named, all_feeds)


def _chosen(
    http: Any, page: str, named: list[tuple[str, str | None]], all_feeds: bool
) -> tuple[list[Found], list[Problem]]:
    """The page's feeds that read as feeds (the first, or at most
    MAX_FEEDS_PER_PAGE), and why the others tried were refused."""
    taken = named[:MAX_FEEDS_PER_PAGE]
    how = f"named by the page ({len(named):,} found)"
    if len(named) > len(taken) and all_feeds:
        left_out = len(named) - len(taken)
        how = f"named by the page (the first {len(taken)} of {len(named):,}; {left_out:,} left out)"
    found: list[Found] = []
    refused: list[Problem] = []
    for url, title in taken:
        reason = _unreadable(http, url)
        if reason is not None:
            refused.append(Problem(url, reason))
            continue
        found.append(Found(url, title, how))
        if not all_feeds:
            break
    if not found:
        first = refused[0]
        raise ArchiveError(
            f"cannot follow {page}: no feed it names can be read ({first.path}: {first.reason})"
        )
    return found, refused


def _unreadable(http: Any, url: str) -> str | None:
    """Why the feed at ``url`` cannot be followed, or None when it can."""
    reason = not_web(url)
    if reason is not None:
        return reason
    try:
        got = fetch(http, url)
    except Failed as err:
        return str(err)
    feed = feeds.read(got.body, got.content_type, got.url)
    return feed.refused.reason if feed.refused is not None else None


def _fetched(http: Any, url: str) -> Any:
    try:
        return fetch(http, url)
    except Failed as err:
        raise ArchiveError(f"cannot follow {url}: {err}") from None
