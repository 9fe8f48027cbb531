"""Shell commands that keep things with articles: ``:tag`` and ``:mark``, on
the hits named by number, else the hit marked from the keyboard, else every
result of the current search; ``:note`` on one hit."""

from __future__ import annotations

from archive.escape import safe_line
from archive.index.desk import Desk, kept_with, note_text
from archive.search.kept import tag_changes
from archive.shell.commands import CommandError, ShellState, _number, command, one_article

STATES = {
    "read": ("read", True),
    "unread": ("read", False),
    "flagged": ("flagged", True),
    "unflagged": ("flagged", False),
}


def _meant(state: ShellState, numbers: list[str]) -> tuple[list[str], str]:
    """The IDs of the articles meant, and how to name them."""
    if numbers:
        ranks = [_number(n, "a result number") for n in numbers]
        return [state.hit(str(rank)).id for rank in ranks], "result " + ", ".join(numbers)
    marked = state.marked()
    if marked is not None:
        return [marked.id], f"result {marked.rank}"
    if state.results is None:
        raise CommandError("no results yet: search for something first")
    if state.results.like is not None or state.prepared is None:
        return [hit.id for hit in state.results.hits], "the results shown"
    ranked = state.reader.ranked(state.prepared)
    return [str(fields["id"]) for fields, _ in ranked], "every result"


def _said(state: ShellState, what: str, ids: list[str], whom: str, changed: int) -> None:
    noun = "article" if len(ids) == 1 else "articles"
    state.hint(f"{what} on {whom}: {len(ids):,} {noun}, {changed:,} changed")


@command(
    "tag",
    "add (+name) and remove (-name) tags on results N..., the marked hit, or every result",
    ":tag +story-x -draft 3",
)
def _tag(state: ShellState, arg: str) -> None:
    add, remove, numbers = tag_changes(arg.split())
    ids, whom = _meant(state, numbers)
    with Desk(state.reader.path) as desk:
        changed = desk.retag(ids, add, remove)
    what = " ".join([*(f"+{t}" for t in add), *(f"-{t}" for t in remove)])
    _said(state, what, ids, whom, changed)


@command(
    "mark",
    "mark results N..., the marked hit, or every result read, unread, flagged or unflagged",
    ":mark flagged 2",
    arguments=tuple(STATES),
)
def _mark(state: ShellState, arg: str) -> None:
    name, _, rest = arg.partition(" ")
    if name not in STATES:
        raise CommandError(f"marks are: {', '.join(STATES)}")
    ids, whom = _meant(state, rest.split())
    mark, on = STATES[name]
    with Desk(state.reader.path) as desk:
        changed = desk.mark(ids, mark, on)
    _said(state, name, ids, whom, changed)


@command(
    "note",
    "a note on result N or an ID (no text: show it; --clear: drop it)",
    ":note 2 call back",
)
def _note(state: ShellState, arg: str) -> None:
    which, _, text = arg.partition(" ")
    if not which:
        raise CommandError("name a result: :note 2 TEXT (:note 2 --clear removes the note)")
    article, whom = one_article(state, which)
    text = text.strip()
    if not text:
        note = kept_with(state.reader.path, article)[2]
        state.hint(f"{whom}: {safe_line(note)}" if note else f"{whom} has no note")
        return
    with Desk(state.reader.path) as desk:
        if text == "--clear":
            said = "note removed" if desk.note(article, None) else "had no note"
        else:
            desk.note(article, note_text(text))
            said = f"note: {safe_line(note_text(text))}"
    state.hint(f"{whom}: {said}")
