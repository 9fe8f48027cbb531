"""More like this: articles like a given one, and the key terms they share."""

from __future__ import annotations

import time

from whoosh.searching import Searcher

from archive.index.store import Store
from archive.model import Results
from archive.search.highlight import to_hit
from archive.search.run import searching


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
    with searching(store, searcher) as active:
        docnum = active.document_number(id=article.id)
        terms = active.key_terms([docnum], "body", numterms=12)
        found = active.more_like(docnum, "body", text=article.body, top=pagelen, numterms=12)
        hits = tuple(to_hit(hit, i + 1, snippets) for i, hit in enumerate(found))
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
