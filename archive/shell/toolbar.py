"""The bottom toolbar: the live preview, then where and how results are shown."""

from __future__ import annotations

from prompt_toolkit.formatted_text import StyleAndTextTuples

from archive.index.analysis import CJK
from archive.present.render import safe
from archive.shell.commands import ShellState
from archive.shell.keeping import filters_line, showing_line
from archive.shell.preview import Previewer, wanted


def toolbar(
    state: ShellState, previewer: Previewer | None, text: str, width: int, word: str = ""
) -> StyleAndTextTuples:
    lines: StyleAndTextTuples = []
    if previewer is not None:
        lines += [*_fit(_preview_line(previewer, text, word), width), ("", "\n")]
        completing = _completions_line(previewer, text, word)
        if completing:
            lines += [*_fit(completing, width), ("", "\n")]
    for status in _lines(_status_line(state)):
        lines += [*_fit(status, width), ("", "\n")]
    return lines[:-1]


def _lines(pieces: StyleAndTextTuples) -> list[StyleAndTextTuples]:
    """Pieces split into lines at the newline pieces."""
    found: list[StyleAndTextTuples] = [[]]
    for piece in pieces:
        if piece[1] == "\n":
            found.append([])
        else:
            found[-1].append(piece)
    return found


def _completions_line(previewer: Previewer, text: str, word: str) -> StyleAndTextTuples:
    """What the word being typed can become, with how many articles hold each."""
    shown = previewer.latest
    if not word or shown is None or (shown.text, shown.word) != (text, word):
        return []
    if not shown.completions:
        if CJK.search(word):  # kept as pairs of characters, not as words: nothing to tell
            return []
        return [("class:toolbar.dim", f" no word in the index starts with {safe(word)!r}")]
    pieces: StyleAndTextTuples = [("class:toolbar.dim", f" {safe(word)}… ")]
    for number, (completion, count) in enumerate(shown.completions):
        pieces += [
            ("class:toolbar.dim", " · " if number else ""),
            ("", safe(completion)),
            ("class:toolbar.dim", f" {count:,}"),
        ]
    return pieces


def _preview_line(previewer: Previewer, text: str, word: str = "") -> StyleAndTextTuples:
    shown = previewer.latest
    if not wanted(text):
        return [("class:toolbar.dim", " type to search; results preview here")]
    if shown is None:
        return [("class:toolbar.dim", " searching…")]
    stale = shown.text != text
    if shown.error is not None and word and shown.completions:
        return [("class:toolbar.dim", " keep typing: Tab completes the word")]
    if shown.error is not None:
        return [("class:toolbar.warning", f" {safe(shown.error)}")]
    assert shown.preview is not None
    count = shown.preview.total
    noun = "hit" if count == 1 else "hits"
    style = "class:toolbar.dim" if stale else "class:toolbar.count"
    pieces: StyleAndTextTuples = [(style, f" {count:,} {noun}")]
    for number, title in enumerate(shown.preview.titles, 1):
        pieces += [("class:toolbar.dim", f"  {number}. "), ("", safe(title or "(untitled)"))]
    return pieces


def _status_line(state: ShellState) -> StyleAndTextTuples:
    results = state.results
    paging = f"page {results.page}/{results.pagecount}" if results else "no results yet"
    where = f" {state.location.path} · {state.articles:,} articles"
    status = f"{where} · {paging} · {showing_line(state)}"
    line: StyleAndTextTuples = []
    marked = state.marked()
    if marked is not None:
        title = marked.title or "(untitled)"
        line += [("class:toolbar.count", f" → {marked.rank}. "), ("", safe(title))]
        line += [("class:toolbar.dim", "  Enter opens it · Alt-↑/↓ moves"), ("", "\n")]
    filters = filters_line(state)
    if filters:
        line += [("class:toolbar.filters", f" filters: {safe(filters)}"), ("", "\n")]
    return [*line, ("class:toolbar.status", safe(status))]


def _fit(pieces: StyleAndTextTuples, width: int) -> StyleAndTextTuples:
    """Cut a line of pieces to ``width`` columns, with an ellipsis."""
    out: StyleAndTextTuples = []
    room = max(width - 1, 10)
    for style, text, *_ in pieces:
        if len(text) >= room:
            out.append((style, text[: room - 1] + "…"))
            return out
        out.append((style, text))
        room -= len(text)
    return out
