"""Machine-readable output: the documented, stable JSON shapes.

New keys may be added; existing keys are never renamed or retyped.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from archive.escape import safe
from archive.locations import IndexLocation
from archive.model import (
    Article,
    Evaluation,
    Facet,
    Highlighted,
    Hit,
    IndexStats,
    Outlet,
    Results,
    Snippet,
    Timeline,
)
from archive.present.wording import counted


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def snippet_json(snippet: Snippet) -> dict[str, Any]:
    return {"text": snippet.text, "matches": [list(span) for span in snippet.matches]}


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "rank": hit.rank,
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
        "user_tags": list(hit.kept),
        "read": "read" in hit.marks,
        "flagged": "flagged" in hit.marks,
        "note": hit.note,
        "score": None if hit.score is None else round(hit.score, 6),
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
        "variants": results.variants,
        "suggestion": (
            {"query": results.suggestion[0], "total": results.suggestion[1]}
            if results.suggestion
            else None
        ),
        "hits": [hit_json(hit) for hit in results.hits],
        **({"like": results.like.id, "key_terms": list(results.key_terms)} if results.like else {}),
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
        "title_derived": article.title_derived,
    }


def shown_json(shown: Highlighted) -> dict[str, Any]:
    """An article shown, with what the user keeps with it (as hits carry it)."""
    return {
        **article_json(shown.article),
        "user_tags": list(shown.kept),
        "read": "read" in shown.marks,
        "flagged": "flagged" in shown.marks,
        "note": shown.note,
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


def dumps(value: Any, escaped: bool = False) -> str:
    """JSON that any strict parser reads: NaN and Infinity are refused, never
    written; ``escaped``, in ASCII (\\u escapes, for an output that has no
    other characters)."""
    return json.dumps(value, ensure_ascii=escaped, indent=2, allow_nan=False)


def results_jsonl(results: Results, escaped: bool = False) -> str:
    """One JSON object per hit, one per line (the hit's keys, as in JSON)."""
    return "\n".join(
        json.dumps(hit_json(hit), ensure_ascii=escaped, allow_nan=False) for hit in results.hits
    )


CSV_COLUMNS = (
    "rank", "id", "title", "date", "source", "authors", "url", "score", "snippet", "language",
)  # fmt: skip


def results_csv(results: Results) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for hit in results.hits:
        snippet = hit.snippets[0].text if hit.snippets else ""
        # Text cells are escaped like text output: a CSV is often read in a terminal.
        cells = [hit.title, hit.source or "", "; ".join(hit.authors), hit.url or ""]
        title, source, authors, url = (safe(cell) for cell in cells)
        writer.writerow(
            [
                hit.rank,
                hit.id,
                title,
                _date(hit.date) or "",
                source,
                authors,
                url,
                "" if hit.score is None else round(hit.score, 4),
                safe(" ".join(snippet.split())),
                hit.language or "",
            ]
        )
    return out.getvalue().rstrip("\n")


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|"})


def _md(text: str) -> str:
    return safe(" ".join(text.split())).translate(_MARKDOWN_SPECIAL)


def results_markdown(results: Results) -> str:
    """Citation-ready: headline, source, date, URL, and the matching passage quoted."""
    lines = [f"Search: `{results.query.replace('`', '')}` ({counted(results.total, 'hit')})", ""]
    for hit in results.hits:
        cite = [
            part
            for part in (
                _md(hit.source) if hit.source else None,
                ", ".join(map(_md, hit.authors)) or None,
                hit.date.date().isoformat() if hit.date else None,
            )
            if part
        ]
        line = f"{hit.rank}. **{_md(hit.title or '(untitled)')}**"
        if cite:
            line += " — " + ", ".join(cite)
        if hit.url:
            line += f". <{hit.url}>"
        lines.append(line)
        if hit.snippets:
            first = hit.snippets[0]
            quoted = ("" if first.starts_text else "…") + _md(first.text)
            lines.append(f"   > {quoted}{'' if first.ends_text else '…'}")
        lines.append(f"   (archive ID {hit.id})")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def facets_json(found: list[Facet]) -> dict[str, Any]:
    return {facet.name: {"counts": dict(facet.counts), "missing": facet.missing} for facet in found}


def sources_json(found: list[Outlet], unnamed: int) -> dict[str, Any]:
    return {
        "sources": [
            {
                "name": outlet.name,
                "articles": outlet.articles,
                "first": outlet.first.date().isoformat() if outlet.first else None,
                "last": outlet.last.date().isoformat() if outlet.last else None,
            }
            for outlet in found
        ],
        "without_source": unnamed,
    }


def timeline_json(timeline: Timeline) -> dict[str, Any]:
    return {
        "query": timeline.query,
        "by": timeline.by,
        "normalized": timeline.normalized,
        "matched": timeline.matched,
        "undated": timeline.undated,
        "periods": [
            {
                "start": p.start.date().isoformat(),
                "count": p.count,
                "total": p.total,
                "share": round(p.share, 6),
            }
            for p in timeline.periods
        ],
        "peak": timeline.peak.start.date().isoformat() if timeline.peak else None,
        "top_story": (
            {"id": timeline.top_story[0], "title": timeline.top_story[1]}
            if timeline.top_story
            else None
        ),
    }


def timeline_csv(timeline: Timeline) -> str:
    rows = ["period,count,total,share"]
    rows += [
        f"{p.start.date().isoformat()},{p.count},{p.total},{p.share:.6f}" for p in timeline.periods
    ]
    return "\n".join(rows)


def evaluation_json(found: Evaluation) -> dict[str, Any]:
    names = ("ap", "p10", "ndcg10", "recall100")
    return {
        "topics": len(found.per_query),
        "unjudged": found.unjudged,
        "map": round(found.mean("ap"), 6),
        "p10": round(found.mean("p10"), 6),
        "ndcg10": round(found.mean("ndcg10"), 6),
        "recall100": round(found.mean("recall100"), 6),
        "per_query": {
            topic: {name: round(getattr(scores, name), 6) for name in names}
            for topic, scores in found.per_query.items()
        },
    }
