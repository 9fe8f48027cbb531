"""Full text for feeds that carry only summaries: each new entry's linked
page, fetched where the site's robots.txt allows, read with the same
extraction as saved pages. The entry's own metadata (date, authors, link)
stands where the page lacks it; when the page cannot be had, the entry's
summary is kept and a warning says why."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from archive.follow.addresses import private_address
from archive.follow.fetch import Failed, fetch
from archive.model import Article, Problem
from archive.sources.html import read_html

ROBOTS_AGENT = "news-archive"  # the product token robots.txt rules name


class Robots:
    """robots.txt of each host, read once per run (RFC 9309, by protego).
    A site without one (4xx) allows everything, as the RFC says; one whose
    robots.txt cannot be had (a server error, no answer) allows nothing."""

    def __init__(self, http: Any) -> None:
        self.http = http
        self._rules: dict[str, Any] = {}

    def allows(self, url: str, origin: str, deadline: float | None = None) -> bool:
        """Whether robots.txt lets ``url`` be fetched (for a source at ``origin``)."""
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        if site not in self._rules:
            rules = self._read(site, origin, deadline)
            if deadline is not None and time.monotonic() >= deadline:
                return False  # one source's time ran out, not the site's: asked again for the next
            self._rules[site] = rules
        rules = self._rules[site]
        return True if rules is None else bool(rules.can_fetch(url, ROBOTS_AGENT))

    def _read(self, site: str, origin: str, deadline: float | None) -> Any:
        from protego import Protego

        try:
            got = fetch(self.http, f"{site}/robots.txt", origin=origin, deadline=deadline)
        except Failed as err:
            if str(err).startswith("HTTP 4"):
                return None  # no robots.txt: everything is allowed
            return Protego.parse("User-agent: *\nDisallow: /")  # unreachable: be careful
        return Protego.parse(got.body.decode("utf-8", errors="replace"))


def full_text(
    http: Any, robots: Robots, entry: Article, deadline: float | None = None
) -> tuple[Article, Problem | None]:
    """The entry with its page's text, or the entry as it was and why (the
    page and robots.txt fetched by ``deadline``, a time.monotonic() value)."""
    url = urljoin(entry.path or "", entry.url or "")  # a link may be relative to the feed
    if not entry.url or urlsplit(url).scheme not in ("http", "https"):
        return entry, Problem(entry.path or entry.origin, "the entry links to no page")
    entry = replace(entry, url=url)
    feed = entry.path or url
    address = None if private_address(feed) else private_address(url)
    if address is not None:
        return entry, _warning(entry, f"{url} is a private address ({address}), the feed's is not")
    if not robots.allows(url, feed, deadline):
        return entry, _warning(entry, f"robots.txt does not allow {url}")
    try:
        got = fetch(http, url, origin=feed, deadline=deadline)
    except Failed as err:
        return entry, _warning(entry, f"page {url}: {err}")
    try:
        item = next(read_html(got.body, path=url, origin=entry.origin), None)
    except Exception as err:  # a page no reader foresaw keeps the summary
        return entry, _warning(entry, f"page {url}: unreadable: {type(err).__name__}: {err}")
    if item is None:
        return entry, _warning(entry, f"page {url}: no article text found in the page")
    if isinstance(item, Problem):
        return entry, _warning(entry, f"page {url}: {item.reason}")
    return _merged(entry, item), None


def _merged(entry: Article, page: Article) -> Article:
    """The page's text under the entry's identity; the page's metadata where it
    has it, the entry's where it does not."""
    return replace(
        page,
        id=entry.id,
        origin=entry.origin,
        path=entry.path,
        record=entry.record,
        title=page.title if page.title and not page.title_derived else entry.title,
        title_derived=entry.title_derived if not page.title or page.title_derived else False,
        date=page.date or entry.date,
        authors=page.authors or entry.authors,
        url=entry.url or page.url,
        source=entry.source or page.source,
        tags=page.tags or entry.tags,
        language=page.language or entry.language,
    )


def _warning(entry: Article, reason: str) -> Problem:
    return Problem(
        entry.path or entry.origin, f"{reason}; the feed's summary is kept", skipped=False
    )
