"""The values that cross module borders: articles in, hits out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

Span = tuple[int, int]


@dataclass(frozen=True)
class Cleaning:
    """What cleaning removed from one article's raw text."""

    duplicate_paragraphs: int = 0
    link_lines: int = 0
    chars_removed: int = 0  # characters of the paragraphs and lines removed

    def __bool__(self) -> bool:
        return bool(self.duplicate_paragraphs or self.link_lines or self.chars_removed)


@dataclass(frozen=True)
class Article:
    """One news article, cleaned and ready to index."""

    id: str
    title: str
    body: str
    origin: str  # stable key of where it came from ("seed:NAME", a path, "path#record")
    path: str | None = None  # file it was read from, when there is one
    date: datetime | None = None
    source: str | None = None  # the outlet that published it
    cleaning: Cleaning = field(default_factory=Cleaning)
    authors: tuple[str, ...] = ()
    url: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    record: str | None = None  # which record of the file (line, row, entry), if several
    # The record's own ID in its export (an id or docno column), if it has one:
    # records with the same text are one article only if these agree too.
    record_id: str | None = None
    copies: tuple[str, ...] = ()  # other origins holding exactly the same text
    title_derived: bool = False  # the title was made from the text: shown, not searched


@dataclass(frozen=True)
class Problem:
    """An input that could not be read, and why.

    ``skipped`` is False for a warning about an article that was still
    indexed (an unparsable date is left empty, say).
    """

    path: str
    reason: str
    skipped: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Snippet:
    """A fragment of article text with the character spans that matched."""

    text: str
    matches: tuple[Span, ...] = ()
    starts_text: bool = False  # the fragment begins at the start of the article
    ends_text: bool = False  # the fragment runs to the end of the article


SORTS = ("relevance", "newest", "oldest")


@dataclass(frozen=True)
class SearchRequest:
    """One search, whole: what to find, how to filter it and how to show it.

    Search, preview, facets, timelines and the shell all take this one value
    (changed with ``dataclasses.replace``), so no path can drop a filter.
    """

    query: str
    page: int = 1
    limit: int = 10  # hits per page
    sort: str = "relevance"  # or "newest", "oldest"
    all_copies: bool = False  # every near-duplicate copy, not one hit per story
    any_words: bool = False  # any of the words must match, not all
    exact: bool = False  # only the spellings typed: no variants
    since: str | None = None  # only articles from the start of this day...
    until: str | None = None  # ...to the end of this one
    source: str | None = None  # only articles from this source (its words, any case)
    snippets: int = 3  # snippets under each hit

    @property
    def by_date(self) -> bool:
        return self.sort != "relevance"


@dataclass(frozen=True)
class Hit:
    """One ranked search result."""

    rank: int
    id: str
    title: str
    score: float | None  # None when the hits are ordered by date, not relevance
    title_matches: tuple[Span, ...] = ()
    snippets: tuple[Snippet, ...] = ()
    date: datetime | None = None
    source: str | None = None
    path: str | None = None
    authors: tuple[str, ...] = ()
    url: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    similar: int = 0  # near-duplicate copies of this story that also match
    kept: tuple[str, ...] = ()  # the user's own tags (archive.index.desk)
    marks: tuple[str, ...] = ()  # the user's marks: "flagged", "read"
    note: str | None = None  # the user's note


@dataclass(frozen=True)
class Results:
    """A page of hits for one query."""

    query: str
    total: int
    hits: tuple[Hit, ...]
    elapsed: float  # seconds
    page: int = 1
    pagecount: int = 1
    sort: str = "relevance"
    request: SearchRequest | None = None  # what was asked (None for more-like-this)
    like: Article | None = None  # set for more-like-this results
    articles: int = 0  # matching articles, counting every copy of a story
    suggestion: tuple[str, int] | None = None  # a corrected query, and its hits
    variants: dict[str, list[str]] = field(default_factory=dict)  # word -> spellings added
    parsed: str = ""  # the query as run, for --explain
    key_terms: tuple[str, ...] = ()  # the words more-like-this searched for


@dataclass(frozen=True)
class Preview:
    """What search-as-you-type shows: the hit count and the top titles."""

    query: str
    total: int
    titles: tuple[str, ...]
    elapsed: float  # seconds


@dataclass(frozen=True)
class Highlighted:
    """An article shown in full, with the spans a query matched."""

    article: Article
    title_matches: tuple[Span, ...] = ()
    body_matches: tuple[Span, ...] = ()
    kept: tuple[str, ...] = ()  # the user's own tags
    marks: tuple[str, ...] = ()  # the user's marks: "flagged", "read"
    note: str | None = None  # the user's note


@dataclass
class SyncReport:
    """What one indexing run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    duplicates: int = 0  # articles whose exact text was already indexed from elsewhere
    problems: list[Problem] = field(default_factory=list)
    ignored_files: int = 0  # files in folders that are not articles (other types)
    excluded: int = 0  # files and folders in folders passed over by name or path
    files_unchanged: int = 0  # files skipped without reading (same size, time or hash)
    interrupted: bool = False  # stopped early on request; what was read is committed
    # Problems of files unchanged since they were reported (when the file was
    # read before): neither reported again nor counted as failures.
    earlier: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return sum(1 for problem in self.problems if problem.skipped)

    @property
    def skipped_earlier(self) -> int:
        return sum(1 for problem in self.earlier if problem.skipped)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.skipped


@dataclass(frozen=True)
class IndexStats:
    """What is indexed, and where."""

    path: str
    articles: int
    schema_version: int
    size_bytes: int
    segments: int
    last_indexed: datetime | None
    cleaned_articles: int
    duplicate_paragraphs: int
    link_lines: int


@dataclass(frozen=True)
class Facet:
    """Matching articles counted by one property (source, author, tag, period)."""

    name: str
    counts: tuple[tuple[str, int], ...]  # value and matching articles, most first
    missing: int = 0  # matching articles with no value


@dataclass(frozen=True)
class Outlet:
    """A source the archive holds articles from."""

    name: str
    articles: int
    first: datetime | None  # the earliest and latest dates of its dated articles
    last: datetime | None


@dataclass(frozen=True)
class Period:
    start: datetime
    count: int
    total: int  # articles in the archive in that period (within the filters)

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0


@dataclass(frozen=True)
class Timeline:
    query: str
    by: str
    normalized: bool
    periods: tuple[Period, ...]
    matched: int  # matching articles
    undated: int  # matching articles without a date
    peak: Period | None = None
    top_story: tuple[str, str] | None = None  # (id, title) of the peak period's best hit


@dataclass(frozen=True)
class Scores:
    """One topic's ranking quality."""

    ap: float
    p10: float
    ndcg10: float
    recall100: float
    relevant: int
    retrieved: int


Ranking = list[tuple[str, float]]  # (document ID, score), best first


@dataclass
class Evaluation:
    per_query: dict[str, Scores] = field(default_factory=dict)
    runs: dict[str, Ranking] = field(default_factory=dict)
    unjudged: list[str] = field(default_factory=list)  # topics with no judgements (skipped)

    def mean(self, name: str) -> float:
        values = [getattr(scores, name) for scores in self.per_query.values()]
        return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True)
class Difference:
    """One metric of two runs, compared topic by topic."""

    ours: float  # the mean over the topics
    theirs: float
    p_value: float  # of a paired randomisation test, two-sided
    better: int  # topics on which ours scores higher
    worse: int

    @property
    def change(self) -> float:
        return self.ours - self.theirs


@dataclass(frozen=True)
class Comparison:
    """Two runs over the same judged topics (a topic one of them lacks scores 0 there)."""

    topics: int
    metrics: dict[str, Difference]
    trials: int  # random relabellings; 0: every one was counted (exact)
