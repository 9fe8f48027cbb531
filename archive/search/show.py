"""One article in full, with every span a request matches in it."""

from __future__ import annotations

from archive.model import Article, Highlighted
from archive.search.prepared import Prepared
from archive.search.snippets import marks, terms_in, written


def highlighted(article: Article, prepared: Prepared | None = None) -> Highlighted:
    """An article in full; with a request, every span of it that matches (the
    words whose stems the request searched for, as in the snippets)."""
    if prepared is None or not prepared.text:
        return Highlighted(article)
    words, language = prepared.words, article.language
    return Highlighted(
        article,
        title_matches=marks(
            article.title, terms_in(words, "title", language), written(words, "title"), language
        ),
        body_matches=marks(
            article.body, terms_in(words, "body", language), written(words, "body"), language
        ),
    )
