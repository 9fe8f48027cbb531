"""Spelling help: a corrected query when a word looks like a typo, and the
index's words that a word being typed can become. Both read only the index's
vocabulary of words as written (not stems)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from whoosh.analysis import STOP_WORDS
from whoosh.support.charset import accent_map

from archive.query import tokens

# A word the index holds is taken for a typo only when a word one edit away
# (same first letter) is this many times as common: "goverment" (8 articles of
# Reuters) beside "government" (over 2,000), never "busch" beside "bush".
MUCH_MORE_FREQUENT = 50
MIN_WORD = 3  # shorter words are never corrected


class Lexicon(Protocol):
    """The index's words as written."""

    def frequency(self, word: str) -> int:
        """Articles that hold the word (in the field that holds it most)."""
        ...

    def near(self, word: str) -> Iterable[str]:
        """Words with the word's first letter: those within two edits are taken."""
        ...

    def bound(self, word: str) -> int:
        """At least the word's frequency, cheaply: words below the bar are passed over."""
        ...

    def starting(self, prefix: str) -> dict[str, int]:
        """The words that start with ``prefix``, with how many articles hold each."""
        ...

    def completions(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Words that start with ``prefix``, most frequent first, with their frequency."""
        ...


def correct(
    text: str,
    articles: int,
    lexicon: Lexicon,
    variants: dict[str, list[str]] | None = None,
) -> str | None:
    """The query with each word that looks like a typo replaced, or None.

    A word the index lacks is replaced by the nearest word it holds (at most
    two edits, fewer edits first, then the more common); a word it holds
    rarely, by a word one edit away that is far more common (a typo some
    articles share). Words whose spelling variants matched, operators, common
    words and short words are never replaced, so a correction holds only
    words the index has. The words are the ``lexicon``'s, of an index of
    ``articles`` articles.
    """
    variants = variants or {}
    # Only a word in fewer than 1/50 of the articles can have a neighbour 50 times as common.
    rare = articles / MUCH_MORE_FREQUENT
    corrected, done, changed = [], 0, False
    for token in tokens.words(text):  # each word replaced where it stands
        folded = token.text.lower()
        better = None
        if folded not in STOP_WORDS and folded not in variants and len(folded) >= MIN_WORD:
            own = lexicon.frequency(folded)
            better = _nearest(lexicon, folded, own) if own <= rare else None
        corrected += [text[done : token.start], better or token.text]
        changed = changed or better is not None
        done = token.end
    corrected.append(text[done:])
    return "".join(corrected) if changed else None


def _nearest(lexicon: Lexicon, word: str, own: int) -> str | None:
    """The likeliest intended word: fewest edits, then most common."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    best: tuple[int, int, str] | None = None
    candidates = list(lexicon.near(word))
    found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=2, limit=None)
    for candidate, distance, _ in found:
        if candidate == word or (own and distance > 1) or len(candidate) < MIN_WORD:
            continue
        if lexicon.bound(candidate) < max(1, MUCH_MORE_FREQUENT * own):
            continue
        common = lexicon.frequency(candidate)
        if common < max(1, MUCH_MORE_FREQUENT * own) or candidate in STOP_WORDS:
            continue
        if best is None or (distance, -common, candidate) < best:
            best = (distance, -common, candidate)
    return best[2] if best else None


def completions(lexicon: Lexicon, prefix: str, limit: int = 20) -> list[tuple[str, int]]:
    """Words in the index that start with ``prefix``, most frequent first, each
    with the number of articles that hold it (common words, never searched, aside)."""
    folded = prefix.lower().translate(accent_map)
    if not folded:
        return []
    found = lexicon.completions(folded, limit + len(STOP_WORDS))
    return [(word, count) for word, count in found if word not in STOP_WORDS][:limit]
