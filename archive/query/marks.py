"""``tag:NAME``, ``is:unread|read|flagged`` and ``note:WORD`` in queries: what
the user keeps with articles (archive.index.desk), not what the articles say.

The parser makes a ``Marked`` leaf of each, naming what it asks for; the
request is then given the IDs the desk holds for it (``resolve``), and the
leaf matches those articles, unscored, as a filter does. ``is:unread`` is
the articles not marked read; ``note:word`` the articles whose note holds
the word (case ignored; ``note:call*`` any word it starts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from whoosh.matching import ListMatcher, NullMatcher
from whoosh.qparser import TaggingPlugin, syntax
from whoosh.query import Not, Query

from archive.errors import ArchiveError, QueryError
from archive.index.desk import note_words, tag_name

# What ``is:`` takes: the mark it reads, and whether articles with it are wanted.
IS_VALUES = {"unread": ("read", False), "read": ("read", True), "flagged": ("flagged", True)}

# The IDs the desk holds under a tag ("tag", name), a mark ("mark", name) or
# in notes ("note", words).
Lookup = Callable[[str, str], frozenset[str]]


class Marked(Query):
    """The articles the user tagged ``name`` (``kind`` "tag"), marked so
    (``kind`` "is") or noted so (``kind`` "note"), by ID; they match nothing
    until ``ids`` is given."""

    fieldname = None

    def __init__(self, kind: str, name: str, ids: frozenset[str] | None = None) -> None:
        self.kind, self.name, self.ids = kind, name, ids
        self.boost = 1.0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Marked) and (self.kind, self.name, self.ids) == (
            other.kind,
            other.name,
            other.ids,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.name, self.ids))

    def __repr__(self) -> str:
        return f"Marked({self.kind!r}, {self.name!r})"

    def __str__(self) -> str:
        return f"{self.kind if self.kind in ('tag', 'note') else 'is'}:{self.name}"

    __unicode__ = __str__

    def is_leaf(self) -> bool:
        return True

    def terms(self, phrases: bool = False) -> Any:
        return iter(())  # no words: nothing to highlight, spell or vary

    def expanded_terms(self, ixreader: Any, phrases: bool = True) -> Any:
        return iter(())

    def estimate_size(self, ixreader: Any) -> int:
        return len(self.ids or ())

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        found = sorted(documents(searcher.reader(), self.ids or ()))
        return ListMatcher(found) if found else NullMatcher()


def documents(reader: Any, ids: Iterable[str]) -> set[int]:
    """The numbers (as ``reader`` numbers them) of the live articles with these IDs."""
    found: set[int] = set()
    for article in ids:
        if ("id", article) in reader:
            found.update(d for d in reader.postings("id", article).all_ids())
    if reader.has_deletions():
        found = {d for d in found if not reader.is_deleted(d)}
    return found


def resolve(query: Query, lookup: Lookup) -> Query:
    """``query`` with each ``Marked`` leaf given the IDs ``lookup`` finds."""
    if isinstance(query, Marked):
        if query.kind in ("tag", "note"):
            return Marked(query.kind, query.name, lookup(query.kind, query.name))
        mark, wanted = IS_VALUES[query.name]
        found = Marked("mark", query.name, lookup("mark", mark))
        return found if wanted else Not(found)
    return query.apply(lambda child: resolve(child, lookup))


class MarkNode(syntax.SyntaxNode):
    """A ``tag:``, ``is:`` or ``note:`` clause in a parsed query."""

    has_fieldname = False
    has_text = False
    has_boost = False

    def __init__(self, field: str, value: str) -> None:
        self.field, self.value = field.lower(), value
        self.query_ = _query(self.field, value)  # errors surface while parsing

    def r(self) -> str:
        return f"<{self.field} {self.value!r}>"

    def query(self, parser: Any) -> Query:
        return self.query_


def _query(field: str, value: str) -> Marked:
    if field == "tag":
        try:
            return Marked("tag", tag_name(value))
        except ArchiveError as err:
            raise QueryError(f"tag:{value} names no tag: {err.message}", hint=err.hint) from None
    if field == "note":
        if not note_words(value):
            raise QueryError(f"note:{value} names no word", hint="note:word finds your notes")
        return Marked("note", value.casefold())
    if value.lower() not in IS_VALUES:
        raise QueryError(f"is:{value} is not a state", hint=f"is: takes {', '.join(IS_VALUES)}")
    return Marked("is", value.lower())


class MarkPlugin(TaggingPlugin):
    """Tags ``tag:NAME``, ``is:STATE`` and ``note:WORD`` before Whoosh's field
    plugin sees them."""

    priority = -10
    expr = r"(?i)(?<![\w:])(?P<field>tag|is|note):(?P<value>[^\s()]+)"
    nodetype = MarkNode

    def create(self, parser: Any, match: Any) -> MarkNode:
        return MarkNode(match.group("field"), match.group("value"))
