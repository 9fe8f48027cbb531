"""Spelling variants of the same word: transliterations and British/American.

Outlets write the same name differently (Zaporizhia / Zaporizhzhia,
Zelensky / Zelenskyy / Zelenskiy, Kharkov / Kharkiv, Tchaikovsky /
Chaikovsky) and the same word in two spellings (emphasised / emphasized,
labour / labor, centre / center). Each word is folded to a *variant key* by
a few rewrite rules for transliteration patterns and British spellings, plus
a small table of renamings no rule can derive (Kiev / Kyiv). At query time a
word also matches the words of the index that share its key, as if the user
had typed them: they rank as full matches and are highlighted.

The rules are deliberately narrow: they never touch the letters that tell
English words apart (doubled consonants, ie/i), so "diner" and "dinner" or
"fiend" and "find" are never merged. bench/variants_precision.py lists every
pair of words the rules merge in the shared corpora's vocabulary.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from whoosh.query import Or, Query, Term

from archive.index.schema import DEFAULT_FIELDS

MIN_LENGTH = 4  # shorter words have no variants

# Renamings and transliterations that no rule derives: every name in a row is
# one key.
CURATED: tuple[tuple[str, ...], ...] = (
    ("kyiv", "kiev"),
    ("odesa", "odessa"),
    ("gaddafi", "qaddafi", "kadhafi", "gadhafi", "qadhafi"),
    ("chornobyl", "chernobyl"),
    ("mykolaiv", "nikolaev", "mykolayiv"),
    ("luhansk", "lugansk"),
    ("lviv", "lvov"),
)
# French and Spanish words that English news prints as names ("Notre-Dame",
# "entre nous"): the -re rule would merge them with English words.
NEVER_FOLD = frozenset(
    "notre entre outre autre contre votre libre titre lettre mettre maitre quatre "
    "chambre membre nombre novembre septembre octobre decembre ambre habre".split()
)
_CURATED_KEY = {name: row[0] for row in CURATED for name in row}

# Rewrite rules, applied in order to a lowercase, accent-folded word.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        # Transliteration
        (r"zhzh", "zh"),  # Zaporizhzhia / Zaporizhia
        (r"^tch(?=.{4})", "ch"),  # Tchaikovsky / Chaikovsky
        (r"(sk|tsk|zk)(?:iy|yy|yi|ii|ij|y|i)$", r"\1y"),  # Zelensky / -skyy / -skiy / -skii
        (r"(?<=.{3}[^aeiouy][^aeiou])[oie]v$", "v"),  # Kharkov / Kharkiv
        # British / American
        (r"(?<=.{3})([iy])s(e|es|ed|ing|ation|ations|er|ers)$", r"\1z\2"),  # emphasise, analyse
        (r"(?<=.{3})our(s|ed|ing|ite|ites|able|ful|less)?$", r"or\1"),  # labour, favourite
        (r"(?<=..)([tb])re(s)?$", r"\1er\2"),  # centre, fibre, theatre
        (r"(?<=..)ogue(s)?$", r"og\1"),  # catalogue, dialogue
        (r"(?<=..)ence(s)?$", r"ense\1"),  # defence, licence
        (r"ell(ed|ing|er|ers)$", r"el\1"),  # travelled, modelling
    )
)


def variant_key(word: str) -> str:
    """The word's variant key: two spellings of one word share it."""
    if len(word) < MIN_LENGTH or not word.isalpha():
        return word
    if word in _CURATED_KEY:
        return _CURATED_KEY[word]
    if word in NEVER_FOLD:
        return word
    key = word
    for pattern, replacement in _RULES:
        key = pattern.sub(replacement, key)
    return key


def _candidate_prefixes(word: str, key: str) -> set[str]:
    """Where in the vocabulary words with this key can start.

    The rules rewrite word endings (and a leading "tch"), so two spellings
    share their first four letters unless the table or "tch" says otherwise.
    """
    prefixes = {word[:4], key[:4]}
    if key.startswith("ch"):
        prefixes.add("t" + key[:4])  # Tchaikovsky
    for row in CURATED:
        if word in row:
            prefixes |= {name[:3] for name in row}
    return prefixes


@dataclass
class Expansion:
    """Which variants were added for which words of a query."""

    added: dict[str, list[str]] = field(default_factory=dict)  # word -> variants found

    def __bool__(self) -> bool:
        return bool(self.added)


class Words(Protocol):
    """The index's words as written (archive.index.vocabulary.Vocabulary)."""

    def starting(self, prefix: str) -> dict[str, int]: ...


class Known:
    """Variants already looked up, per version of the index: the shell looks
    up the same words at every keystroke. Owned by whoever reads the index
    (archive.search.reader.Reader), and gone with it."""

    SIZE = 4096  # words kept; then it starts afresh

    def __init__(self) -> None:
        self._found: dict[tuple[object, str], list[str]] = {}
        self._lock = threading.Lock()  # the shell's preview thread looks up too

    def variants(self, words: Words, word: str, version: object) -> list[str]:
        """Other spellings of ``word`` that the index holds (unstemmed, as
        written: ``words``); ``version`` names the version of the index."""
        if len(word) < MIN_LENGTH or not word.isalpha():
            return []
        with self._lock:
            found = self._found.get((version, word))
        if found is None:
            found = _lookup(words, word)
            with self._lock:
                if len(self._found) >= self.SIZE:
                    self._found.clear()
                self._found[(version, word)] = found
        return found


def variants_in(words: Words, word: str) -> list[str]:
    """Other spellings of ``word`` that the index holds, looked up now."""
    if len(word) < MIN_LENGTH or not word.isalpha():
        return []
    return _lookup(words, word)


def _lookup(words: Words, word: str) -> list[str]:
    key = variant_key(word)
    found: set[str] = set()
    for prefix in _candidate_prefixes(word, key):
        for other in words.starting(prefix):
            if other != word and variant_key(other) == key:
                found.add(other)
    return sorted(found)


def expand(
    query: Query,
    typed: Iterable[str],
    words: Words,
    analyzer: object,
    known: Known | None = None,
    version: object = None,
) -> tuple[Query, Expansion]:
    """``query`` with each word's variants ORed beside it, in title and body
    (looked up in ``known`` under ``version`` of the index, if given)."""
    expansion = Expansion()
    stems: dict[str, set[str]] = {}
    for word in typed:
        folded = word.lower()
        if known is not None:
            others = known.variants(words, folded, version)
        else:
            others = variants_in(words, folded)
        if not others:
            continue
        expansion.added[folded] = others
        own = {token.text for token in analyzer(folded)}  # type: ignore[operator]
        extra = {token.text for other in others for token in analyzer(other)}  # type: ignore[operator]
        for stem in own:
            stems.setdefault(stem, set()).update(extra - own)
    if not stems:
        return query, expansion

    def widen(node: Query) -> Query:
        if isinstance(node, Term) and node.fieldname in DEFAULT_FIELDS and node.text in stems:
            alternatives = [node] + [
                Term(node.fieldname, text, boost=node.boost) for text in sorted(stems[node.text])
            ]
            return Or(alternatives)
        return node

    return query.accept(widen), expansion
