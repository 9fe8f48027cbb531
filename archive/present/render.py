"""Rich renderables for hits, articles and index statistics.

Article text is data: it is never parsed as rich markup, and control
characters in it are shown escaped instead of reaching the terminal.
Functions here return renderables; they never print.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import datetime
from typing import IO, cast

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from rich.theme import Theme

from archive.config import DEFAULT_THEME
from archive.escape import safe, safe_line
from archive.locations import IndexLocation
from archive.model import (
    Evaluation,
    Facet,
    Highlighted,
    Hit,
    IndexStats,
    Outlet,
    Results,
    Snippet,
    Span,
    Timeline,
)
from archive.present.wording import counted

# Renderables use these style names; the console's theme says what they look like
# (the defaults, and what the settings file may change, are archive.config's).
MATCH, TITLE, META, RANK, WARNING = (f"archive.{name}" for name in DEFAULT_THEME)
TITLE_MATCH = MATCH
ELLIPSIS = "…"
_BREAK = re.compile(r"\s*\n\s*")


UNWRAPPED = 1_000_000  # columns of output that is not for a terminal: never wrapped


class _Unpadded(io.TextIOBase):
    """A text stream that writes whole lines without their trailing spaces."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._pending = ""

    def write(self, text: str) -> int:
        *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            self._out.write(line.rstrip() + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._out.write(self._pending.rstrip())
            self._pending = ""
        self._out.flush()


def plain_console(out: IO[str], styles: dict[str, str] | None = None) -> Console:
    """A console for output that is not a terminal (a pipe, a file): no colour,
    no line ever wrapped (a path or a URL is never cut in two), no padding."""
    return Console(
        file=cast(IO[str], _Unpadded(out)),
        width=UNWRAPPED,
        color_system=None,
        highlight=False,
        emoji=False,
        theme=theme(styles),
    )


def theme(styles: dict[str, str] | None = None) -> Theme:
    """A rich theme defining the archive's style names, with any overrides."""
    merged = {**DEFAULT_THEME, **(styles or {})}
    return Theme({f"archive.{name}": style for name, style in merged.items()})


def highlighted(text: str, spans: Iterable[Span], style: str = MATCH, base: str = "") -> Text:
    """``text`` as rich Text with ``style`` on each span, escaped piece by piece."""
    out = Text(style=base)
    position = 0
    for start, end in sorted(spans):
        if start < position:
            continue
        out.append(safe(text[position:start]))
        out.append(safe(text[start:end]), style=style)
        position = end
    out.append(safe(text[position:]))
    return out


def snippet_text(snippet: Snippet) -> Text:
    """One line of snippet: paragraph breaks marked, cut ends shown with an ellipsis."""
    out = Text() if snippet.starts_text else Text(ELLIPSIS, style=META)
    text = highlighted(snippet.text, snippet.matches)
    for match in reversed(list(_BREAK.finditer(text.plain))):
        text = text[: match.start()] + Text(" ¶ ", style=META) + text[match.end() :]
    out.append_text(text)
    if not snippet.ends_text:
        out.append(ELLIPSIS, style=META)
    return out


def _date(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


def hit_view(hit: Hit) -> RenderableType:
    head = Text(f"{hit.rank:>2}. ", style=RANK)
    head.append_text(highlighted(hit.title or "(untitled)", hit.title_matches, TITLE_MATCH, TITLE))
    parts = [
        hit.id,
        _date(hit.date),
        hit.source and safe_line(hit.source),
        safe_line(", ".join(hit.authors)) if hit.authors else None,
        None if hit.score is None else f"score {hit.score:.2f}",
        f"+{hit.similar} similar" if hit.similar else None,
        *(safe_line(f"#{tag}") for tag in hit.kept),
        *hit.marks,
    ]
    meta = Text(" · ".join(p for p in parts if p), style=META)
    lines: list[RenderableType] = [head, Padding(meta, (0, 0, 0, 4), expand=False)]
    if hit.note:
        note = Text(safe_line(f"note: {hit.note}"), style=META)
        lines.append(Padding(note, (0, 0, 0, 4), expand=False))
    lines += [Padding(snippet_text(s), (0, 0, 0, 4), expand=False) for s in hit.snippets]
    return Group(*lines)


def results_header(results: Results) -> Text:
    """The line above the hits: how many, for what, and which page."""
    if results.like is not None:
        head = Text(f"{counted(results.total, 'article')} like ", style=META)
        head.append(safe_line(results.like.title or results.like.id), style="bold")
        head.append(" · key terms: " + ", ".join(map(safe, results.key_terms)), style=META)
    else:
        noun = "hit" if results.total == 1 else "hits"
        head = Text(f"{results.total:,} {noun} for ", style=META)
        head.append(safe_line(results.query), style="bold")
    if results.articles > results.total:
        head.append(f" ({counted(results.articles, 'article')}, copies grouped)", style=META)
    head.append(f" in {results.elapsed * 1000:.0f} ms", style=META)
    if results.sort != "relevance":
        head.append(f" · {results.sort} first", style=META)
    if results.pagecount > 1:
        head.append(f" · page {results.page} of {results.pagecount}", style=META)
    return head


def results_view(results: Results) -> RenderableType:
    parts: list[RenderableType] = [results_header(results)]
    if results.variants:
        also = "; ".join(
            f"{', '.join(map(safe_line, others))} for {safe_line(word)}"
            for word, others in results.variants.items()
        )
        parts.append(Text(f"Also matching other spellings: {also}", style=META))
    if results.suggestion is not None:
        corrected, count = results.suggestion
        line = Text("Did you mean ", style=WARNING)
        line.append(safe_line(corrected), style="bold")
        line.append(f" ({count:,} {'hit' if count == 1 else 'hits'})?", style=WARNING)
        parts.append(line)
    if results.total and not results.hits:
        parts.append(
            Text(f"Page {results.page} is past the last page ({results.pagecount}).", style=WARNING)
        )
    for hit in results.hits:
        parts += [Text(), hit_view(hit)]
    return Group(*parts)


def article_view(shown: Highlighted) -> RenderableType:
    article = shown.article
    title = highlighted(article.title or "(untitled)", shown.title_matches, TITLE_MATCH, TITLE)
    parts = [
        article.id,
        _date(article.date),
        article.source and safe_line(article.source),
        safe_line(", ".join(article.authors)) if article.authors else None,
    ]
    meta = [Text(" · ".join(p for p in parts if p), style=META)]
    for label, value in (
        ("", article.path and article.path + (f" ({article.record})" if article.record else "")),
        ("", article.url),
        ("tags: ", ", ".join(article.tags)),
        ("language: ", article.language),
        ("yours: ", " ".join([*(f"#{tag}" for tag in shown.kept), *shown.marks])),
        ("note: ", shown.note),
        ("also in: ", "; ".join(article.copies)),
    ):
        if value:  # one line each, whatever a file name holds
            meta.append(Text(label + safe_line(value), style=META))
    body = highlighted(article.body, shown.body_matches)
    return Group(title, *meta, Text(), body)


def stats_view(stats: IndexStats, location: IndexLocation | None = None) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # a path is never cut short
    last = stats.last_indexed.strftime("%Y-%m-%d %H:%M %Z") if stats.last_indexed else "never"
    rows = [
        ("Index", stats.path),
        ("Chosen by", location.why if location is not None else None),
        ("Articles", f"{stats.articles:,}"),
        ("Size on disk", _size(stats.size_bytes)),
        ("Segments", str(stats.segments)),
        ("Schema version", str(stats.schema_version)),
        ("Last indexed", last),
        (
            "Cleaning",
            f"{counted(stats.cleaned_articles, 'article')} cleaned: "
            f"{counted(stats.duplicate_paragraphs, 'repeated paragraph')} and "
            f"{counted(stats.link_lines, 'link line')} removed",
        ),
    ]
    for label, value in rows:
        if value is not None:  # cells are Text: a path is data, never markup
            table.add_row(Text(label), Text(safe_line(value)))
    return table


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


BAR = "█"
BAR_WIDTH = 40
MAX_PERIOD_ROWS = 60  # beyond this many periods, empty ones are not drawn


def sources_view(found: list[Outlet], unnamed: int) -> RenderableType:
    """Each source with its articles and the dates they span."""
    table = Table(box=None, padding=(0, 1), show_header=True, header_style=META)
    table.add_column("source", overflow="fold")
    table.add_column("articles", justify="right")
    table.add_column("first", style=META)
    table.add_column("last", style=META)
    for outlet in found:
        table.add_row(
            Text(safe_line(outlet.name)),
            f"{outlet.articles:,}",
            _date(outlet.first) or "",
            _date(outlet.last) or "",
        )
    if unnamed:
        table.add_row(Text("(none)", style=META), f"{unnamed:,}", "", "")
    return table


def facets_view(found: list[Facet]) -> RenderableType:
    tables = []
    for facet in found:
        table = Table(title=Text(facet.name), title_style="bold", box=None, padding=(0, 1))
        table.add_column("value", overflow="fold")
        table.add_column("articles", justify="right", style=META)
        for value, count in facet.counts:
            table.add_row(Text(safe_line(value)), Text(f"{count:,}"))
        if facet.missing:
            table.add_row(Text("(none)", style=META), Text(f"{facet.missing:,}"))
        tables.append(table)
    return Group(*tables)


def timeline_view(timeline: Timeline) -> RenderableType:
    head = Text(f"{counted(timeline.matched, 'article')} for ", style=META)
    head.append(safe_line(timeline.query), style="bold")
    head.append(f", by {timeline.by}", style=META)
    if timeline.normalized:
        head.append(" (share of all articles in each period)", style=META)
    if timeline.undated:
        head.append(f"; {timeline.undated:,} undated not shown", style=META)
    periods = timeline.periods
    hidden = 0
    if len(periods) > MAX_PERIOD_ROWS:
        hidden = sum(1 for p in periods if not p.count)
        periods = tuple(p for p in periods if p.count)
    value = (lambda p: p.share) if timeline.normalized else (lambda p: float(p.count))
    top = max((value(p) for p in periods), default=0.0) or 1.0
    table = Table.grid(padding=(0, 1))
    for period in periods:
        label = period.start.strftime("%Y-%m" if timeline.by == "month" else "%Y-%m-%d")
        amount = f"{period.share:.1%}" if timeline.normalized else f"{period.count:,}"
        bar = Text(
            BAR * max(1 if period.count else 0, round(BAR_WIDTH * value(period) / top)),
            style=MATCH if period == timeline.peak else RANK,
        )
        table.add_row(Text(label, style=META), Text(amount, justify="right"), bar)
    parts: list[RenderableType] = [head, table]
    if hidden:
        parts.append(Text(f"({hidden:,} {timeline.by}s with no articles not shown)", style=META))
    if timeline.peak is not None and timeline.top_story is not None:
        line = Text("Peak: ", style=META)
        line.append(timeline.peak.start.date().isoformat(), style="bold")
        line.append(f" · top story: {safe_line(timeline.top_story[1])} ({timeline.top_story[0]})")
        parts.append(line)
    return Group(*parts)


METRICS = (("ap", "MAP"), ("p10", "P@10"), ("ndcg10", "nDCG@10"), ("recall100", "R@100"))


def evaluation_view(found: Evaluation, per_query: bool = False) -> RenderableType:
    table = Table(box=None, padding=(0, 2))
    table.add_column("topics")
    for _, label in METRICS:
        table.add_column(label, justify="right")
    if per_query:
        for topic_id, scores in found.per_query.items():
            values = (Text(f"{getattr(scores, name):.4f}") for name, _ in METRICS)
            table.add_row(Text(safe_line(topic_id)), *values)
    table.add_row(
        Text(f"all {len(found.per_query)}", style="bold"),
        *(Text(f"{found.mean(name):.4f}", style="bold") for name, _ in METRICS),
    )
    parts: list[RenderableType] = [table]
    if found.unjudged:
        parts.append(
            Text(
                f"{counted(len(found.unjudged), 'topic')} without judgements "
                f"{'was' if len(found.unjudged) == 1 else 'were'} not scored",
                style=META,
            )
        )
    return Group(*parts)
