"""The one reader of the query language's surface: what each piece of a line is.

The parser's field checks, the shell's colours and completion, spelling
suggestions and spelling variants all read a query line through
``tokenize``, so they cannot disagree about what is a field, an operator, a
phrase or a word. (The parser proper is Whoosh's, with the plugins in
archive.query.parse.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a user may type before a colon -> the schema field it searches.
FIELDS = {
    "title": "title",
    "body": "body",
    "source": "outlet",
    "author": "authors",
    "authors": "authors",
    "tags": "tags",
    "tag": "tag",  # the user's own tags (archive.query.marks), not the article's
    "is": "is",  # unread, read, flagged
    "note": "note",  # words of the user's notes
    "date": "date",
    "id": "id",
    "language": "language",
}
# The names shown in help, errors and completion (the rest are aliases).
SHOWN_FIELDS = (
    "title", "body", "source", "author", "tags", "date", "id", "language", "tag", "is", "note"
)  # fmt: skip
# Fields whose values are words of text (spelling help applies to them).
TEXT_FIELDS = frozenset({"title", "body", "source", "author", "authors", "tags"})
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})
PATTERN_MARKS = "*?~^"
SHOWN_CHARS = 60  # of a query quoted in an error message

SPACE, PHRASE, OPEN_QUOTE, FIELD, PAREN, RANGE, WORD, OPERATOR, PATTERN, COMMAND = (
    "space",
    "phrase",
    "open_quote",
    "field",
    "paren",
    "range",
    "word",
    "operator",
    "pattern",
    "command",
)

_PIECES = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<phrase>"[^"]*"(?:~\d+)?)
    | (?P<open_quote>"[^"]*$)
    | (?P<field>[A-Za-z_]\w*:(?!//))
    | (?P<paren>[()])
    | (?P<range>[\[\]{}])
    | (?P<word>[^\s()"\[\]{}]+)
    """,
    re.VERBOSE,
)
# A word that spelling help may look at: letters first, no marks (not 2024, ban?).
_PLAIN = re.compile(r"[^\W\d_][\w']*")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int  # character offsets into the line
    end: int
    field: str | None = None  # for words: the field typed before them, if any

    @property
    def plain(self) -> bool:
        """A plain word: letters first, no wildcard, fuzzy or boost marks."""
        return self.kind == WORD and _PLAIN.fullmatch(self.text) is not None


def tokenize(line: str) -> list[Token]:
    """Every piece of ``line``, in order; their texts put together are the line."""
    if line.lstrip().startswith(":"):
        name, space, rest = line.partition(" ")
        command = [Token(COMMAND, name, 0, len(name))]
        return command + ([Token(SPACE, space + rest, len(name), len(line))] if space else [])
    tokens: list[Token] = []
    field: str | None = None  # the field the next piece belongs to
    in_range = False
    for match in _PIECES.finditer(line):
        kind, text = match.lastgroup or WORD, match.group()
        if kind == WORD and text in OPERATORS:
            kind = OPERATOR
        elif kind == WORD and any(mark in text for mark in PATTERN_MARKS):
            kind = PATTERN
        tokens.append(Token(kind, text, match.start(), match.end(), field))
        if kind == FIELD:
            field = text[:-1].lower()
        elif kind == RANGE:
            in_range = text in "[{" and field is not None
            field = field if in_range else None
        elif (not in_range and kind != SPACE) or (kind == SPACE and not in_range):
            field = None
    return tokens


def fields(line: str) -> list[Token]:
    """The ``name:`` pieces of a line (never inside quotes, never a URL's scheme)."""
    return [token for token in tokenize(line) if token.kind == FIELD]


def words(line: str) -> list[Token]:
    """The plain words of a line, those inside phrases too (offsets into the line),
    outside fields whose values are not text (id:, date:, language:)."""
    found = []
    for token in tokenize(line):
        if token.field is not None and token.field not in TEXT_FIELDS:
            continue
        if token.plain:
            found.append(token)
        elif token.kind in (PHRASE, OPEN_QUOTE):
            for inner in _PLAIN.finditer(token.text):
                start = token.start + inner.start()
                found.append(Token(WORD, inner.group(), start, start + len(inner.group())))
    return found


def word_at(before: str) -> str:
    """The plain word the cursor is in or at the end of (``before`` is the line up
    to the cursor): the part of it before the cursor, or "" if it is no word."""
    tokens = tokenize(before)
    return tokens[-1].text if tokens and tokens[-1].plain else ""


def shown(text: str) -> str:
    """A query (or a piece of one) as quoted in a message: escaped, and cut if long."""
    if len(text) <= SHOWN_CHARS:
        return repr(text)
    return repr(text[:SHOWN_CHARS]) + f"… ({len(text):,} characters)"
