"""Fuzzy terms matched as typed, and expanded once per segment per query."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from whoosh import qparser
from whoosh.query import FuzzyTerm, Query

from archive.whoosh_ext import Internal, uses

uses(
    Internal("whoosh.qparser.plugins:FuzzyTermPlugin", "FuzzyTermNode", "attribute"),
    Internal("whoosh.query.terms:MultiTerm", "_btexts", "method", ("ixreader",)),
    Internal(
        "whoosh.reading:IndexReader",
        "terms_within",
        "method",
        ("fieldname", "text", "maxdist", "prefix"),
    ),
)


# A segment's words as written that start with a prefix, looked up quickly
# (segment reader, field of words as written, prefix); None where it cannot
# tell. The index gives it (archive.index.derived.words_starting).
WordsOf = Callable[[Any, str, str], list[str] | None]


class TypedFuzzyTermPlugin(qparser.FuzzyTermPlugin):
    """Whoosh's ``word~`` syntax, with the word as typed kept beside its stem."""

    class FuzzyTermNode(qparser.FuzzyTermPlugin.FuzzyTermNode):
        def query(self, parser: Any) -> Query:
            found = super().query(parser)
            fuzzy = [q for q in _leaves(found) if isinstance(q, FuzzyTerm)]
            name = found.field()
            if not fuzzy or name not in parser.schema:
                return found
            typed = list(parser.schema[name].process_text(self.text, mode="query", no_morph=True))
            if len(typed) == len(fuzzy):  # one query word per token of the text
                for leaf, word in zip(fuzzy, typed, strict=True):
                    leaf.word = word
            return found


def _leaves(query: Query) -> list[Query]:
    return list(query.leaves()) if not query.is_leaf() else [query]


class OnceFuzzyTerm(FuzzyTerm):
    """A fuzzy term matched as typed, and found in each segment once per query.

    Whoosh fuzzes the query word's stem against the vocabulary of unstemmed
    words, and searches for what it finds as if those were stems:
    ``goverment~`` became ``gover~``, which matched "cover" and "over" but not
    "government". Here the word as typed is compared with the unstemmed
    vocabulary, and each word found is searched for as the stems it was
    indexed under.

    Whoosh also walks a segment's lexicon for a fuzzy term each time the query
    is estimated, matched or highlighted: several times per search, for every
    segment, and incremental updates add segments. And over several segments
    at once (as highlighting asks) it compares every term of the field in
    Python. Here each segment is walked once per query, with Whoosh's
    automaton over the unstemmed words.
    """

    def __init__(
        self,
        *args: Any,
        word: str | None = None,
        words_of: WordsOf | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.word = word if word is not None else self.text
        self.words_of = words_of
        # Made here, so that the copies Whoosh makes of the query (normalising,
        # adding variants) share it.
        self._words: weakref.WeakKeyDictionary[Any, list[str]] = weakref.WeakKeyDictionary()

    def _btexts(self, reader: Any) -> list[str]:
        if not reader.is_atomic():
            words: set[str] = set()
            for leaf, _ in reader.leaf_readers():
                words.update(self._btexts(leaf))
            return sorted(words)
        found = self.__dict__.get("_words")
        if found is None:
            return self._expand(reader)
        if reader not in found:
            found[reader] = self._expand(reader)
        return found[reader]

    def _expand(self, reader: Any) -> list[str]:
        if self.fieldname not in reader.schema:
            return []
        field = reader.schema[self.fieldname]
        word = getattr(self, "word", self.text)
        terms: set[str] = set()
        near_words = _within(
            reader, self.fieldname, str(word), self.maxdist, self.prefixlength, self.words_of
        )
        for near in near_words:
            terms.update(field.process_text(near, mode="query"))
        return sorted(term for term in terms if (self.fieldname, term) in reader)


def _within(
    reader: Any, fieldname: str, word: str, maxdist: int, prefix: int, words_of: WordsOf | None
) -> list[str]:
    """The segment's terms within ``maxdist`` edits of ``word`` (its first
    ``prefix`` letters kept): from ``words_of`` with a C edit distance where
    it knows the segment's words, else by Whoosh's automaton over its lexicon."""
    spelled = reader.schema[fieldname].spelling_fieldname(fieldname)  # words as written
    candidates = words_of(reader, spelled, word[:prefix]) if words_of is not None else None
    if candidates is None:
        return list(reader.terms_within(fieldname, word, maxdist, prefix))
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    found = process.extract(
        word, candidates, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None
    )
    return [term for term, _, _ in found]
