"""Build the prompt session and run the read-dispatch loop."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.application import Application, get_app, get_app_or_none
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory, Suggestion
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import ThreadedCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import FileHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import Output
from prompt_toolkit.search import SearchState
from prompt_toolkit.styles import Style
from rich.console import Console, RenderableType
from rich.text import Text

from archive import __version__, config
from archive.errors import ExitCode
from archive.index.indexer import index_seeds
from archive.index.store import Store
from archive.locations import IndexLocation, history_file
from archive.present.render import META, WARNING, plain_console, safe, theme
from archive.query.tokens import SHOWN_FIELDS, word_at
from archive.search.reader import Reader
from archive.shell.commands import ShellState, dispatch
from archive.shell.completer import ShellCompleter
from archive.shell.lexer import QueryLexer
from archive.shell.pager import Pager, page
from archive.shell.preview import Previewer
from archive.shell.toolbar import toolbar

PROMPT = "search> "
STYLE = Style.from_dict(
    {
        "prompt": "bold",
        "query.command": "bold ansicyan",
        "query.operator": "bold ansimagenta",
        "query.field": "ansiblue",
        "query.phrase": "ansigreen",
        "query.pattern": "ansiyellow",
        "query.warning": "bg:ansired ansiwhite",
        "bottom-toolbar": "noreverse bg:#262626 #d0d0d0",
        "toolbar.count": "bold",
        "toolbar.dim": "#8a8a8a",
        "toolbar.warning": "ansiyellow",
        "toolbar.status": "#8a8a8a",
        "toolbar.filters": "ansicyan",
    }
)


class History(FileHistory):
    """File history that keeps a line once when it is entered twice in a row."""

    def append_string(self, string: str) -> None:
        strings = self.get_strings()
        if strings and strings[-1] == string:
            return
        super().append_string(string)


def build_session(
    state: ShellState,
    history: Path | None = None,
    input: Input | None = None,
    output: Output | None = None,
    previewer: Previewer | None = None,
) -> PromptSession[str]:
    """The one place a PromptSession is made; input and output are injectable."""
    file_history = None
    if history is not None:
        history.parent.mkdir(parents=True, exist_ok=True)
        file_history = History(str(history))
    reader = state.reader
    session: PromptSession[str] = PromptSession(
        history=file_history,
        input=input,
        output=output,
        lexer=QueryLexer(),
        completer=ThreadedCompleter(
            ShellCompleter(_words_of(reader), SHOWN_FIELDS, _sources_of(reader))
        ),
        # As-you-type completion only for :commands. On a query line it would
        # race Tab: prompt_toolkit drops a Tab lookup while another one runs.
        complete_while_typing=Condition(_typing_command),
        auto_suggest=AutoSuggestFromHistory(),
        enable_history_search=False,
        vi_mode=state.settings.key_bindings == "vi",
        style=STYLE,
        bottom_toolbar=lambda: _toolbar(state, previewer, session.default_buffer),
        key_bindings=_marker_keys(state),
    )
    if previewer is not None:
        session.default_buffer.on_text_changed += lambda buffer: previewer.submit(
            buffer.text, _typing(buffer.document)
        )
    return session


def _words_of(reader: Reader) -> Callable[[str], list[str]]:
    """The index's words that start so, most frequent first (for Tab)."""
    return lambda prefix: [word for word, _ in reader.completions(prefix)]


def _sources_of(reader: Reader) -> Callable[[], list[str]]:
    """The sources the index holds, most articles first (for :source)."""
    return lambda: [outlet.name for outlet in reader.sources()[0]]


def _marker_keys(state: ShellState) -> KeyBindings:
    """On an empty line, Alt-Down and Alt-Up walk a marker through the page's
    hits (the toolbar shows it) and Enter opens the marked one."""
    keys = KeyBindings()
    empty = Condition(lambda: not get_app().current_buffer.text)
    walking = empty & Condition(lambda: state.results is not None and bool(state.results.hits))
    marked = empty & Condition(lambda: state.marked() is not None)

    @keys.add("escape", "down", filter=walking)
    def _down(event: KeyPressEvent) -> None:
        state.move_marker(+1)

    @keys.add("escape", "up", filter=walking)
    def _up(event: KeyPressEvent) -> None:
        state.move_marker(-1)

    @keys.add("enter", filter=marked)
    def _open(event: KeyPressEvent) -> None:
        event.current_buffer.text = f":open {state.marker}"
        event.current_buffer.validate_and_handle()

    return keys


def _typing(document: Document) -> str:
    return word_at(document.text_before_cursor)


def _typing_command() -> bool:
    app = get_app_or_none()
    return app is not None and app.current_buffer.text.lstrip().startswith(":")


def _toolbar(state: ShellState, previewer: Previewer | None, buffer: Buffer) -> StyleAndTextTuples:
    """The toolbar for the query line as it stands: while Ctrl-R searches
    history, that is the line found, not the words typed into the search."""
    app = get_app_or_none()
    width = app.output.get_size().columns if app else 100
    line, word = buffer.text, _typing(buffer.document)
    target = app.layout.search_target_buffer_control if app is not None else None
    if target is not None and target.search_buffer_control is not None:
        # As prompt_toolkit draws the line while searching (BufferControl.create_content).
        typed, searching = target.search_buffer_control.buffer.text, target.search_state
        found = SearchState(typed, direction=searching.direction, ignore_case=searching.ignore_case)
        line, word = target.buffer.document_for_search(found).text, ""
    if previewer is not None:
        previewer.submit(line, word, again=False)  # history search changes the line quietly
    return toolbar(state, previewer, line, width, word)


def banner(state: ShellState) -> Text:
    from archive.shell.keeping import watch_news

    text = Text(f"news-archive {__version__}", style="bold")
    text.append(f" · {state.articles:,} articles in {safe(str(state.location))}\n", style=META)
    news = watch_news(state)
    if news:
        text.append(safe(news) + " (archive watch show NAME)\n", style=WARNING)
    text.append("Type words to search, :help for commands, Ctrl-D to quit.", style=META)
    return text


def open_or_seed(location: IndexLocation, console: Console) -> Store:
    """Open the index; if it is missing or empty, build it from the seed articles."""
    store = Store.open_or_create(location.path)
    if store.ix.doc_count() == 0:
        console.print(
            Text(
                "No articles indexed yet: indexing the bundled seed articles into "
                f"{safe(str(location.path))}",
                style=META,
            )
        )
        report = index_seeds(store)
        console.print(Text(f"{report.added} articles added.", style=META))
    return store


def loop(session: PromptSession[str], state: ShellState) -> int:
    """Read and run lines until :quit or Ctrl-D; Ctrl-C only clears the line."""
    while not state.done:
        try:
            line = session.prompt(
                [("class:prompt", PROMPT)], pre_run=lambda: _offer_suggestion(session, state)
            )
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        try:
            dispatch(state, line)
        except KeyboardInterrupt:
            state.console.print(Text("(interrupted)", style=META))
    state.console.print(Text("Goodbye.", style=META))
    return ExitCode.OK


def _start(
    location: IndexLocation,
    config_file: Path | None,
    console: Console,
    errors: Console,
    pager: Pager,
    traceback: bool,
) -> ShellState:
    """The settings read (their warnings said), the index opened (or seeded)."""
    settings, warnings = config.load(config.config_path(config_file))
    for each in {id(console): console, id(errors): errors}.values():
        each.push_theme(theme(settings.theme))
    for warning in warnings:
        errors.print(Text(safe(warning), style=WARNING))
    store = open_or_seed(location, errors)
    return ShellState(
        reader=Reader(store, owned=True),
        location=location,
        console=console,
        settings=settings,
        pager=pager,
        traceback=traceback,
        errors=errors if errors is not console else None,
    )


def _offer_suggestion(session: PromptSession[str], state: ShellState) -> None:
    """Show the last search's spelling suggestion, grey, on the new prompt: → takes it."""
    results = state.results
    if results is not None and results.suggestion is not None:
        session.default_buffer.suggestion = Suggestion(results.suggestion[0])


def main(
    location: IndexLocation,
    config_file: Path | None = None,
    input: Input | None = None,
    output: Output | None = None,
    console: Console | None = None,
    pager: Pager = page,
    traceback: bool = False,
) -> int:
    console = console or Console(highlight=False, emoji=False)
    state = _start(location, config_file, console, console, pager, traceback)
    console.print(banner(state))
    previewer = (
        Previewer(state.reader, request=lambda: state.request) if state.settings.preview else None
    )
    session = build_session(state, history_file(), input=input, output=output, previewer=previewer)
    if previewer is not None:
        previewer.redraw = redraw_from_worker(session.app)
    try:
        return loop(session, state)
    finally:
        if previewer is not None:
            previewer.close()
        state.reader.close()


def redraw_from_worker(app: Application[str]) -> Callable[[], None]:
    """What the preview thread calls when a result is ready: the prompt is
    asked to redraw from its own event loop's thread. (Its ``invalidate``
    called from another thread failed, in that thread, when the prompt
    ended between its look at the loop and its use of it.)"""

    def redraw() -> None:
        loop = app.loop  # read once: the prompt may end meanwhile
        if loop is None:
            return  # between prompts: the next one draws itself
        with contextlib.suppress(RuntimeError):  # the prompt's loop closed meanwhile
            loop.call_soon_threadsafe(app.invalidate)

    return redraw


def run_lines(
    location: IndexLocation,
    lines: Iterable[str],
    config_file: Path | None = None,
    console: Console | None = None,
    errors: Console | None = None,
    traceback: bool = False,
) -> int:
    """The shell without a terminal, as ``psql < file`` runs: one query or
    command per line, only the results on standard output (notices and errors
    on standard error), no prompt. Exit status 2 if any line failed, else 0."""
    if console is None:
        console = Console(highlight=False, emoji=False)
        if not console.is_terminal:
            console = plain_console(sys.stdout)
    if errors is None:
        errors = Console(stderr=True, highlight=False, emoji=False)
        if not errors.is_terminal:  # a log file: one line per message, never wrapped
            errors = plain_console(sys.stderr)

    def no_pager(console: Console, renderable: RenderableType, pattern: str | None = None) -> None:
        console.print(renderable)  # no terminal

    state = _start(location, config_file, console, errors, no_pager, traceback)
    try:
        for number, line in enumerate(lines, start=1):
            state.line = number
            dispatch(state, line.rstrip("\n"))
            if state.done:
                break
    finally:
        state.reader.close()
        console.file.flush()
    return ExitCode.ERROR if state.failures else ExitCode.OK
