"""Fetching every followed source and indexing what is new, in one commit.

The write lock is taken first, so two runs at once (cron and a user, say)
do not both fetch: the second waits, or with ``wait=False`` exits 4. What a
source's server said (ETag, Last-Modified, a new address) is kept only once
its articles are committed: a run that fails part-way fetches again next
time, and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from archive.follow import feeds, pages
from archive.follow.fetch import Failed, client, fetch
from archive.follow.table import FAILING, FollowTable, Source, now
from archive.index.store import Store
from archive.model import SyncReport


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
    try:
        got = fetch(http, source.url, source.etag, source.modified)
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
    problems = feed.problems
    for entry in feed.entries:
        if source.full_text:
            if session.before.document(id=entry.id) is not None:
                continue  # its page was read once: the summary must not replace it
            entry, warning = pages.full_text(http, robots, entry)
            problems += [warning] if warning is not None else []
        session.put(entry)
    session.report.problems.extend(problems)
    changed.etag, changed.modified = got.etag, got.modified
    changed.title = changed.title or feed.title
    report.name = changed.name
    report.unchanged = True  # unless something new is counted
    return _succeeded(report, changed)


def _succeeded(report: SourceReport, changed: Source) -> tuple[SourceReport, Source]:
    changed.failures, changed.last_error = 0, None
    return report, changed


def _failed(report: SourceReport, changed: Source, reason: str) -> tuple[SourceReport, Source]:
    changed.failures += 1
    changed.last_error = reason
    report.error, report.failures = reason, changed.failures
    return report, changed
