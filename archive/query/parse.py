"""The query language: Whoosh's parser, with the fields, dates and fuzziness
a news researcher can trust.

- Fields: ``title:``, ``body:``, ``source:``, ``author:``, ``tags:``,
  ``date:``, ``id:``, and what the user keeps with articles: ``tag:``, ``is:``,
  ``note:`` (archive.query.marks). A field that does not exist is an error that lists the
  fields that do (Whoosh would quietly search for the word instead).
- Dates are exact to the day (archive.query.dates).
- Fuzzy terms (``word~``, ``word~2``) match words within that many edits
  of the word as typed, and never fuzz numbers or short words: a search for
  2024~ must not find 2025.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from whoosh import qparser
from whoosh.qparser import syntax
from whoosh.query import (
    And,
    DateRange,
    Every,
    FuzzyTerm,
    MultiTerm,
    NullQuery,
    Or,
    Prefix,
    Query,
    Term,
    TermRange,
    Wildcard,
)

from archive.errors import QueryError
from archive.index.analysis import CJK
from archive.index.derived import words_starting
from archive.index.schema import DEFAULT_FIELDS, FIELD_BOOSTS
from archive.query import tokens
from archive.query.dates import DatePlugin
from archive.query.exact import as_typed
from archive.query.marks import MarkPlugin
from archive.query.tokens import shown
from archive.whoosh_ext.fuzzy import OnceFuzzyTerm, TypedFuzzyTermPlugin
from archive.whoosh_ext.terms import pattern_words

FUZZY_MIN_CHARS = 4  # shorter words are never fuzzed
MINUS = r"(?<![^\s(])-(?=[^\s\-])"  # a minus sign that starts a word
# Longer queries are refused: Whoosh's parser takes seconds on 10,000 ORs,
# and no one types them (a pasted paragraph is a few hundred words).
MAX_QUERY_CHARS = 20_000
MAX_QUERY_WORDS = 1_000
# Every query answers quickly or is refused with the reason. Fuzzy, wildcard
# and range terms each stand for many words, all searched:
MAX_PATTERNS = 8  # such terms in one query
MAX_EXPANSION = 1024  # words one of them may stand for (Lucene's clause limit)
MAX_FUZZY = 2  # edits: word~9 would match every word
MAX_NESTING = 50  # brackets inside brackets
ANY_WORDS_BONUS = 0.9  # OrGroup factor: articles with more of the words rank higher

_NUMBERISH = re.compile(r"[\d.,\-/]+")


@dataclass(frozen=True)
class Options:
    any_words: bool = False  # match any of the words instead of all of them
    exact: bool = False  # only the words as typed: no spelling variants, no other forms


ALL_WORDS = Options()


class WordsParser(qparser.QueryParser):
    """Whoosh's parser, reading a word of Chinese, Japanese or Korean (which
    the analyzer makes pairs of characters) as the phrase of its pairs: the
    word, wherever it stands in a longer run. (Whoosh would AND them; in an
    any-word query, pasted prose of one run, they are ORed as Whoosh does.)"""

    def multitoken_query(
        self, spec: str, texts: list[str], fieldname: str, termclass: Any, boost: float
    ) -> Query:
        if spec == "default" and self.group is qparser.AndGroup and any(map(CJK.search, texts)):
            return self.phraseclass(fieldname, texts, boost=boost)
        return super().multitoken_query(spec, texts, fieldname, termclass, boost)


def parser(schema: Any, options: Options = ALL_WORDS) -> qparser.QueryParser:
    group = qparser.OrGroup.factory(ANY_WORDS_BONUS) if options.any_words else qparser.AndGroup
    found = WordsParser(None, schema, group=group)  # as qparser.MultifieldParser makes it
    found.add_plugin(qparser.MultifieldPlugin(list(DEFAULT_FIELDS), fieldboosts=FIELD_BOOSTS))
    aliases: dict[str, list[str]] = {}
    for typed, field in tokens.FIELDS.items():
        if typed != field:
            aliases.setdefault(field, []).append(typed)
    found.add_plugin(qparser.FieldAliasPlugin(aliases))
    found.add_plugin(TypedFuzzyTermPlugin())
    found.add_plugin(DatePlugin())
    found.add_plugin(MarkPlugin())
    # -word leaves out what has it (as NOT word), where a word starts: never
    # inside one (covid-19, e-mail), nor alone. A + stays as it is typed.
    found.add_plugin(MinusPlugin())
    return found


class MinusPlugin(qparser.PlusMinusPlugin):
    """-word as NOT word, in a group in brackets too (Whoosh's plugin reads
    the outermost group alone, and leaves the others' minus signs to fail)."""

    def __init__(self) -> None:
        super().__init__(plusexpr="(?!)", minusexpr=MINUS)

    def do_plusminus(self, parser: Any, group: Any) -> Any:
        for at, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[at] = self.do_plusminus(parser, node)
        if not any(isinstance(node, self.Minus) for node in group):
            return group
        kept, banned, minus = group.empty_copy(), syntax.OrGroup(), False
        for node in group:
            if isinstance(node, self.Minus):
                minus = True
            elif minus:
                banned.append(node)
                minus = False
            else:
                kept.append(node)
        if not banned:
            return kept
        # As NOT makes it: Whoosh's AndNot misses some (oil ANDNOT (oil OR gas) found oil).
        return syntax.AndGroup([kept, syntax.NotGroup([banned])])


def parse(schema: Any, text: str, options: Options = ALL_WORDS) -> Query:
    """The query for ``text``, or a QueryError saying what is wrong with it.

    Typed as articles are indexed, in Unicode NFC (archive.text.normalize):
    an accent typed as a combining mark is the accented letter."""
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise QueryError("the query is empty", hint="type some words to search for")
    words = len(text.split())
    if len(text) > MAX_QUERY_CHARS or words > MAX_QUERY_WORDS:
        raise QueryError(
            f"the query is too long ({len(text):,} characters, "
            f"{words:,} {'word' if words == 1 else 'words'})",
            hint=f"at most {MAX_QUERY_CHARS:,} characters and {MAX_QUERY_WORDS:,} words",
        )
    check_nesting(text)
    if not options.any_words:  # pasted prose may quote a title it never closes
        check_quotes(text)
    query = None if options.any_words else plain_words(schema, text)
    if query is None:
        query = parsed_by_whoosh(schema, text, options)
    if query is NullQuery or isinstance(query, type(NullQuery)):
        raise QueryError(
            f"the query {shown(text)} has no words to search for",
            hint="common words such as 'the' and lone operators are not searched",
        )
    return as_typed(query, schema, text) if options.exact else query


def parsed_by_whoosh(schema: Any, text: str, options: Options) -> Query:
    if options.any_words:
        text = plain_prose(text)  # pasted prose: "Examples: ..." is not a field
    else:
        check_fields(text)
    try:
        query = parser(schema, options).parse(text)
    except QueryError:
        raise
    except Exception as err:  # Whoosh's parser raises several kinds on odd input
        reason = " ".join(str(err).split())  # one line, whatever the parser said
        raise QueryError(f"cannot parse the query {shown(text)}: {reason}") from err
    return query.accept(_no_fuzzy_numbers).accept(_bounded_patterns)


_PLAIN_WORDS = re.compile(r"\s*[A-Za-z]+(?:\s+[A-Za-z]+)*\s*")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


def plain_words(schema: Any, text: str) -> Query | None:
    """The query Whoosh's parser makes of plain words, all wanted, made
    without it (the parser took a tenth of a one-word search); None for
    anything else: operators, fields, quotes, patterns, digits, other letters."""
    if not _PLAIN_WORDS.fullmatch(text):
        return None
    words = text.split()
    if _OPERATORS.intersection(words):
        return None
    groups: list[Query] = []
    for word in words:
        terms = []
        for field in DEFAULT_FIELDS:
            analysed = list(schema[field].process_text(word, mode="query"))
            if len(analysed) > 1:
                return None
            terms += [Term(field, text, boost=FIELD_BOOSTS[field]) for text in analysed]
        if terms:
            groups.append(Or(terms))
    return And(groups).normalize() if groups else NullQuery


def check_nesting(text: str) -> None:
    """Refuse brackets nested so deep that parsing them would recurse without end."""
    depth = deepest = 0
    for char in _BRACKETS.findall(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise QueryError(
            f"the query nests brackets {deepest:,} deep", hint=f"at most {MAX_NESTING} levels"
        )


_BRACKETS = re.compile(r'"[^"]*"|([()])')


def check_quotes(text: str) -> None:
    """Refuse a quote never closed: Whoosh would search its words one by one,
    not as the phrase the user was typing."""
    for token in tokens.tokenize(text):
        if token.kind == tokens.OPEN_QUOTE:
            phrase = token.text.rstrip()
            cut = len(phrase) > tokens.SHOWN_CHARS
            closed = phrase[: tokens.SHOWN_CHARS] + ("…" if cut else "") + '"'
            raise QueryError(
                f"the query {shown(text)} has a quote that is never closed",
                hint=f"close it: {closed} (or drop the quote)",
            )


def check_fields(text: str) -> None:
    """Refuse ``nosuch:word``: Whoosh would search for the word 'nosuch'."""
    for token in tokens.fields(text):
        name = token.text[:-1]
        if name.lower() not in tokens.FIELDS:
            raise QueryError(
                f"unknown field {name!r}",
                hint=f"fields are: {', '.join(f + ':' for f in tokens.SHOWN_FIELDS)}",
            )


def plain_prose(text: str) -> str:
    """Prose read as prose: ``word:`` where the word is no field becomes the
    plain word, and a question mark that ends a word ends a question (it is
    not the one-letter wildcard: "What is MEDLARS?" searches "medlars")."""
    text = _QUESTION_MARK.sub(" ", text)
    pieces = []
    for token in tokens.tokenize(text):
        unknown = token.kind == tokens.FIELD and token.text[:-1].lower() not in tokens.FIELDS
        pieces.append(token.text[:-1] + " " if unknown else token.text)
    return "".join(pieces)


_QUESTION_MARK = re.compile(r"\?+(?=[\s\"')\],.;:!]|$)")


def _no_fuzzy_numbers(query: Query) -> Query:
    if isinstance(query, FuzzyTerm):
        word = str(getattr(query, "word", query.text))
        if len(word) < FUZZY_MIN_CHARS or _NUMBERISH.fullmatch(word):
            return Term(query.fieldname, query.text, boost=query.boost)
        return OnceFuzzyTerm(
            query.fieldname,
            query.text,
            word=word,
            boost=query.boost,
            maxdist=query.maxdist,
            prefixlength=query.prefixlength,
            constantscore=query.constantscore,
            words_of=words_starting,
        )
    return query


def _bounded_patterns(query: Query) -> Query:
    """A lone ``*`` is every article; fuzzy terms are at most MAX_FUZZY edits
    off; a wildcard may not begin with one (it would read every word)."""
    if isinstance(query, Every) and query.fieldname:
        return Every()  # Whoosh's Every(field) reads every posting of the field
    if isinstance(query, Wildcard):
        if not query.text.strip("*"):
            return Every()
        if query.text[0] in "*?":
            raise QueryError(
                f"the wildcard {shown(query.text)} begins with {query.text[0]}",
                hint="give the first letters of the word (withdr*)",
            )
    if isinstance(query, FuzzyTerm) and query.maxdist > MAX_FUZZY:
        query = copy.copy(query)
        query.maxdist = MAX_FUZZY
    return query


def check_cost(query: Query, reader: Any) -> None:
    """Refuse a query whose fuzzy, wildcard and range terms stand for too many words.

    The words are counted only up to the limit, so checking costs little.
    """
    patterns: dict[tuple[str, str], list[MultiTerm]] = {}
    for leaf in query.leaves() if not query.is_leaf() else [query]:
        if isinstance(leaf, MultiTerm) and not isinstance(leaf, Every | DateRange):
            typed = _pattern_text(leaf)
            patterns.setdefault((type(leaf).__name__, typed), []).append(leaf)
    if len(patterns) > MAX_PATTERNS:
        raise QueryError(
            f"the query has {len(patterns):,} fuzzy, wildcard or range terms",
            hint=f"at most {MAX_PATTERNS}",
        )
    for leaves in patterns.values():
        words: set[Any] = set()
        for leaf in leaves:  # one term typed, searched in each field
            words.update(pattern_words(leaf, reader, MAX_EXPANSION + 1))
            if len(words) > MAX_EXPANSION:
                raise QueryError(
                    f"{shown(_pattern_text(leaf))} stands for more than {MAX_EXPANSION:,} words",
                    hint="make it narrower: more letters, or a shorter range",
                )


def _pattern_text(leaf: Query) -> str:
    if isinstance(leaf, TermRange):
        return f"[{leaf.start} TO {leaf.end}]"
    if isinstance(leaf, FuzzyTerm):
        return f"{getattr(leaf, 'word', leaf.text)}~{leaf.maxdist}"
    if isinstance(leaf, Prefix):
        return f"{leaf.text}*"
    return str(leaf.text)
