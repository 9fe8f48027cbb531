"""Watched searches: which of a saved search's matches arrived since it was
last shown (by when each article was added to the archive)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from archive.follow.table import Watch
from archive.index.store import Store
from archive.model import Results
from archive.search.run import matches, options_of, prepare, request_filter, search


def new_matches(store: Store, searcher: Any, watch: Watch) -> set[str]:
    """The IDs of the watch's matches added after it was last shown."""
    request = watch.request
    query, _ = prepare(store, request.query, searcher, options_of(request))
    _, docnums, _ = matches(store, searcher, query, request, request_filter(request))
    seen = _naive_utc(watch.seen)
    found = set()
    for docnum in docnums.tolist():
        fields = searcher.stored_fields(docnum)
        added = fields.get("added")
        if isinstance(added, datetime) and _naive_utc(added) > seen:
            found.add(fields["id"])
    return found


def shown(store: Store, searcher: Any, watch: Watch, every: bool, snippets: int) -> Results:
    """The watch's results: every match, or only the new ones, ranked."""
    request = replace(watch.request, page=1, snippets=snippets, all_copies=True)
    first = search(store, replace(request, limit=1), searcher=searcher)
    found = search(store, replace(request, limit=max(first.total, 1)), searcher=searcher)
    if every:
        return found
    new = new_matches(store, searcher, watch)
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
