"""Exact words: only the spelling typed, neither a variant nor another form.

Titles and bodies are indexed by stem (``withdrawal`` finds *withdraw*), and
each segment's arrays also keep which articles hold each word as written
(case- and accent-folded; archive.index.derived). So an exact query keeps
its stem terms, which find and rank the candidates, and asks of each typed
word that it be in the field as written: ``kiev`` then finds *Kiev* and
*KIEV*, never *Kieves*, whose stem is kiev too. A phrase's words must each
be in the field as typed; their order is the phrase's, by stem.
"""

from __future__ import annotations

from typing import Any

from whoosh.matching import ListMatcher, NullMatcher
from whoosh.query import And, Or, Phrase, Query, Term

from archive.index.derived import for_segment, missing_arrays
from archive.query import tokens

# Each stemmed field -> its vocabulary of words as written.
SPELLED = {"title": "spell_title", "body": "spell_body"}


def as_typed(query: Query, schema: Any, text: str) -> Query:
    """``query`` (parsed from ``text``) matching only the words as typed."""
    forms = typed_forms(schema, text)
    return _restricted(query, forms).normalize() if forms else query


def typed_forms(schema: Any, text: str) -> dict[str, frozenset[str]]:
    """Each stem the query's words make -> the words, as written, that make it."""
    analyzer = schema["body"].analyzer
    found: dict[str, set[str]] = {}
    for word in tokens.words(text):
        stems = [token.text for token in analyzer(word.text)]
        written = [token.text for token in analyzer(word.text, no_morph=True)]
        for stem, form in zip(stems, written, strict=True):
            found.setdefault(stem, set()).add(form)
    return {stem: frozenset(forms) for stem, forms in found.items()}


def _restricted(query: Query, forms: dict[str, frozenset[str]]) -> Query:
    if isinstance(query, Term) and query.fieldname in SPELLED and query.text in forms:
        return And([query, WrittenAs((query.fieldname,), query.text, forms[query.text])])
    fields = _one_word(query, forms)
    if fields:  # a word in title or body: one score over both, as typed in either
        stem = query.subqueries[0].text
        return And([query, WrittenAs(fields, stem, forms[stem])])
    if isinstance(query, Phrase) and query.fieldname in SPELLED:
        field = (query.fieldname,)
        held = [WrittenAs(field, stem, forms[stem]) for stem in query.words if stem in forms]
        return And([query, *held]) if held else query
    return query.apply(lambda child: _restricted(child, forms))


def _one_word(query: Query, forms: dict[str, frozenset[str]]) -> tuple[str, ...]:
    """The fields of an OR of one typed word's stem in title and body, or ()."""
    if not isinstance(query, Or) or not query.subqueries:
        return ()
    children = query.subqueries
    if not all(isinstance(child, Term) and child.fieldname in SPELLED for child in children):
        return ()
    stems = {child.text for child in children}
    if len(stems) != 1 or not stems <= forms.keys():
        return ()
    return tuple(child.fieldname for child in children)


class WrittenAs(Query):
    """The articles holding one of ``forms`` as written (folded) in one of
    ``fields``, of those holding their ``stem`` there: unscored, a condition
    beside the stem's terms, which rank. (archive.search.plans checks it
    over what the rest of an AND keeps; Whoosh over all the stem's articles.)"""

    fieldname = None  # of no one field

    def __init__(self, fields: tuple[str, ...], stem: str, forms: frozenset[str]) -> None:
        self.fields, self.stem, self.forms = fields, stem, forms
        self.boost = 1.0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WrittenAs) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[tuple[str, ...], str, frozenset[str]]:
        return (self.fields, self.stem, self.forms)

    def __repr__(self) -> str:
        return f"WrittenAs({self.fields!r}, {self.stem!r}, {sorted(self.forms)!r})"

    def __str__(self) -> str:
        return f"({'|'.join(self.fields)}):={'|'.join(sorted(self.forms))}"

    __unicode__ = __str__

    def is_leaf(self) -> bool:
        return True

    def terms(self, phrases: bool = False) -> Any:
        """The words as written, in each field's vocabulary (what highlighting marks)."""
        return iter(
            [(SPELLED[field], form) for field in self.fields for form in sorted(self.forms)]
        )

    def estimate_size(self, ixreader: Any) -> int:
        return sum(int(ixreader.doc_frequency(field, self.stem)) for field in self.fields)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        held = self.holding(searcher.reader())
        return ListMatcher(sorted(held)) if held else NullMatcher()

    def holding(self, reader: Any) -> set[int]:
        """The articles of a segment's reader holding a form as written in a field."""
        arrays = for_segment(reader)
        if arrays is None:
            raise missing_arrays(reader)
        return {
            int(doc)
            for field in self.fields
            for form in self.forms
            for doc in arrays.written(field, form)
        }
