"""The one Whoosh schema of the archive, its analyzer and its version.

Bump ``SCHEMA_VERSION`` whenever a change here makes an existing index
unusable (fields, analyzers, stored values); opening an index of another
version then asks the user to re-index instead of failing obscurely.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import columns, fields
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    IDTokenizer,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    StripFilter,
)
from whoosh.support.charset import accent_map

from archive.index.analysis import CJK, MIN_CHARS, pieces
from archive.index.scripts import WORD

SCHEMA_VERSION = 19

# Fields searched when a query names none, and how much each counts.
DEFAULT_FIELDS = ("title", "body")
# Fields analysed by the fast analyzer (archive.index.analysis) when a segment
# is built; their positions and their words as written are kept in the
# segment's arrays (archive.index.derived), not in Whoosh's postings.
ANALYSED_FIELDS = ("title", "body")
# The arrays of each analysed field's words as written (spelling help, completion).
VOCABULARY_FIELDS = ("spell_title", "spell_body")
FIELD_BOOSTS = {"title": 2.0, "body": 1.0}


class SnowballStemFilter(Filter):
    """English (Porter2) stemming by the Snowball C library, PyStemmer.

    About five times faster than Whoosh's pure-Python Porter stemmer. The
    stemmer object itself cannot be pickled (Whoosh pickles the schema into
    the index), so only the language is kept and the stemmer made on use.
    """

    is_morph = True  # it changes words: Whoosh then keeps the unstemmed ones for spelling

    def __init__(self, lang: str = "english") -> None:
        self.lang = lang
        self._stem: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"lang": self.lang, "_stem": None}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SnowballStemFilter) and other.lang == self.lang

    def __hash__(self) -> int:
        return hash(("SnowballStemFilter", self.lang))

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        stem = self._stem
        if stem is None:
            import Stemmer

            stem = self._stem = Stemmer.Stemmer(self.lang).stemWord
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text)
            yield token


class CJKBigramFilter(Filter):
    """Chinese, Japanese and Korean, and Thai, Lao, Burmese and Khmer, as
    overlapping pairs of characters (archive.index.analysis.pieces), as
    Lucene's CJKBigramFilter makes them; other words pass, but for those too
    short to index (it stands before a StopFilter that keeps a lone
    character of those scripts, which is a word)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CJKBigramFilter)

    def __hash__(self) -> int:
        return hash("CJKBigramFilter")

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            text = token.text
            if CJK.search(text) is None:
                if len(text) >= MIN_CHARS:
                    yield token
                elif not token.removestops:
                    token.stopped = True
                    yield token
                continue
            first = token.startchar if token.chars else 0
            for start, end in pieces(text):
                token.text = text[start:end]
                if token.chars:
                    token.startchar, token.endchar = first + start, first + end
                yield token


class LanguageCodeFilter(Filter):
    """A language as its ISO 639-1 code, as articles keep it
    (archive.sources.language.declared): language:pt-BR is language:pt,
    language:deu is language:de."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LanguageCodeFilter)

    def __hash__(self) -> int:
        return hash("LanguageCodeFilter")

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        from archive.sources.language import declared

        for token in tokens:
            token.text = declared(token.text) or token.text
            yield token


def text_analyzer() -> Analyzer:
    """Words (combining marks kept inside them), case-folded, accent-folded,
    the unspaced scripts as pairs of characters, stop words out, stemmed
    (Porter2)."""
    return (
        RegexTokenizer(WORD)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | CJKBigramFilter()
        | StopFilter(minsize=1)
        | SnowballStemFilter()
    )


class StoredNumber(fields.COLUMN):
    """A number kept per article as a column (cheap to total) and stored, not indexed."""

    stored = True

    def __init__(self) -> None:
        super().__init__(columns.NumericColumn("I"))


class StoredKey(fields.COLUMN):
    """A text stored per article, with a fixed-size digest of it as a column.
    No longer in the schema (the arrays keep the story clusters); kept so
    that the pickled schema of an index of an earlier version can be read,
    for ``archive rebuild`` to carry its articles over."""

    stored = True
    DIGEST_BYTES = 8

    def __init__(self) -> None:
        super().__init__(columns.FixedBytesColumn(self.DIGEST_BYTES))


def value_analyzer() -> Analyzer:
    """Each ';'-separated value one term (the facets of earlier versions;
    kept so that their pickled schemas can be read)."""
    return RegexTokenizer(r"[^;]+") | StripFilter()


# Authors and tags are stored joined with this (names contain commas: "Perlis, A. J.").
LIST_SEPARATOR = ";"


def name_analyzer() -> Analyzer:
    """Words of a name, case- and accent-folded, nothing removed or stemmed."""
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


def build_schema() -> fields.Schema:
    """Every field a feature reads, and no more: what only the arrays answer
    (positions, the words as written, dates, clusters, text hashes, facet
    values) is not indexed by Whoosh too."""
    analyzer = text_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        origin=fields.STORED(),
        # Positions and the words as written are in the arrays.
        title=fields.TEXT(analyzer=analyzer, stored=True, phrase=False),
        # A title made from the lede is stored (shown) but not indexed.
        title_derived=fields.STORED(),
        body=fields.TEXT(analyzer=analyzer, stored=True, phrase=False),
        # Publication date: stored; the arrays hold it as a column, filters
        # and sorting read that.
        date=fields.STORED(),
        source=fields.STORED(),  # as written; facets count it from the arrays
        outlet=fields.TEXT(analyzer=name_analyzer(), phrase=True),  # source:, by its words
        # Stored joined with ';'; searched by their words (author:johnson).
        authors=fields.TEXT(analyzer=name_analyzer(), stored=True),
        tags=fields.TEXT(analyzer=name_analyzer(), stored=True),
        url=fields.STORED(),
        # An ISO 639-1 code (archive.sources.language); language:EN and
        # language:en-GB are language:en.
        language=fields.ID(
            stored=True, analyzer=IDTokenizer() | LowercaseFilter() | LanguageCodeFilter()
        ),
        # The file an article came from, and which record of it (the record of
        # indexed files, not the index, answers which articles a file holds).
        path=fields.STORED(),
        record=fields.STORED(),
        content_hash=fields.STORED(),
        # Exact duplicates are found by this (in the arrays); the copies an
        # article stands for are listed beside the index (archive.index.dedup).
        text_hash=fields.STORED(),
        # Near duplicates: the story cluster the article belongs to (an article
        # ID; the arrays hold it as a column, and its signature's band keys).
        cluster=fields.STORED(),
        # What cleaning removed; columns so that stats can total them cheaply
        # (never searched, so not indexed: each indexed number costs 8 postings).
        removed_paragraphs=StoredNumber(),
        removed_links=StoredNumber(),
        removed_chars=StoredNumber(),
        added=fields.STORED(),
    )
