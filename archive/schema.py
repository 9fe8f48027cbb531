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
)
from whoosh.support.charset import accent_map

SCHEMA_VERSION = 1

# Fields searched when a query names none, and how much each counts.
DEFAULT_FIELDS = ("title", "body")
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


def build_schema() -> fields.Schema:
    analyzer = text_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        origin=fields.ID(stored=True),
        title=fields.TEXT(analyzer=analyzer, stored=True),
        body=fields.TEXT(analyzer=analyzer, stored=True),
        # Publication date: a DATETIME so that filters can be exact to the day.
        date=fields.DATETIME(stored=True, sortable=True),
        source=fields.ID(stored=True, sortable=True),
        path=fields.STORED(),
        content_hash=fields.STORED(),
        # What cleaning removed; columns so that stats can total them cheaply.
        removed_paragraphs=fields.NUMERIC(stored=True, sortable=True),
        removed_links=fields.NUMERIC(stored=True, sortable=True),
        removed_chars=fields.NUMERIC(stored=True, sortable=True),
        added=fields.DATETIME(stored=True),
    )
