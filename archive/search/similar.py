"""More like this: articles like a given one, and the key terms they share."""

from __future__ import annotations

import math
import time
from typing import Any

from archive.model import Article, Results
from archive.search.snippets import hit

MOST_LIKE = 200  # articles like one that can be paged through
KEY_TERMS = 12


def similar(
    searcher: Any, article: Article, *, limit: int = 10, page: int = 1, snippets: int = 3
) -> Results:
    """Articles like the given one (Whoosh's more-like-this over the body):
    a page of the MOST_LIKE most alike."""
    started = time.perf_counter()
    docnum = searcher.document_number(id=article.id)
    terms = [term for term, _ in searcher.key_terms([docnum], "body", numterms=KEY_TERMS)]
    found = searcher.more_like(docnum, "body", text=article.body, top=MOST_LIKE, numterms=KEY_TERMS)
    total = min(found.scored_length(), MOST_LIKE)
    first = (page - 1) * limit
    stems = frozenset(terms)
    words = {"title": stems, "body": stems}
    hits = tuple(
        hit(searcher.stored_fields(found[i].docnum), i + 1, found[i].score, words, snippets)
        for i in range(first, min(first + limit, total))
    )
    return Results(
        query=f"like:{article.id}",
        total=total,
        hits=hits,
        elapsed=time.perf_counter() - started,
        page=page,
        pagecount=max(1, math.ceil(total / limit)),
        like=article,
        key_terms=surface_forms(searcher.schema["body"].analyzer, article.body, terms),
    )


def surface_forms(analyzer: Any, text: str, stems: list[str]) -> tuple[str, ...]:
    """Each stem as the word first written in ``text`` ("negoti" -> "negotiations")."""
    seen: dict[str, str] = {}
    for token in analyzer(text, chars=True, mode="index", removestops=False):
        if token.text in stems and token.text not in seen:
            seen[token.text] = text[token.startchar : token.endchar]
    return tuple(seen.get(stem, stem) for stem in stems)
