"""The shell's state and its ``:commands``, registered with ``@command``.

``:help`` is generated from the registry. Commands call the same library
functions as the one-shot command line; none of them searches by itself.
The current search is one ``SearchRequest``: commands change it with
``dataclasses.replace``, so every filter reaches every search.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from rich.console import Console, Group, RenderableType
from rich.text import Text

from archive.config import PAGE_SIZES, Settings
from archive.errors import ArchiveError
from archive.index.desk import read_shown
from archive.index.store import MIN_ID_PREFIX
from archive.locations import IndexLocation
from archive.model import SORTS, Hit, Results, SearchRequest
from archive.present.render import (
    WARNING,
    article_view,
    facets_view,
    results_header,
    results_view,
    safe,
    stats_view,
)
from archive.search.prepared import Prepared
from archive.search.reader import Reader
from archive.shell.pager import Pager, page, pattern_for

# Whole lines that run a command without its colon, as in psql and pgcli.
BARE_COMMANDS = {"quit": "quit", "exit": "quit", "help": "help"}


class CommandError(ArchiveError):
    """A shell command was given what it cannot use; the message is the hint."""


@dataclass
class ShellState:
    """Everything a command may read or change."""

    reader: Reader
    location: IndexLocation
    console: Console
    settings: Settings
    pager: Pager = page
    traceback: bool = False  # show the traceback of an unexpected error
    # The current search: its query is "" until the first one.
    request: SearchRequest = field(default_factory=lambda: SearchRequest(""))
    results: Results | None = None
    done: bool = False
    errors: Console | None = None  # where hints and errors go (default: the console)
    failures: int = 0  # lines that ended in an error
    prepared: Prepared | None = None  # the current search, ready to run again
    articles: int = 0  # articles in the index when it was last searched
    facets: tuple[str, ...] = ()  # counted beside each page of hits
    marker: int | None = None  # the result marked from the keyboard (its rank)
    line: int | None = None  # the line of a file being run (named in its errors)

    def __post_init__(self) -> None:
        self.request = replace(
            self.request, limit=self.settings.page_size, snippets=self.settings.snippets
        )
        self.articles = self.reader.articles

    @property
    def query(self) -> str | None:
        """The text the current results were found with, if any."""
        return self.request.query or None

    def run_query(self, text: str, page_number: int = 1) -> None:
        """Search and print a page of results; they become the current results."""
        request = replace(self.request, query=text, page=page_number)
        prepared = self.reader.prepare(request)
        self.results = self.reader.search(prepared)
        self.request, self.prepared = request, prepared
        self.articles = self.reader.articles
        self.show_results()
        if self.results.suggestion is not None and self.console.is_terminal:
            self.hint("press → (or Ctrl-F) on the next line to search for the suggestion")

    def show_results(self) -> None:
        """The current page of results (and its facets), through the pager if long."""
        assert self.results is not None
        self.marker = None
        shown: list[RenderableType] = [results_view(self.results)]
        if self.facets and self.results.like is None and self.prepared is not None:
            found = self.reader.facets(self.prepared, list(self.facets))
            shown += [Text(), facets_view(found)]
        self.show(Group(*shown), header=results_header(self.results))

    def show(self, renderable: RenderableType, header: RenderableType | None = None) -> None:
        """Print inline; through the pager when taller than the terminal (the
        ``pager`` setting), and then the header again, to say what is current."""
        console = self.console
        if not (self.settings.pager and console.is_terminal):
            console.print(renderable)
            return
        with console.capture() as captured:  # rendered once, to measure and to print
            console.print(renderable)
        if captured.get().count("\n") > console.height:
            self.pager(console, renderable)
            if header is not None:
                console.print(header)
        else:
            console.file.write(captured.get())
            console.file.flush()

    def marked(self) -> Hit | None:
        """The hit the keyboard marker is on, if any."""
        if self.marker is None or self.results is None:
            return None
        return next((hit for hit in self.results.hits if hit.rank == self.marker), None)

    def move_marker(self, step: int) -> None:
        """Move the marker to the next (+1) or previous (-1) hit of the page."""
        hits = self.results.hits if self.results is not None else ()
        if not hits:
            return
        ranks = [hit.rank for hit in hits]
        if self.marker not in ranks:
            self.marker = ranks[0] if step > 0 else ranks[-1]
        else:
            at = ranks.index(self.marker) + step
            self.marker = ranks[max(0, min(at, len(ranks) - 1))]

    def page_of_results(self, number: int, snippets: int | None = None) -> Results:
        """Page ``number`` of the current results (a search's or more-like-this')."""
        assert self.results is not None
        snippets = self.request.snippets if snippets is None else snippets
        if self.results.like is not None:
            return self.reader.similar(
                self.results.like.id, limit=self.request.limit, page=number, snippets=snippets
            )
        assert self.prepared is not None
        return self.reader.search(self.prepared.shown(page=number, snippets=snippets))

    def change(self, message: str, **changes: object) -> None:
        """Change the search's options and re-run it (or say what will happen)."""
        self.request = replace(self.request, **changes)  # type: ignore[arg-type]
        if self.query is not None:
            self.run_query(self.query)
        else:
            self.hint(message)

    def hit(self, arg: str) -> Hit:
        """The hit numbered ``arg`` in the current results (any page of them)."""
        if self.results is None:
            raise CommandError("no results yet: search for something first")
        number = _number(arg, "a result number")
        if not self.results.total:
            raise CommandError("there are no results: search for something else first")
        if not 1 <= number <= self.results.total:
            raise CommandError(f"there is no result {number}; results run 1-{self.results.total}")
        for hit in self.results.hits:
            if hit.rank == number:
                return hit
        found = self.page_of_results((number - 1) // self.request.limit + 1, snippets=0)
        for hit in found.hits:
            if hit.rank == number:
                return hit
        raise CommandError(f"result {number} is gone: the index changed; search again")

    def hint(self, message: str) -> None:
        (self.errors or self.console).print(Text(safe(message), style=WARNING))

    def error(self, message: str) -> None:
        """A line failed: say why (and, in a file of lines, which line)."""
        self.failures += 1
        self.hint(message if self.line is None else f"line {self.line}: {message}")

    def fail(self, err: Exception) -> None:
        """An unexpected error: one line, the traceback only when asked for."""
        if self.traceback:
            (self.errors or self.console).print_exception()
        message = f"error: {type(err).__name__}: {err}"
        if not self.traceback:
            message += " (start the shell with 'archive --traceback' for details)"
        self.error(message)


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[ShellState, str], None]
    summary: str
    example: str
    aliases: tuple[str, ...] = ()
    arguments: tuple[str, ...] = ()  # words Tab offers after the command


COMMANDS: dict[str, Command] = {}


def command(
    name: str,
    summary: str,
    example: str,
    aliases: tuple[str, ...] = (),
    arguments: tuple[str, ...] = (),
) -> Callable[[Callable[[ShellState, str], None]], Callable[[ShellState, str], None]]:
    """Register a shell command as ``:name`` (and its aliases)."""

    def register(func: Callable[[ShellState, str], None]) -> Callable[[ShellState, str], None]:
        entry = Command(name, func, summary, example, aliases, arguments)
        for key in (name, *aliases):
            COMMANDS[key] = entry
        return func

    return register


def unique_commands() -> list[Command]:
    return list({entry.name: entry for entry in COMMANDS.values()}.values())


def dispatch(state: ShellState, line: str) -> None:
    """Run one line: a ``:command`` or a query.

    Nothing a line does closes the shell: the archive's errors become a
    one-line hint, and so does anything unexpected (Ctrl-C is the loop's).
    """
    line = line.strip()
    if not line:
        return
    try:
        if line.startswith(":") or line.lower() in BARE_COMMANDS:
            name, _, arg = line.removeprefix(":").partition(" ")
            name = BARE_COMMANDS.get(line.lower(), name)
            entry = COMMANDS.get(name.lower())
            if entry is None:
                raise CommandError(_unknown(name))
            entry.run(state, arg.strip())
        else:
            state.run_query(line)
    except ArchiveError as err:
        state.error(str(err))
    except KeyboardInterrupt:
        raise
    except Exception as err:
        state.fail(err)


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), list(COMMANDS), n=1)
    guess = f"; did you mean :{COMMANDS[close[0]].name}?" if close else ""
    return f"unknown command :{name}{guess} (:help lists them)"


def _number(arg: str, what: str, low: int = 1, high: int | None = None) -> int:
    try:
        value = int(arg)
    except ValueError:
        raise CommandError(f"expected {what}, got {arg!r}") from None
    if value < low or (high is not None and value > high):
        bounds = f"{low}-{high}" if high is not None else f"at least {low}"
        raise CommandError(f"expected {what} ({bounds}), got {value}")
    return value


@command(
    "open", "read result N (or an article ID) in full, every match highlighted", ":open 1", ("o",)
)
def _open(state: ShellState, arg: str) -> None:
    article_id = arg if _is_article_id(arg) else state.hit(arg).id
    prepared = state.prepared if state.query is not None else None
    if state.results is not None and state.results.like is not None:
        terms = " OR ".join(state.results.key_terms)
        prepared = state.reader.prepare(SearchRequest(terms)) if terms else None
    shown = read_shown(state.reader.path, state.reader.show(article_id, prepared))
    article = shown.article
    words = [article.title[a:b] for a, b in shown.title_matches]
    words += [article.body[a:b] for a, b in shown.body_matches]
    state.pager(state.console, article_view(shown), pattern=pattern_for(words))


def one_article(state: ShellState, arg: str) -> tuple[str, str]:
    """The ID of result ``arg`` (or of the article ``arg`` names by its ID),
    and how to name it."""
    if _is_article_id(arg):
        article = state.reader.get(arg).id
        return article, article
    return state.hit(arg).id, f"result {_number(arg, 'a result number')}"


def _is_article_id(arg: str) -> bool:
    """An article ID or its first few characters, not a result number."""
    return (
        len(arg) >= MIN_ID_PREFIX
        and not arg.isdigit()
        and all(c in "0123456789abcdef" for c in arg.lower())
    )


@command("more", "articles like result N: they become the current results", ":more 2", ("like",))
def _more(state: ShellState, arg: str) -> None:
    hit = state.hit(arg)
    state.results = state.reader.similar(
        hit.id, limit=state.request.limit, snippets=state.request.snippets
    )
    state.show_results()


def _turn(state: ShellState, step: int) -> None:
    results = state.results
    if results is None:
        raise CommandError("no pages to turn: search for something first")
    target = results.page + step
    if not 1 <= target <= results.pagecount:
        where = "last" if step > 0 else "first"
        raise CommandError(f"this is the {where} page ({results.page} of {results.pagecount})")
    if results.like is None:
        state.run_query(results.query, target)
    else:
        state.results = state.page_of_results(target)
        state.show_results()


@command("next", "the next page of results", ":next", ("n",))
def _next(state: ShellState, arg: str) -> None:
    _turn(state, +1)


@command("prev", "the previous page of results", ":prev", ("p",))
def _prev(state: ShellState, arg: str) -> None:
    _turn(state, -1)


@command("sort", "order results: relevance, newest or oldest", ":sort newest", arguments=SORTS)
def _sort(state: ShellState, arg: str) -> None:
    if arg not in SORTS:
        raise CommandError(f"sort by one of: {', '.join(SORTS)} (now {state.request.sort})")
    state.change(f"results will be sorted by {arg}", sort=arg)


@command("limit", "results per page", ":limit 20")
def _limit(state: ShellState, arg: str) -> None:
    limit = _number(arg, "a number of results per page", PAGE_SIZES.start, PAGE_SIZES.stop - 1)
    state.change(f"{limit} results per page", limit=limit)


def _toggle(state: ShellState, arg: str, name: str, on: str, off: str) -> None:
    """Set a boolean option from on/off (or flip it), say so, and re-run the query."""
    current = getattr(state.request, name)
    choice = arg or ("off" if current else "on")
    if choice not in ("on", "off"):
        raise CommandError(f"expected on or off, got {arg!r}")
    state.change(on if choice == "on" else off, **{name: choice == "on"})


@command(
    "any", "match any of the words (on) or all of them (off)", ":any on", arguments=("on", "off")
)
def _any(state: ShellState, arg: str) -> None:
    _toggle(state, arg, "any_words", "any of the words will match", "all words must match")


@command(
    "exact",
    "only the words as typed (on), or variants and other forms too (off)",
    ":exact on",
    arguments=("on", "off"),
)
def _exact(state: ShellState, arg: str) -> None:
    _toggle(state, arg, "exact", "only the words as typed", "spelling variants and other forms too")


@command(
    "all",
    "show every copy of a story (on), or one hit per story (off)",
    ":all on",
    arguments=("on", "off"),
)
def _all(state: ShellState, arg: str) -> None:
    _toggle(state, arg, "all_copies", "every copy will be shown", "one hit per story")


@command(
    "timeline",
    "coverage of the current query per day, week or month",
    ":timeline week",
    arguments=("day", "week", "month"),
)
def _timeline(state: ShellState, arg: str) -> None:
    from archive.present.render import timeline_view

    if state.query is None or state.prepared is None:
        raise CommandError("no query yet: search for something first")
    found = state.reader.timeline(state.prepared, by=arg or "month")
    state.console.print(timeline_view(found))


@command("stats", "the index in use and its size", ":stats")
def _stats(state: ShellState, arg: str) -> None:
    state.console.print(stats_view(state.reader.store.stats(), state.location))


@command("help", "this list", ":help", ("h", "?"))
def _help(state: ShellState, arg: str) -> None:
    state.console.print(
        Text(
            "Type words to search (Tab completes words and fields). Ctrl-C clears the line, "
            "Ctrl-R searches history, Ctrl-D quits. On an empty line Alt-Down and Alt-Up "
            "walk the hits and Enter opens the marked one. Pages taller than the terminal "
            "open in the pager. help and quit work without the colon; "
            'to search for such a word alone, quote it: "help".'
        )
    )
    entries = unique_commands()
    width = max(len(entry.name) for entry in entries) + 1
    for entry in entries:
        line = Text(f"  :{entry.name:<{width}}", style="bold")
        line.append(f"{entry.summary}  ")
        line.append(f"e.g. {entry.example}", style="archive.meta")
        state.console.print(line)


@command("quit", "leave the shell (or Ctrl-D)", ":quit", ("q", "exit"))
def _quit(state: ShellState, arg: str) -> None:
    state.done = True
