"""Machine-readable output: the documented, stable JSON shapes.

New keys may be added; existing keys are never renamed or retyped.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from archive.locations import IndexLocation
from archive.model import Article, Hit, IndexStats, Results, Snippet


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def snippet_json(snippet: Snippet) -> dict[str, Any]:
    return {"text": snippet.text, "matches": [list(span) for span in snippet.matches]}


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "title": hit.title,
        "date": _date(hit.date),
        "source": hit.source,
        "path": hit.path,
        "authors": list(hit.authors),
        "url": hit.url,
        "tags": list(hit.tags),
        "language": hit.language,
        "similar": hit.similar,
        "score": round(hit.score, 6),
        "snippets": [snippet_json(s) for s in hit.snippets],
    }


def results_json(results: Results) -> dict[str, Any]:
    return {
        "query": results.query,
        "total": results.total,
        "articles": results.articles or results.total,
        "page": results.page,
        "pages": results.pagecount,
        "elapsed_ms": round(results.elapsed * 1000, 3),
        "hits": [hit_json(hit) for hit in results.hits],
    }


def article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "date": _date(article.date),
        "source": article.source,
        "path": article.path,
        "record": article.record,
        "authors": list(article.authors),
        "url": article.url,
        "tags": list(article.tags),
        "language": article.language,
        "copies": list(article.copies),
    }


def stats_json(stats: IndexStats, location: IndexLocation) -> dict[str, Any]:
    return {
        "index": stats.path,
        "index_chosen_by": location.why,
        "articles": stats.articles,
        "size_bytes": stats.size_bytes,
        "segments": stats.segments,
        "schema_version": stats.schema_version,
        "last_indexed": _date(stats.last_indexed),
        "cleaning": {
            "articles": stats.cleaned_articles,
            "duplicate_paragraphs": stats.duplicate_paragraphs,
            "link_lines": stats.link_lines,
        },
    }


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
