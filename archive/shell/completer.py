"""Tab completion: shell commands, field names and words from the index.

While typing, only ``:commands`` complete (a menu on every keystroke would
get in the way of the live preview); Tab also offers field names and the
index's own words, most frequent first, so nothing is offered that the
index does not hold. ``:source`` completes from the sources the index
holds, most articles first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from archive.query.tokens import FIELD, WORD, tokenize
from archive.shell.commands import unique_commands


class ShellCompleter(Completer):
    def __init__(
        self,
        words: Callable[[str], list[str]],
        fields: Iterable[str],
        sources: Callable[[], list[str]] = list,
    ) -> None:
        self.words = words  # prefix -> words in the index, most frequent first
        self.fields = tuple(fields)
        self.sources = sources  # the sources the index holds, most articles first

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
        if name.lower() == "source":  # a name of several words is one argument
            folded = arg.casefold()
            for source in self.sources():
                if source.casefold().startswith(folded):
                    yield Completion(source, -len(arg))
            return
        last = arg.rsplit(" ", 1)[-1]  # an argument after a result number (:cite 2 mla)
        for entry in commands:
            if name.lower() in (entry.name, *entry.aliases):
                for word in entry.arguments:
                    if word.startswith(last):
                        yield Completion(word, -len(last))

    def _query(self, text: str) -> Iterable[Completion]:
        pieces = tokenize(text)
        last = pieces[-1] if pieces else None
        if last is None or last.kind != WORD or last.end != len(text):
            return  # a space, an operator, a phrase or a pattern: nothing to complete
        prefix = last.text
        if last.field is None and not (len(pieces) > 1 and pieces[-2].kind == FIELD):
            for name in self.fields:
                if name.startswith(prefix.lower()):
                    yield Completion(f"{name}:", -len(prefix), display_meta="field")
        for word in self.words(prefix):
            yield Completion(word, -len(prefix), display_meta="word")
