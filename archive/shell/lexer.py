"""Colour the query line as the user types: operators, fields, phrases,
wildcards and fuzzy marks, and a warning colour for what does not balance.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer

_TOKENS = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<phrase>"[^"]*"(?:~\d+)?)
    | (?P<open_quote>"[^"]*$)
    | (?P<field>[A-Za-z_]\w*:)
    | (?P<paren>[()])
    | (?P<range>[\[\]{}])
    | (?P<word>[^\s()"\[\]{}]+)
    """,
    re.VERBOSE,
)
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})

COMMAND = "class:query.command"
OPERATOR = "class:query.operator"
FIELD = "class:query.field"
PHRASE = "class:query.phrase"
PATTERN = "class:query.pattern"  # wildcards, fuzzy marks, boosts
WARNING = "class:query.warning"


def tokens(line: str) -> StyleAndTextTuples:
    """The styled pieces of one query line (``""`` style for plain words)."""
    if line.lstrip().startswith(":"):
        name, space, rest = line.partition(" ")
        return [(COMMAND, name), ("", space + rest)]
    pieces: StyleAndTextTuples = []
    open_parens: list[int] = []
    for match in _TOKENS.finditer(line):
        kind, text = match.lastgroup, match.group()
        if kind == "paren":
            if text == "(":
                open_parens.append(len(pieces))
                pieces.append((OPERATOR, text))
            elif open_parens:
                open_parens.pop()
                pieces.append((OPERATOR, text))
            else:
                pieces.append((WARNING, text))  # a ")" with no "("
            continue
        pieces.append((_style(kind, text), text))
    for index in open_parens:  # a "(" never closed
        pieces[index] = (WARNING, pieces[index][1])
    return pieces


def _style(kind: str | None, text: str) -> str:
    if kind == "open_quote":
        return WARNING
    if kind == "phrase":
        return PHRASE
    if kind in ("field", "range"):
        return FIELD
    if kind == "word":
        if text in OPERATORS:
            return OPERATOR
        if any(mark in text for mark in "*?~^"):
            return PATTERN
    return ""


class QueryLexer(Lexer):
    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        lines = document.lines

        def line(number: int) -> StyleAndTextTuples:
            return tokens(lines[number]) if number < len(lines) else []

        return line
