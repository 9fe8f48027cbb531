"""Exact words: only the spelling typed, neither a variant nor another form.

Titles and bodies are indexed by stem (``withdrawal`` finds *withdraw*), and
the index keeps each field's words as written (``spell_title``,
``spell_body``) only as a vocabulary, not per article. So an exact query
keeps its stem terms, which find and rank the candidates, and asks of each
typed word that it be in the field as written (case- and accent-folded):
``kiev`` then finds *Kiev* and *KIEV*, never *Kieves*, whose stem is kiev too.
Where the vocabulary holds no other word of that stem, the stem's articles
are the answer; where it does, the stored text of the articles the rest of
the query kept tells them apart, and more than MAX_READ of them is refused.
A phrase's words must each be in the field as typed; their order is the
phrase's, by stem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from whoosh.matching import ListMatcher, NullMatcher
from whoosh.query import And, Or, Phrase, Query, Term

from archive.errors import QueryError
from archive.index.analysis import fold, stemmer
from archive.query import tokens

# Each stemmed field -> its vocabulary of words as written.
SPELLED = {"title": "spell_title", "body": "spell_body"}
MAX_READ = 2_000  # articles whose text is read to tell an exact word from its other forms


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
        words = "|".join(map(re.escape, sorted(forms, key=len, reverse=True)))
        # Not followed by more of a word (\w+ joined by single dots, as the
        # index's tokenizer cuts them); what comes before is checked apart,
        # which keeps the search a fast one for its first letters.
        self._written = re.compile(rf"(?:{words})(?!\w)(?!\.\w)")

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
        reader = searcher.reader()
        held: set[int] = set()
        for field in self.fields:
            if (field, self.stem) in reader:
                held.update(reader.postings(field, self.stem).all_ids())
        kept = self.holding(reader, sorted(held)) if self.ambiguous(reader) else sorted(held)
        return ListMatcher(kept) if kept else NullMatcher()

    def ambiguous(self, reader: Any) -> bool:
        """Whether a vocabulary holds another word of this stem (then the
        stem's articles must be read to tell them apart)."""
        prefix = self.stem[: max(2, len(self.stem) - 1)]  # every word of the stem starts so
        for field in self.fields:
            found = reader.expand_prefix(SPELLED[field], prefix)
            words = [w.decode("utf-8") if isinstance(w, bytes) else w for w in found]
            words = [word for word in words if word not in self.forms]
            if words and self.stem in stemmer().stemWords(words):
                return True
        return False

    def holding(self, reader: Any, docs: Iterable[int]) -> list[int]:
        """Those of ``docs`` (numbers in ``reader``'s segment) that hold a form
        as written; refused past MAX_READ of them."""
        docs = list(docs)
        if len(docs) > MAX_READ:
            raise too_many(self.forms, len(docs))
        stored = reader.stored_fields
        return [doc for doc in docs if self._holds(stored(doc))]

    def _holds(self, fields: dict[str, Any]) -> bool:
        for field in self.fields:
            text = fields.get(field) or ""
            text = text.lower() if text.isascii() else fold(text)
            for found in self._written.finditer(text):
                if not _WORD_BEFORE.search(text, max(found.start() - 2, 0), found.start()):
                    return True
        return False


_WORD_BEFORE = re.compile(r"\w\.?\Z")  # a word goes on into what follows


def too_many(forms: Iterable[str], count: int) -> QueryError:
    return QueryError(
        f"{tokens.shown(' '.join(sorted(forms)))} as typed must be told apart from other "
        f"forms of the word in {count:,} articles",
        hint=f"at most {MAX_READ:,}; add words, or drop --exact (:exact off) to match every form",
    )
