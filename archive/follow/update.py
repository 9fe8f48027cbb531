"""Fetching every followed source and indexing what is new, in one commit.

The write lock is taken first, so two runs at once (cron and a user, say)
do not both fetch: the second waits, or with ``wait=False`` exits 4. What a
source's server said (ETag, Last-Modified, a new address) is kept only once
its articles are committed: a run that fails part-way fetches again next
time, and nothing is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from archive.follow import feeds, pages
from archive.follow.fetch import Failed, client, fetch
from archive.follow.table import FAILING, FollowTable, Source, now
from archive.index.store import Store
from archive.model import Article, Problem, SyncReport

# One source's share of a run: its feed, retries and pages. A feed arrives in
# seconds; this leaves room for a slow one and its pages, and is the most one
# stalling server can hold the index's write lock.
SOURCE_SECONDS = 180.0
# Pages fetched for one source's --full-text in one run: a busy feed's day of
# entries. The rest keep their summaries, so a feed of thousands of links does
# not make one run thousands of requests.
MAX_PAGES = 50


@dataclass
class SourceReport:
    """What one source gave in a run."""

    name: str
    url: str
    new: int = 0
    updated: int = 0  # entries whose text changed under the same GUID or link
    copies: int = 0
    unchanged: bool = False  # the server said 304, or nothing in it was new
    error: str | None = None
    failures: int = 0  # in a row, this one included
    moved_from: str | None = None

    @property
    def failing(self) -> bool:
        return self.failures >= FAILING

    def line(self) -> str:
        where = f"{self.name}: "
        if self.error is not None:
            often = f" ({self.failures} times in a row)" if self.failures > 1 else ""
            return f"{where}failed: {self.error}{often}"
        moved = f" (moved from {self.moved_from})" if self.moved_from else ""
        if self.unchanged and not (self.new or self.updated):
            return f"{where}unchanged{moved}"
        updated = f", {self.updated} updated" if self.updated else ""
        copies = f", {self.copies} copies of known stories" if self.copies else ""
        return f"{where}{self.new} new{updated}{copies}{moved}"


def update(
    store: Store,
    urls: Iterable[str] | None = None,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
    http: Any = None,
) -> tuple[list[SourceReport], SyncReport]:
    """Fetch the followed sources (or those of ``urls``) and index what is new.

    The reports are returned once the run is committed: what they say arrived
    is in the index."""
    table = FollowTable(store.path)
    own_client = http is None
    http = http or client()
    robots = pages.Robots(http)
    reports: list[SourceReport] = []
    kept: list[tuple[Source, str]] = []  # sources to write back once committed
    try:
        with store.session(wait, on_wait) as session:
            wanted = set(urls) if urls is not None else None
            for source in table.sources():
                if wanted is not None and source.url not in wanted:
                    continue
                done = session.report
                before = (done.added, done.updated, done.duplicates)
                report, changed = _one(http, source, session, robots)
                report.new, report.updated = done.added - before[0], done.updated - before[1]
                report.copies = done.duplicates - before[2]
                if report.error is None:
                    changed.articles += report.new
                    changed.last_new = now() if report.new else changed.last_new
                kept.append((changed, source.url))
                reports.append(report)
        for changed, old_url in kept:
            table.save(changed, old_url)
    finally:
        table.close()
        if own_client:
            http.close()
    return reports, session.report


def _one(
    http: Any, source: Source, session: Any, robots: pages.Robots
) -> tuple[SourceReport, Source]:
    """Fetch one source and put its articles into the session."""
    report = SourceReport(source.name, source.url)
    changed = replace(source, last_fetched=now())
    deadline = time.monotonic() + SOURCE_SECONDS
    try:
        got = fetch(http, source.url, source.etag, source.modified, deadline=deadline)
    except Failed as err:
        return _failed(report, changed, str(err))
    if got.moved:
        report.moved_from, changed.url = source.url, got.url
    if got.status == 304:
        report.unchanged = True
        return _succeeded(report, changed)
    feed = feeds.read(got.body, got.content_type, got.url)
    if feed.refused is not None:  # not a feed at all, or one refused as unsafe
        return _failed(report, changed, feed.refused.reason)
    _put(session, _entries(http, robots, source, session, feed, deadline))
    changed.etag, changed.modified = got.etag, got.modified
    changed.title = changed.title or feed.title
    report.name = changed.name
    report.unchanged = True  # unless something new is counted
    return _succeeded(report, changed)


def _entries(
    http: Any,
    robots: pages.Robots,
    source: Source,
    session: Any,
    feed: feeds.Feed,
    deadline: float,
) -> Iterator[Article | Problem]:
    """The feed's entries and warnings; for --full-text, its new entries with
    their pages' text (a page is read once: its summary must not replace it)."""
    yield from feed.problems
    if not source.full_text:
        yield from feed.entries
        return
    new = [entry for entry in feed.entries if session.before.document(id=entry.id) is None]
    yield from _with_pages(http, robots, new, deadline)


def _put(session: Any, items: Iterable[Article | Problem]) -> None:
    for item in items:
        if isinstance(item, Problem):
            session.report.problems.append(item)
        else:
            session.put(item)


def _with_pages(
    http: Any, robots: pages.Robots, entries: list[Article], deadline: float
) -> Iterator[Article | Problem]:
    """Each entry with its page's text, while the source has pages and time
    left in this run; the rest with their summaries, and why."""
    for number, entry in enumerate(entries):
        spent = _spent(number, deadline)
        if spent is not None:
            left = len(entries) - number
            kept = "entry keeps its summary" if left == 1 else "entries keep their summaries"
            yield Problem(entry.path or entry.origin, f"{left} {kept}: {spent}", skipped=False)
            yield from entries[number:]
            return
        page, warning = pages.full_text(http, robots, entry, deadline)
        yield from [warning] if warning is not None else []
        yield page


def _spent(pages_read: int, deadline: float) -> str | None:
    """Why no more pages are fetched for a source in this run, if none are."""
    if pages_read >= MAX_PAGES:
        return f"{MAX_PAGES} pages are the most one run fetches for a source"
    if time.monotonic() >= deadline:
        return f"the source's time in this run ({SOURCE_SECONDS:g} s) is spent"
    return None


def _succeeded(report: SourceReport, changed: Source) -> tuple[SourceReport, Source]:
    changed.failures, changed.last_error = 0, None
    return report, changed


def _failed(report: SourceReport, changed: Source, reason: str) -> tuple[SourceReport, Source]:
    changed.failures += 1
    changed.last_error = reason
    report.error, report.failures = reason, changed.failures
    return report, changed
