"""What every command shares: where the index is, how to print, common options."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from archive.index.store import Store
    from archive.locations import IndexLocation
    from archive.search.reader import Reader


@dataclass
class Env:
    """What every command needs: where the index is, and how to print."""

    index_dir: Path | None
    config_file: Path | None = None
    traceback: bool = False
    readers: Any = None  # a resident server's open readers (archive.serving.Readers)

    @cached_property
    def location(self) -> IndexLocation:
        from archive.locations import resolve_index

        return resolve_index(self.index_dir)

    def open_store(self) -> Store:
        from archive.errors import IndexMissing
        from archive.index.store import Store

        try:
            return Store.open(self.location.path)
        except IndexMissing as err:
            hint = f"build one with '{self.command('index')}'"
            raise IndexMissing(err.message, hint=hint) from None

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        """The index in use, open for reading (a resident server's, if it has it open)."""
        if self.readers is not None:
            yield self.readers.reader(self.location.path, self.open_store)
            return
        from archive.search.reader import Reader

        with Reader(self.open_store(), owned=True) as reader:
            yield reader

    def command(self, *args: str) -> str:
        """An archive command line that uses the same index as this one."""
        import shlex

        chosen = ["--index-dir", str(self.index_dir)] if self.index_dir is not None else []
        return shlex.join(["archive", *chosen, *args])

    @staticmethod
    def console(stderr: bool = False) -> Console:
        from rich.console import Console

        from archive.present.render import theme

        return Console(stderr=stderr, highlight=False, emoji=False, theme=theme())

    def emit(self, renderable: Any) -> None:
        """Print for people; when piped, plain text: no line is wrapped (a path or a
        URL is never cut in two), and no line carries trailing padding."""
        console = self.console()
        if not console.is_terminal:
            from archive.present.render import plain_console

            console = plain_console(sys.stdout)
        console.print(renderable)
        console.file.flush()


pass_env = click.make_pass_decorator(Env)
format_option = click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json", "jsonl", "csv", "md"]),
    default="text",
    show_default=True,
    help="text for people; json (one object), jsonl (a hit per line), csv, or md "
    "(citation-ready Markdown).",
)


def request_options(func: Any) -> Any:
    """The filters every search-like command takes: --any, --exact, --since,
    --until, --source; they reach the command as keywords named as
    SearchRequest's fields, to pass on whole (``**filters``)."""
    for option in reversed(
        [
            click.option(
                "--any",
                "any_words",
                is_flag=True,
                help="Match any of the words, not all (articles with more of them rank higher).",
            ),
            click.option(
                "--exact",
                is_flag=True,
                help="Only the words as typed (case and accents aside): no spelling "
                "variants (Kiev/Kyiv), no other forms (kiev/Kieves, talks/talk).",
            ),
            click.option(
                "--since",
                metavar="DATE",
                help="Only articles from this day on (2025-11-01, -7 days).",
            ),
            click.option(
                "--until", metavar="DATE", help="Only articles up to the end of this day."
            ),
            click.option(
                "--source", metavar="NAME", help="Only articles from this source (reuters)."
            ),
        ]
    ):
        func = option(func)
    return func
