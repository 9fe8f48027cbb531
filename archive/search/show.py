"""One article in full, with every span a query matches in it."""

from __future__ import annotations

from archive.index.store import Store
from archive.model import Highlighted, SearchRequest
from archive.search.run import as_request, options_of, prepare
from archive.search.snippets import marks, query_words


def highlight_article(
    store: Store, article_id: str, request: SearchRequest | str | None = None
) -> Highlighted:
    """An article in full; with a query, every span of it that matches (the
    words whose stems the query searched for, as in the snippets)."""
    article = store.get(article_id)
    if request is None or not as_request(request).query:
        return Highlighted(article)
    request = as_request(request)
    with store.searcher() as searcher:
        query, _ = prepare(store, request.query, searcher, options_of(request))
        words = query_words(query, searcher.reader())
    return Highlighted(
        article,
        title_matches=marks(article.title, words.get("title", frozenset())),
        body_matches=marks(article.body, words.get("body", frozenset())),
    )
