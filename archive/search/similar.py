"""More like this: articles like a given one, and the key terms they share."""

from __future__ import annotations

import math
import time

from whoosh.searching import Searcher

from archive.index.store import Store
from archive.model import Results
from archive.search.run import searching
from archive.search.snippets import hit

MOST_LIKE = 200  # articles like one that can be paged through


def similar(
    store: Store,
    article_id: str,
    *,
    pagelen: int = 10,
    page: int = 1,
    snippets: int = 3,
    searcher: Searcher | None = None,
) -> Results:
    """Articles like the given one (Whoosh's more-like-this over the body):
    a page of the MOST_LIKE most alike."""
    started = time.perf_counter()
    article = store.get(article_id)
    with searching(store, searcher) as active:
        docnum = active.document_number(id=article.id)
        terms = active.key_terms([docnum], "body", numterms=12)
        found = active.more_like(docnum, "body", text=article.body, top=MOST_LIKE, numterms=12)
        total = min(found.scored_length(), MOST_LIKE)
        first = (page - 1) * pagelen
        stems = frozenset(term for term, _ in terms)
        words = {"title": stems, "body": stems}
        hits = tuple(
            hit(active.stored_fields(found[i].docnum), i + 1, found[i].score, words, snippets)
            for i in range(first, min(first + pagelen, total))
        )
    return Results(
        query=f"like:{article.id}",
        total=total,
        hits=hits,
        elapsed=time.perf_counter() - started,
        page=page,
        pagecount=max(1, math.ceil(total / pagelen)),
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
