"""A search request taken apart, once: the one place where a request's text,
options and filters become what the engine runs.

Search, preview, facets, timelines, show, watches and evaluation all take
the ``Prepared`` value this makes, never the pieces, so none of them can
drop a filter or read the words differently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from whoosh.query import And, DateRange, Query, Term

from archive.errors import QueryError
from archive.index.analysis import terms
from archive.index.schema import name_analyzer
from archive.index.vocabulary import Vocabulary
from archive.model import SearchRequest
from archive.query import languages, tokens
from archive.query import parse as query_language
from archive.query.dates import span
from archive.query.marks import Lookup, resolve
from archive.query.variants import Known, Words, expand
from archive.search.snippets import query_words


@dataclass(frozen=True)
class Prepared:
    """One request, ready to run."""

    request: SearchRequest
    query: Query  # as run: spelling variants added, its cost bounded
    kept: Query | None  # what the request's filters keep (its dates, its source), or None
    words: dict[str, frozenset[str]] = field(default_factory=dict)  # per field: to highlight
    variants: dict[str, list[str]] = field(default_factory=dict)  # word -> spellings added
    weights: dict[str, float] = field(default_factory=dict)  # any-word: typed words, counted

    @property
    def text(self) -> str:
        return self.request.query

    def shown(self, **changes: Any) -> Prepared:
        """The same request shown otherwise: another page, page size, number
        of snippets, order, or every copy (what is matched stays as it is)."""
        if not changes.keys() <= SHOWING:
            raise ValueError(f"not a way of showing: {sorted(changes.keys() - SHOWING)}")
        return replace(self, request=replace(self.request, **changes))


# The request's fields that say how matches are shown, not which match.
SHOWING = frozenset({"page", "limit", "snippets", "sort", "all_copies"})


def options(request: SearchRequest) -> query_language.Options:
    return query_language.Options(any_words=request.any_words, exact=request.exact)


def prepare(
    request: SearchRequest,
    searcher: Any,
    words: Words | None = None,
    known: Known | None = None,
    version: object = None,
    marks: Lookup | None = None,
    held: frozenset[str] | None = None,
) -> Prepared:
    """``request`` ready to run against ``searcher``'s index (spelling variants
    from the index's ``words``, looked up in ``known`` under this ``version``
    of the index; the articles of ``tag:`` and ``is:`` in ``marks``, else none;
    the languages the index ``held``, else read from it)."""
    kept = request_filter(request)
    query = query_language.parse(searcher.schema, request.query, options(request))
    query = resolve(query, marks or (lambda kind, name: frozenset()))
    reader = searcher.reader()
    query_language.check_cost(query, reader)
    added: dict[str, list[str]] = {}
    if not request.exact:
        typed = [token.text for token in tokens.words(request.query)]
        analyzer = searcher.schema["body"].analyzer
        vocabulary = words if words is not None else Vocabulary.of(reader)
        query, expansion = expand(query, typed, vocabulary, analyzer, known, version)
        added = expansion.added
    held = languages.held(reader) if held is None else held
    query = languages.stemmed_for(query, request.query, held)
    counted = Counter(terms(request.query)) if request.any_words else Counter()
    weights = {word: float(count) for word, count in counted.items()}
    return Prepared(request, query, kept, query_words(query, reader), added, weights)


def request_filter(request: SearchRequest) -> Query | None:
    """What the request's filters keep: its dates and its source."""
    filters = [
        q
        for q in (date_filter(request.since, request.until), source_filter(request.source))
        if q is not None
    ]
    return None if not filters else filters[0] if len(filters) == 1 else And(filters)


def date_filter(since: str | None, until: str | None) -> Query | None:
    """Articles dated from the start of ``since`` to the end of ``until`` (both kept)."""
    if not (since or until):
        return None
    start = span(since)[0] if since else None
    end = span(until)[1] if until else None
    if start and end and start > end:
        raise QueryError(f"--since {since!r} is after --until {until!r}")
    return DateRange("date", start, end)


def source_filter(source: str | None) -> Query | None:
    """Articles from a source named by its words ("reuters" finds "Reuters")."""
    if source is None:
        return None
    words = [token.text for token in name_analyzer()(source)]
    if not words:
        raise QueryError(f"no source is named {source!r}", hint="name it by a word: reuters")
    return And([Term("outlet", w) for w in words]) if len(words) > 1 else Term("outlet", words[0])
