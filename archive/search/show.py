"""One article in full, with every span a query matches in it."""

from __future__ import annotations

from typing import Any

from whoosh.query import Term

from archive.index.store import Store
from archive.model import Highlighted, SearchRequest
from archive.search.highlight import WHOLE
from archive.search.run import as_request, options_of, prepare


def highlight_article(
    store: Store, article_id: str, request: SearchRequest | str | None = None
) -> Highlighted:
    """An article in full; with a query, every span of it that matches."""
    article = store.get(article_id)
    if request is None or not as_request(request).query:
        return Highlighted(article)
    request = as_request(request)
    with store.searcher() as searcher:
        query, _ = prepare(store, request.query, searcher, options_of(request))
        found = searcher.search(query, filter=Term("id", article.id), limit=1, terms=True)
        if found.is_empty():
            return Highlighted(article)
        hit: Any = found[0]
        title = WHOLE.highlight_hit(hit, "title", top=1)
        body = WHOLE.highlight_hit(hit, "body", top=1) if hit.get("body") else []
    return Highlighted(
        article,
        title_matches=title[0].matches if title else (),
        body_matches=body[0].matches if body else (),
    )
