"""Shell commands that narrow and keep results: date and source filters,
facets beside the hits, and saving the whole result set to a file."""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path

from rich.text import Text

from archive.escape import safe_line
from archive.model import Results
from archive.present.render import META, safe
from archive.search.coverage import FACETS
from archive.shell.commands import CommandError, ShellState, command


def _filter(state: ShellState, name: str, arg: str, said: str) -> None:
    """Set (or, with no argument, drop) a date or source filter, and re-run."""
    from archive.search.prepared import date_filter, source_filter

    value = arg or None
    changed = replace(state.request, **{name: value})  # type: ignore[arg-type]
    date_filter(changed.since, changed.until)  # a date it cannot read says so here
    source_filter(changed.source)
    state.change(f"{said} {value}" if value else f"no {name} filter", **{name: value})


@command("since", "only articles from this day on (no date: any day)", ":since -7days")
def _since(state: ShellState, arg: str) -> None:
    _filter(state, "since", arg, "articles from")


@command("until", "only articles up to the end of this day", ":until 2025-11-30")
def _until(state: ShellState, arg: str) -> None:
    _filter(state, "until", arg, "articles up to")


@command("source", "only articles from this source (no name: any)", ":source reuters")
def _source(state: ShellState, arg: str) -> None:
    _filter(state, "source", arg, "articles from the source")


@command(
    "facet",
    "count the hits by source, author, tags or date (again: stop)",
    ":facet source",
    arguments=FACETS,
)
def _facet(state: ShellState, arg: str) -> None:
    if arg not in FACETS:
        raise CommandError(f"facets are: {', '.join(FACETS)}")
    shown = state.facets
    state.facets = tuple(f for f in shown if f != arg) if arg in shown else (*shown, arg)
    said = f"counts by {arg}" if arg in state.facets else f"no counts by {arg}"
    if state.query is not None:
        state.run_query(state.query, state.request.page)
    else:
        state.hint(f"{said} beside the hits")


@command("filters", "the filters and options in use", ":filters")
def _filters(state: ShellState, arg: str) -> None:
    filters = filters_line(state)
    said = f"filters: {filters}" if filters else "no filters: every article"
    state.console.print(Text(safe(said) + "\n" + showing_line(state), style=META))


def filters_line(state: ShellState) -> str:
    """The filters and options set (any not at their default), in the words
    of their commands: the toolbar's line, and :filters'."""
    request = state.request
    parts = [
        f":since {request.since}" if request.since else "",
        f":until {request.until}" if request.until else "",
        f":source {request.source}" if request.source else "",
        *(f":facet {name}" for name in state.facets),
        ":any on" if request.any_words else "",
        ":exact on" if request.exact else "",
        ":all on" if request.all_copies else "",
    ]
    return " · ".join(part for part in parts if part)


def showing_line(state: ShellState) -> str:
    """How results are shown, whatever it is: the toolbar's words, and :filters'."""
    return f"sort: {state.request.sort} · {state.request.limit} per page"


@command("clear", "drop the date and source filters and the facets", ":clear")
def _clear(state: ShellState, arg: str) -> None:
    state.facets = ()
    state.change("no filters", since=None, until=None, source=None)


SAVERS = {".md": "md", ".markdown": "md", ".csv": "csv", ".json": "json", ".jsonl": "jsonl"}


@command(
    "save",
    "every result (all pages) to FILE: .md, .csv, .json or .jsonl",
    ":save oil.md",
    arguments=tuple(SAVERS),
)
def _save(state: ShellState, arg: str) -> None:
    save(state, arg, replacing=False)


@command("save!", "the same, replacing FILE if it exists", ":save! oil.csv")
def _save_over(state: ShellState, arg: str) -> None:
    save(state, arg, replacing=True)


def save(state: ShellState, arg: str, replacing: bool) -> None:
    from archive.present import formats

    if state.results is None:
        raise CommandError("no results to save: search for something first")
    if not arg:
        raise CommandError("name a file: :save results.md (.md, .csv, .json or .jsonl)")
    path = Path(arg).expanduser()
    kind = SAVERS.get(path.suffix.lower())
    if kind is None:
        raise CommandError(
            f"cannot tell a format from {arg!r}: end it in .md, .csv, .json or .jsonl"
        )
    target = _target(path, arg, replacing)
    whole = every_result(state)
    text = {
        "md": formats.results_markdown,
        "csv": formats.results_csv,
        "jsonl": formats.results_jsonl,
        "json": lambda found: formats.dumps(formats.results_json(found)),
    }[kind](whole)
    try:
        replace_file(target, text if text.endswith("\n") or not text else text + "\n")
    except OSError as err:
        raise CommandError(f"cannot write {arg}: {err.strerror or err}") from None
    said = f"{len(whole.hits):,} {'result' if len(whole.hits) == 1 else 'results'}"
    state.console.print(Text(f"saved {said} to {safe(str(path))}", style=META))


def _target(path: Path, arg: str, replacing: bool) -> Path:
    """The file a save writes: ``path``, or the file it links to. Never a
    file a link names but that is not there (the link may have been left to
    point somewhere unexpected)."""
    if path.is_symlink() or path.exists():
        if not replacing:
            raise CommandError(f"{arg} exists: :save! {arg} replaces it")
        if not path.exists():
            raise CommandError(
                f"{arg} is a link to {os.readlink(path)}, which does not exist: "
                "save to that file by its own name"
            )
    return Path(os.path.realpath(path))


def replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: into a new file beside it,
    then renamed over it (a file replaced keeps its permissions)."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    made = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # as umask says
    try:
        with open(made, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def every_result(state: ShellState) -> Results:
    """The whole current result set, every page as one."""
    assert state.results is not None
    if state.results.like is not None:
        return state.reader.similar(
            state.results.like.id,
            limit=max(state.results.total, 1),
            snippets=state.request.snippets,
        )
    assert state.prepared is not None
    return state.reader.search(state.prepared.shown(page=1, limit=max(state.results.total, 1)))


@command("watch", "watch the current search under NAME ('archive watch show NAME')", ":watch oil")
def _watch(state: ShellState, arg: str) -> None:
    from archive.follow.table import FollowTable, bad_name

    if state.query is None:
        raise CommandError("no query yet: search for something first")
    if not arg or " " in arg or bad_name(arg) is not None:
        raise CommandError("name the watch in one word: :watch oil-talks")
    table = FollowTable(state.reader.path)
    try:
        table.add_watch(arg, state.request)
    finally:
        table.close()
    state.console.print(
        Text(f"watching {arg}: 'archive watch show {arg}' lists what arrives", style=META)
    )


def watch_news(state: ShellState) -> str | None:
    """A line for the banner: how many watched searches have new matches."""
    from archive.follow.table import FOLLOW_FILE, FollowTable
    from archive.follow.watches import new_matches

    if not (state.reader.path / FOLLOW_FILE).exists():
        return None
    table = FollowTable(state.reader.path)
    try:
        fresh = [w.name for w in table.watches() if new_matches(state.reader, w)]
    finally:
        table.close()
    if not fresh:
        return None
    names = ", ".join(safe_line(name) for name in fresh[:5]) + ("…" if len(fresh) > 5 else "")
    have = "search has" if len(fresh) == 1 else "searches have"
    return f"{len(fresh)} watched {have} new matches: {names}"
