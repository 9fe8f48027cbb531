"""Colour the query line as the user types: operators, fields, phrases,
wildcards and fuzzy marks, and a warning colour for what does not balance.
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer

from archive.query import tokens as query_tokens
from archive.query.tokens import tokenize

COMMAND = "class:query.command"
OPERATOR = "class:query.operator"
FIELD = "class:query.field"
PHRASE = "class:query.phrase"
PATTERN = "class:query.pattern"  # wildcards, fuzzy marks, boosts
WARNING = "class:query.warning"


def tokens(line: str) -> StyleAndTextTuples:
    """The styled pieces of one query line (``""`` style for plain words)."""
    pieces: StyleAndTextTuples = []
    open_parens: list[int] = []
    for token in tokenize(line):
        if token.kind == query_tokens.PAREN:
            if token.text == "(":
                open_parens.append(len(pieces))
                pieces.append((OPERATOR, token.text))
            elif open_parens:
                open_parens.pop()
                pieces.append((OPERATOR, token.text))
            else:
                pieces.append((WARNING, token.text))  # a ")" with no "("
            continue
        pieces.append((_STYLES.get(token.kind, ""), token.text))
    for index in open_parens:  # a "(" never closed
        pieces[index] = (WARNING, pieces[index][1])
    return pieces


_STYLES = {
    query_tokens.COMMAND: COMMAND,
    query_tokens.OPEN_QUOTE: WARNING,
    query_tokens.PHRASE: PHRASE,
    query_tokens.FIELD: FIELD,
    query_tokens.RANGE: FIELD,
    query_tokens.OPERATOR: OPERATOR,
    query_tokens.PATTERN: PATTERN,
}


class QueryLexer(Lexer):
    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        lines = document.lines

        def line(number: int) -> StyleAndTextTuples:
            return tokens(lines[number]) if number < len(lines) else []

        return line
