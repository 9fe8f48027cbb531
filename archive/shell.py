"""The interactive search shell.

Each line is a query; lines starting with ':' are shell commands, registered
with ``@command`` so that ``:help`` is generated from the registry. Search
logic lives in the library; this module only reads lines and prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from rich.console import Console
from rich.text import Text

from archive import __version__, sources
from archive.errors import ArchiveError
from archive.locations import IndexLocation, history_file
from archive.model import Results
from archive.render import results_view, safe
from archive.search import search
from archive.store import Store

PROMPT = "search> "


@dataclass
class ShellState:
    store: Store
    location: IndexLocation
    console: Console
    pagelen: int = 10
    last: Results | None = None
    done: bool = False


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[ShellState, str], None]
    summary: str
    example: str
    aliases: tuple[str, ...] = field(default=())


COMMANDS: dict[str, Command] = {}


def command(name: str, summary: str, example: str, aliases: tuple[str, ...] = ()) -> Callable:
    """Register a shell command under ``:name`` (and its aliases)."""

    def register(func: Callable[[ShellState, str], None]) -> Callable[[ShellState, str], None]:
        entry = Command(name, func, summary, example, aliases)
        for key in (name, *aliases):
            COMMANDS[key] = entry
        return func

    return register


@command("help", "list the shell's commands", ":help", aliases=("h", "?"))
def _help(state: ShellState, arg: str) -> None:
    state.console.print(Text("Type words to search; Ctrl-C clears the line, Ctrl-D quits."))
    unique = {entry.name: entry for entry in COMMANDS.values()}
    width = max(len(name) for name in unique) + 1
    for entry in unique.values():
        line = Text(f"  :{entry.name:<{width}}", style="bold")
        line.append(f"{entry.summary}  ")
        line.append(f"e.g. {entry.example}", style="dim")
        state.console.print(line)


@command("quit", "leave the shell (or Ctrl-D)", ":quit", aliases=("q", "exit"))
def _quit(state: ShellState, arg: str) -> None:
    state.done = True


@command("stats", "the index in use and its size", ":stats")
def _stats(state: ShellState, arg: str) -> None:
    from archive.render import stats_view

    state.console.print(stats_view(state.store.stats(), state.location))


def dispatch(state: ShellState, line: str) -> None:
    """Run one line: a ':command' or a query. Errors become one line of text."""
    line = line.strip()
    if not line:
        return
    try:
        if line.startswith(":"):
            name, _, arg = line[1:].partition(" ")
            entry = COMMANDS.get(name.lower())
            if entry is None:
                _hint(state, f"unknown command :{name}; type :help for the list")
                return
            entry.run(state, arg.strip())
        else:
            state.last = search(state.store, line, pagelen=state.pagelen)
            state.console.print(results_view(state.last))
    except ArchiveError as err:
        _hint(state, str(err))


def _hint(state: ShellState, message: str) -> None:
    state.console.print(Text(safe(message), style="yellow"))


def build_session(
    history: Path | None = None, input: Input | None = None, output: Output | None = None
) -> PromptSession[str]:
    """The one place a PromptSession is made; input and output are injectable."""
    file_history = None
    if history is not None:
        history.parent.mkdir(parents=True, exist_ok=True)
        file_history = FileHistory(str(history))
    return PromptSession(history=file_history, input=input, output=output)


def banner(state: ShellState) -> Text:
    count = state.store.ix.doc_count()
    text = Text(f"news-archive {__version__}", style="bold")
    text.append(f" · {count:,} articles in {safe(str(state.location))}\n", style="dim")
    text.append("Type words to search, :help for commands, Ctrl-D to quit.", style="dim")
    return text


def open_or_seed(location: IndexLocation, console: Console) -> Store:
    """Open the index; if it is missing or empty, build it from the seed articles."""
    store = Store.open_or_create(location.path)
    if store.ix.doc_count() == 0:
        console.print(
            Text(
                f"No articles indexed yet: indexing the bundled seed articles into "
                f"{safe(str(location.path))}",
                style="dim",
            )
        )
        report = store.sync(sources.read_seeds())
        console.print(Text(f"{report.added} articles added.", style="dim"))
    return store


def loop(session: PromptSession[str], state: ShellState) -> int:
    """Read and run lines until :quit or Ctrl-D; Ctrl-C only clears the line."""
    while not state.done:
        try:
            line = session.prompt(PROMPT)
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        try:
            dispatch(state, line)
        except KeyboardInterrupt:
            state.console.print(Text("(interrupted)", style="dim"))
    state.console.print(Text("Goodbye.", style="dim"))
    return 0


def main(
    location: IndexLocation,
    input: Input | None = None,
    output: Output | None = None,
    console: Console | None = None,
) -> int:
    console = console or Console(highlight=False, emoji=False)
    store = open_or_seed(location, console)
    state = ShellState(store=store, location=location, console=console)
    console.print(banner(state))
    session = build_session(history_file(), input=input, output=output)
    return loop(session, state)
