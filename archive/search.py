"""Turn a query string into ranked hits with highlight spans.

Parsing, scoring, paging and highlighting are Whoosh's own; this module only
chooses them and turns Whoosh's fragments into ``Snippet`` values carrying
character spans, so that no caller ever re-matches query words itself.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from typing import Any

from whoosh import highlight, sorting
from whoosh.analysis import STOP_WORDS
from whoosh.query import AndNot, DateRange, Not, NullQuery, Query, Term
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Searcher
from whoosh.support.charset import accent_map

from archive import docsets
from archive import query as query_language
from archive.errors import QueryError
from archive.model import Highlighted, Hit, Preview, Results, Snippet
from archive.schema import VOCABULARY_FIELDS
from archive.store import Store, split_list

SNIPPET_CHARS = 220  # longest fragment shown for a hit
SNIPPET_CONTEXT = 70  # characters of context on each side of a match
LEDE_CHARS = 200  # shown for hits that match only in the title
SORTS = ("relevance", "newest", "oldest")
# Top matches ranked per story on the page, before resorting to a full collapse.
RANKED_PER_STORY = 3
ONE_PASS_MAX = 5000  # estimated matches up to which a preview ranks them all in one pass
# Whoosh's column value for an article without a date.
_NO_DATE = 2**64 - 1


class SpanFormatter(highlight.Formatter):
    """A Whoosh formatter that returns ``Snippet`` values instead of markup."""

    def format(self, fragments: list[highlight.Fragment], replace: bool = False) -> list[Snippet]:
        return [self.snippet(fragment) for fragment in fragments]

    @staticmethod
    def snippet(fragment: highlight.Fragment) -> Snippet:
        text = fragment.text
        start, end = fragment.startchar, fragment.endchar
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        spans = []
        for token in fragment.matches:
            if token.startchar is None or not getattr(token, "matched", True):
                continue
            if start <= token.startchar and token.endchar <= end:
                spans.append((token.startchar - start, token.endchar - start))
        return Snippet(
            text=text[start:end],
            matches=tuple(sorted(spans)),
            starts_text=not text[:start].strip(),
            ends_text=not text[end:].strip(),
        )


_SNIPPETS = highlight.Highlighter(
    fragmenter=highlight.ContextFragmenter(
        maxchars=SNIPPET_CHARS, surround=SNIPPET_CONTEXT, charlimit=None
    ),
    formatter=SpanFormatter(),
)
_WHOLE = highlight.Highlighter(
    fragmenter=highlight.WholeFragmenter(charlimit=None), formatter=SpanFormatter()
)


def parse(store: Store, text: str, options: query_language.Options | None = None) -> Query:
    """The query for ``text`` in the archive's query language (see archive.query)."""
    return query_language.parse(store.ix.schema, text, options or query_language.Options())


def prepare(
    store: Store, text: str, searcher: Searcher, options: query_language.Options
) -> tuple[Query, dict[str, list[str]]]:
    """The query for ``text`` with spelling variants added (unless exact),
    and which variants were added for which words."""
    query = parse(store, text, options)
    if options.exact:
        return query, {}
    from archive import variants

    words = [match.group(1) for match in _QUERY_WORD.finditer(text)]
    words = [w for w in words if w not in query_language.OPERATORS]
    reader = searcher.reader()
    token = (str(store.path), reader.generation())  # this version of this index
    expanded, expansion = variants.expand(
        query, words, reader, store.ix.schema["body"].analyzer, token
    )
    return expanded, expansion.added


def date_filter(since: str | None, until: str | None) -> Query | None:
    """Articles dated from the start of ``since`` to the end of ``until`` (both kept)."""
    if not (since or until):
        return None
    start = query_language.span(since)[0] if since else None
    end = query_language.span(until)[1] if until else None
    if start and end and start > end:
        raise QueryError(f"--since {since} is after --until {until}")
    return DateRange("date", start, end)


FEW_HITS = 3  # with fewer hits than this, a spelling suggestion is looked for
_QUERY_WORD = re.compile(r"(?<![\w~^*?\-])([^\W\d_][\w']*)(?![\w:*?~])")
MUCH_MORE_FREQUENT = 10  # a word this many times as common, one or two letters off, wins...
TYPO_AT_MOST = 2  # ...over a word seen no more often than this (a typo some article shares)


def suggest(
    store: Store, text: str, searcher: Searcher, options: query_language.Options
) -> tuple[str, int] | None:
    """A corrected query and its hit count, when some words are not in the index.

    A word is replaced by the nearest word the index holds (edit distance 2 at
    most, the more frequent first) when the index lacks it, or holds it rarely
    beside a far more frequent neighbour (a typo that some article shares).
    So a suggestion never contains a word the index lacks.
    """
    reader = searcher.reader()
    changed = False

    def frequency(word: str) -> float:
        return sum(reader.frequency(field, word) for field in VOCABULARY_FIELDS)

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(1)
        folded = word.lower()
        if word in query_language.OPERATORS or folded in STOP_WORDS:
            return word
        own = frequency(folded)
        if own > TYPO_AT_MOST:
            return word
        for field in VOCABULARY_FIELDS[::-1]:
            for found in reader.corrector(field).suggest(folded, limit=2, maxdist=2, prefix=1):
                if found != folded and frequency(found) >= max(1, MUCH_MORE_FREQUENT * own):
                    changed = True
                    return str(found)
        return word

    corrected = _QUERY_WORD.sub(fix, text)
    if not changed:
        return None
    try:
        query = parse(store, corrected, options)
    except QueryError:
        return None
    return corrected, count(searcher, query)


def count(searcher: Searcher, query: Query, only: Query | None = None) -> int:
    """Exactly how many articles match.

    Not len() of a top-N search: Whoosh skips blocks of matches that cannot
    reach the top N, and its count then covers only the ones it visited (35
    of 90 for "opec date:1987-03" on Reuters).
    """
    return len(docsets.matching(searcher, query, only))


def sort_facet(sort: str) -> sorting.FacetType | None:
    """Whoosh's sort order for a sort name; undated articles always come last."""
    if sort == "relevance":
        return None
    date = sorting.FieldFacet("date")
    if sort == "oldest":
        return date  # the missing-date value is the largest, so they sort last
    if sort == "newest":
        return sorting.TranslateFacet(lambda key: math.inf if key == _NO_DATE else -key, date)
    raise QueryError(f"unknown sort order {sort!r}", hint=f"use one of: {', '.join(SORTS)}")


@contextmanager
def _searching(store: Store, searcher: Searcher | None) -> Iterator[Searcher]:
    """The caller's searcher if it passed one (a shell keeps one open), else a new one."""
    with nullcontext(searcher) if searcher is not None else store.searcher() as active:
        yield active


def search(
    store: Store,
    text: str,
    *,
    page: int = 1,
    pagelen: int = 10,
    snippets: int = 3,
    sort: str = "relevance",
    searcher: Searcher | None = None,
    all_copies: bool = False,
    any_words: bool = False,
    exact: bool = False,
    since: str | None = None,
    until: str | None = None,
) -> Results:
    """One page of ranked hits for ``text``, each with highlighted snippets.

    Near-duplicate copies of a story are shown once, with the number of
    similar articles, unless ``all_copies`` is set.
    """
    started = time.perf_counter()
    options = query_language.Options(any_words=any_words, exact=exact)
    order = sort_facet(sort)
    dates = date_filter(since, until)
    with _searching(store, searcher) as active:
        query, added = prepare(store, text, active, options)
        if all_copies:
            found = active.search_page(
                query, max(page, 1), pagelen=pagelen, sortedby=order, filter=dates
            )
            _record_terms(found.results, query, active)
            total = count(active, query, dates)  # the page's own total may be short
            pagenum, pagecount = found.pagenum, max(1, math.ceil(total / pagelen))
            hits = tuple(
                _to_hit(hit, found.offset + i + 1, snippets) for i, hit in enumerate(found)
            )
            articles = total
        else:
            pagenum, total, pagecount, articles, hits = _stories(
                active, query, page, pagelen, snippets, order, dates
            )
        better = suggest(store, text, active, options) if articles < FEW_HITS else None
    if better is not None and better[1] <= articles:
        better = None
    return Results(
        query=text,
        total=total,
        hits=hits,
        elapsed=time.perf_counter() - started,
        page=pagenum,
        pagecount=pagecount,
        sort=sort,
        articles=articles,
        suggestion=better,
        variants=added,
        parsed=str(query),
    )


def _stories(
    searcher: Searcher,
    query: Query,
    page: int,
    pagelen: int,
    snippets: int,
    order: Any,
    dates: Query | None,
) -> tuple[int, int, int, int, tuple[Hit, ...]]:
    """One hit per story cluster.

    One unscored pass over every match counts the articles of each story (so
    the totals are exact). The page's stories are the first article of each
    story among the top-ranked matches; only when near-duplicates fill those
    does Whoosh's collapse rank every match.
    """
    every = docsets.matching(searcher, query, dates)
    clusters = searcher.reader().column_reader("cluster")
    per_story = Counter(clusters[docnum] or docnum for docnum in every)
    stories, articles = len(per_story), len(every)
    pagecount = max(1, math.ceil(stories / pagelen))
    page = min(max(page, 1), pagecount)
    offset = (page - 1) * pagelen
    wanted = min(offset + pagelen, stories)
    if not wanted:
        return page, stories, pagecount, articles, ()
    ranked = searcher.search(query, limit=wanted * RANKED_PER_STORY, sortedby=order, filter=dates)
    _record_terms(ranked, query, searcher)
    heads = _story_heads(ranked, clusters, wanted)
    if len(heads) < wanted:
        collapsed = searcher.search(
            query,
            limit=wanted,
            sortedby=order,
            collapse=sorting.FieldFacet("cluster"),
            collapse_limit=1,
            filter=dates,
        )
        _record_terms(collapsed, query, searcher)
        heads = [collapsed[i] for i in range(min(wanted, collapsed.scored_length()))]
    hits = []
    for i, hit in enumerate(heads[offset:], start=offset):
        similar = per_story[clusters[hit.docnum] or hit.docnum] - 1
        hits.append(replace(_to_hit(hit, i + 1, snippets), similar=similar))
    return page, stories, pagecount, articles, tuple(hits)


def _record_terms(found: Any, query: Query, searcher: Searcher) -> None:
    """Give Whoosh's results the terms that highlighting marks: the query's
    terms that the index holds, outside its NOT parts.

    Whoosh's ``terms=True`` records the matching terms of every article it
    scores, for the top ones to be highlighted; for a fuzzy word with 9,000
    matches that was a fifth of the search.
    """
    reader, schema = searcher.reader(), searcher.schema
    terms = set()
    # Not Whoosh's existing_terms(), whose loop overwrites its fieldname
    # argument and then skips every term of another field.
    for leaf in _positive(query).leaves():
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname in schema:
                try:
                    term = (fieldname, schema[fieldname].to_bytes(text))
                except ValueError:
                    continue
                if term in reader:
                    terms.add(term)
    found.termdocs = dict.fromkeys(terms, ())
    found.docterms = {}


def _positive(query: Query) -> Query:
    if isinstance(query, AndNot):
        return _positive(query.a)
    if isinstance(query, Not):
        return NullQuery
    return query.apply(_positive)


def _story_heads(ranked: Any, clusters: Any, wanted: int) -> list[WhooshHit]:
    """The first-ranked hit of each story, in rank order, up to ``wanted``."""
    seen: set[Any] = set()
    heads = []
    for i in range(ranked.scored_length()):
        hit = ranked[i]
        story = clusters[hit.docnum] or hit.docnum
        if story not in seen:
            seen.add(story)
            heads.append(hit)
            if len(heads) == wanted:
                break
    return heads


def preview(store: Store, text: str, searcher: Searcher, top: int = 3) -> Preview:
    """The hit count and the top titles for ``text``: what search-as-you-type shows."""
    started = time.perf_counter()
    query, _ = prepare(store, text, searcher, query_language.ALL_WORDS)
    # Counting every match and ranking the top few: with few matches one pass
    # over them all is fastest; with many, a top-N pass plus a count is.
    if query.estimate_size(searcher.reader()) <= ONE_PASS_MAX:
        found = searcher.search(query, limit=None)
        total = found.scored_length()
    else:
        found = searcher.search(query, limit=top)
        total = count(searcher, query)
    titles = tuple(hit.get("title", "") for hit in found[:top])
    return Preview(text, total, titles, time.perf_counter() - started)


def similar(
    store: Store,
    article_id: str,
    *,
    pagelen: int = 10,
    snippets: int = 3,
    searcher: Searcher | None = None,
) -> Results:
    """Articles like the given one (Whoosh's more-like-this over the body)."""
    started = time.perf_counter()
    article = store.get(article_id)
    with _searching(store, searcher) as active:
        docnum = active.document_number(id=article.id)
        terms = active.key_terms([docnum], "body", numterms=12)
        found = active.more_like(docnum, "body", text=article.body, top=pagelen, numterms=12)
        hits = tuple(_to_hit(hit, i + 1, snippets) for i, hit in enumerate(found))
    return Results(
        query=f"like:{article.id}",
        total=len(hits),
        hits=hits,
        elapsed=time.perf_counter() - started,
        like=article,
        key_terms=surface_forms(store, article.body, [term for term, _ in terms]),
    )


def surface_forms(store: Store, text: str, stems: list[str]) -> tuple[str, ...]:
    """Each stem as the word first written in ``text`` ("negoti" -> "negotiations")."""
    analyzer = store.ix.schema["body"].analyzer
    seen: dict[str, str] = {}
    for token in analyzer(text, chars=True, mode="index", removestops=False):
        if token.text in stems and token.text not in seen:
            seen[token.text] = text[token.startchar : token.endchar]
    return tuple(seen.get(stem, stem) for stem in stems)


def completions(
    store: Store, prefix: str, limit: int = 20, searcher: Searcher | None = None
) -> list[str]:
    """Words in the index that start with ``prefix``, most frequent first."""
    folded = prefix.lower().translate(accent_map)
    if not folded:
        return []
    counts: dict[str, float] = {}
    with _searching(store, searcher) as active:
        reader = active.reader()
        for field in VOCABULARY_FIELDS:
            for weight, term in reader.most_frequent_terms(field, limit, folded):
                word = term.decode("utf-8") if isinstance(term, bytes) else term
                counts[word] = counts.get(word, 0.0) + weight
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:limit]]


def _to_hit(hit: WhooshHit, rank: int, top: int) -> Hit:
    fields = hit.fields()
    has_body = bool(fields.get("body"))  # headline-only items index no body
    snippets = _distinct(_SNIPPETS.highlight_hit(hit, "body", top=top)) if has_body else []
    if not snippets and fields.get("body"):
        snippets = [_lede(fields["body"])]  # matched in the title only: show the lede
    title = _WHOLE.highlight_hit(hit, "title", top=1)
    return Hit(
        rank=rank,
        id=fields["id"],
        title=fields.get("title", ""),
        title_matches=title[0].matches if title else (),
        score=float(hit.score or 0.0),
        snippets=tuple(snippets),
        date=fields.get("date"),
        source=fields.get("source"),
        path=fields.get("path"),
        authors=split_list(fields.get("authors")),
        url=fields.get("url"),
        tags=split_list(fields.get("tags")),
        language=fields.get("language"),
    )


def _distinct(snippets: list[Snippet]) -> list[Snippet]:
    """Drop fragments whose text another fragment already shows."""
    kept: list[Snippet] = []
    for snippet in snippets:
        text = snippet.text.casefold()
        if not any(text in other.text.casefold() for other in kept):
            kept.append(snippet)
    return kept


def _lede(body: str) -> Snippet:
    if len(body) <= LEDE_CHARS:
        return Snippet(text=body, starts_text=True, ends_text=True)
    cut = body[:LEDE_CHARS].rsplit(" ", 1)[0]
    return Snippet(text=cut, starts_text=True)


def highlight_article(store: Store, article_id: str, text: str | None = None) -> Highlighted:
    """An article in full; with a query, every span of it that matches."""
    article = store.get(article_id)
    if not text:
        return Highlighted(article)
    with store.searcher() as searcher:
        query, _ = prepare(store, text, searcher, query_language.ALL_WORDS)
        found = searcher.search(query, filter=Term("id", article.id), limit=1, terms=True)
        if found.is_empty():
            return Highlighted(article)
        hit: Any = found[0]
        title = _WHOLE.highlight_hit(hit, "title", top=1)
        body = _WHOLE.highlight_hit(hit, "body", top=1) if hit.get("body") else []
    return Highlighted(
        article,
        title_matches=title[0].matches if title else (),
        body_matches=body[0].matches if body else (),
    )
