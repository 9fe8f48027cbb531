"""Watched searches: which of a saved search's matches arrived since it was
last shown (by when each article was added to the archive)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from archive.follow.table import Watch
from archive.model import Results
from archive.search.reader import Reader


def new_matches(reader: Reader, watch: Watch) -> set[str]:
    """The IDs of the watch's matches added after it was last shown."""
    seen = _naive_utc(watch.seen)
    return {
        str(fields["id"])
        for fields, _ in reader.ranked(reader.prepare(watch.request))
        if isinstance(added := fields.get("added"), datetime) and _naive_utc(added) > seen
    }


def shown(reader: Reader, watch: Watch, every: bool, snippets: int) -> Results:
    """The watch's results: every match, or only the new ones, ranked."""
    request = replace(watch.request, page=1, snippets=snippets, all_copies=True)
    prepared = reader.prepare(replace(request, limit=1))
    total = reader.search(prepared, suggestions=False).total
    found = reader.search(prepared.shown(limit=max(total, 1)))
    if every:
        return found
    new = new_matches(reader, watch)
    hits = tuple(
        replace(hit, rank=rank)
        for rank, hit in enumerate((h for h in found.hits if h.id in new), start=1)
    )
    return replace(found, hits=hits, total=len(hits), articles=len(hits), pagecount=1)


def _naive_utc(value: str | datetime) -> datetime:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when
