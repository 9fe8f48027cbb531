"""Shell commands that take an article out of the archive: ``:browse`` opens
its address in a web browser, ``:cite`` cites it."""

from __future__ import annotations

import webbrowser

from rich.text import Text

from archive.escape import safe_line
from archive.present.cite import STYLES, citation, style_name
from archive.shell.commands import CommandError, ShellState, command, one_article


@command(
    "browse",
    "open result N's address (or an ID's) in the web browser ($BROWSER)",
    ":browse 1",
)
def _browse(state: ShellState, arg: str) -> None:
    if not arg:
        raise CommandError("name a result: :browse 1")
    article, whom = one_article(state, arg)
    url = state.reader.get(article).url
    if not url:
        raise CommandError(f"{whom} has no address to open: it was read from a file")
    if not url.lower().startswith(("http://", "https://")):
        raise CommandError(f"{whom}'s address is not a web address: {safe_line(url)}")
    if not webbrowser.open(url):
        raise CommandError(f"no web browser could be started for {url}: set $BROWSER")
    state.hint(f"opened {safe_line(url)}")


@command(
    "cite",
    "cite result N (or an ID): apa (default), mla, chicago or bibtex",
    ":cite 2 mla",
    arguments=STYLES,
)
def _cite(state: ShellState, arg: str) -> None:
    which, _, style = arg.partition(" ")
    if not which:
        raise CommandError(f"name a result: :cite 1 (or :cite 1 {'|'.join(STYLES)})")
    chosen = style_name(style or "apa")
    article, _ = one_article(state, which)
    state.console.print(Text(citation(state.reader.get(article), chosen)), soft_wrap=True)
