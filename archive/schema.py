"""The one Whoosh schema of the archive, its analyzer and its version.

Bump ``SCHEMA_VERSION`` whenever a change here makes an existing index
unusable (fields, analyzers, stored values); opening an index of another
version then asks the user to re-index instead of failing obscurely.
"""

from __future__ import annotations

from whoosh import fields
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    StripFilter,
)
from whoosh.support.charset import accent_map

SCHEMA_VERSION = 6

# Fields searched when a query names none, and how much each counts.
DEFAULT_FIELDS = ("title", "body")
# Fields a user may name in a query (the rest are internal).
QUERY_FIELDS = ("title", "body", "source", "author", "tags", "date", "id")
# Where the words of articles, unstemmed, can be looked up.
VOCABULARY_FIELDS = ("spell_title", "spell_body")
FIELD_BOOSTS = {"title": 2.0, "body": 1.0}


def text_analyzer() -> Analyzer:
    """Words, case-folded, accent-folded, stop words out, Porter-stemmed."""
    return (
        RegexTokenizer()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter()
        | StemFilter(lang="en", cachesize=50000)
    )


# Authors and tags are stored joined with this (names contain commas: "Perlis, A. J.").
LIST_SEPARATOR = ";"


def name_analyzer() -> Analyzer:
    """Words of a name, case- and accent-folded, nothing removed or stemmed."""
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


def value_analyzer() -> Analyzer:
    """Each ';'-separated value is one term, as written (for facets)."""
    return RegexTokenizer(r"[^;]+") | StripFilter()


def build_schema() -> fields.Schema:
    analyzer = text_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        origin=fields.ID(stored=True),
        # spelling=True also indexes the unstemmed words (spell_title, spell_body):
        # the vocabulary that completion and spelling suggestions draw from.
        title=fields.TEXT(analyzer=analyzer, stored=True, spelling=True),
        body=fields.TEXT(analyzer=analyzer, stored=True, spelling=True),
        # Publication date: a DATETIME so that filters can be exact to the day.
        date=fields.DATETIME(stored=True, sortable=True),
        source=fields.ID(stored=True, sortable=True),  # exact, for sorting and facets
        outlet=fields.TEXT(analyzer=name_analyzer(), phrase=True),  # source:, by its words
        # Stored joined with ';'; searched by their words (author:johnson).
        authors=fields.TEXT(analyzer=name_analyzer(), stored=True),
        tags=fields.TEXT(analyzer=name_analyzer(), stored=True),
        # Whole values, one term each, for facet counts ("Carla K. Johnson, AP").
        author_values=fields.TEXT(analyzer=value_analyzer(), phrase=False),
        tag_values=fields.TEXT(analyzer=value_analyzer(), phrase=False),
        url=fields.ID(stored=True),
        language=fields.ID(stored=True),
        # The file an article came from (indexed, so a run can prune by file),
        # and which record of it.
        path=fields.ID(stored=True),
        record=fields.STORED(),
        content_hash=fields.STORED(),
        # Exact duplicates: one article keeps the IDs and places of its copies.
        text_hash=fields.ID(stored=True),
        copy_ids=fields.KEYWORD(stored=True),
        copies=fields.STORED(),
        # Near duplicates: MinHash band keys (LSH buckets, looked up as terms)
        # and the story cluster the article belongs to (an article ID).
        bands=fields.KEYWORD(stored=True),  # stored: documents are re-written from stored fields
        fingerprint=fields.STORED(),  # (shingle count, MinHash signature)
        cluster=fields.ID(stored=True, sortable=True),
        # What cleaning removed; columns so that stats can total them cheaply.
        removed_paragraphs=fields.NUMERIC(stored=True, sortable=True),
        removed_links=fields.NUMERIC(stored=True, sortable=True),
        removed_chars=fields.NUMERIC(stored=True, sortable=True),
        added=fields.DATETIME(stored=True),
    )
