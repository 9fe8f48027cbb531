"""Tab completion: shell commands, field names and words from the index.

While typing, only ``:commands`` complete (a menu on every keystroke would
get in the way of the live preview); Tab also offers field names and the
index's own words, most frequent first, so nothing is offered that the
index does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from archive.shell.commands import unique_commands
from archive.shell.lexer import OPERATORS

# The word being typed: what follows the last space, bracket, quote or operator mark.
_CURRENT = re.compile(r"""[^\s()"'+\-]*$""")


class ShellCompleter(Completer):
    def __init__(self, words: Callable[[str], list[str]], fields: Iterable[str]) -> None:
        self.words = words  # prefix -> words in the index, most frequent first
        self.fields = tuple(fields)

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        if text.lstrip().startswith(":"):
            yield from self._command(text.lstrip())
        elif event.completion_requested:
            yield from self._query(text)

    def _command(self, text: str) -> Iterable[Completion]:
        name, space, arg = text[1:].partition(" ")
        commands = unique_commands()
        if not space:
            for entry in commands:
                if entry.name.startswith(name.lower()):
                    yield Completion(
                        entry.name, -len(name), display=f":{entry.name}", display_meta=entry.summary
                    )
            return
        for entry in commands:
            if name.lower() in (entry.name, *entry.aliases):
                for word in entry.arguments:
                    if word.startswith(arg):
                        yield Completion(word, -len(arg))

    def _query(self, text: str) -> Iterable[Completion]:
        current = _CURRENT.search(text)
        token = current.group() if current else ""
        _field, colon, prefix = token.rpartition(":")
        if not colon:
            prefix = token
            for name in self.fields:
                if prefix and name.startswith(prefix.lower()):
                    yield Completion(f"{name}:", -len(prefix), display_meta="field")
        if not prefix or prefix in OPERATORS:
            return
        for word in self.words(prefix):
            yield Completion(word, -len(prefix), display_meta="word")
