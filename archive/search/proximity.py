"""A bonus for typed words that stand near each other (BM25TP).

News queries name people and places: an article where "Hong" stands beside
"Kong", or "interest" a word or two from "rates", is likelier about them
than one that holds the words pages apart. Rasolofo and Savoy's BM25TP adds,
for each pair of typed words, a BM25-like score of how close they stand:
every place a word has the other within a few words counts 1/distance²,
summed and saturated as a term frequency is, weighed by the rarer word's
IDF. Positions are read only for the top matches (from the segments' arrays).
"""

from __future__ import annotations

from itertools import combinations, pairwise

import numpy as np

from archive.search.engine import Engine, Matches, Part
from archive.search.plans import SHIFT

WINDOW = 5  # words apart at most
RERANKED = 100  # top matches given the bonus
MOST_WORDS = 8  # typed words paired, at most
_TITLE = 1 << 30  # title positions, kept apart from the body's


def proximity(engine: Engine, typed: dict[str, float], found: Matches) -> Matches:
    """``found`` with the bonus added to its top matches' scores."""
    weight = engine.settings.proximity
    words = _held(engine, typed) if weight else {}
    pairs = _pairs(words, engine.settings.proximity_pairs)
    if not pairs:
        return found
    docnums, scores = found.docnums(engine.parts), found.score_array()
    chosen = np.sort(docnums[np.lexsort((docnums, -scores))[:RERANKED]])
    scores_now = [score.copy() for score in found.scores]
    for part, score in zip(engine.parts, scores_now, strict=True):
        start, stop = np.searchsorted(chosen, [part.base, part.base + part.size])
        local = chosen[start:stop] - part.base
        if len(local):
            score[local] += weight * _bonus(engine, part, words, pairs, local)
    return Matches(found.masks, scores_now)


def _held(engine: Engine, typed: dict[str, float]) -> dict[str, float]:
    """The typed words the archive holds, in the order typed, with their IDF."""
    held = {}
    for word in typed:
        key = word.encode("utf-8")
        count = sum(len(part.arrays.postings("body", key)[0]) for part in engine.parts)
        if count:
            held[word] = engine.idf(count)
    return held


def _pairs(words: dict[str, float], which: str) -> list[tuple[str, str]]:
    """The pairs of words whose nearness counts: each word and the next typed
    ("adjacent", as the sequential dependence model pairs them), or every
    pair of the MOST_WORDS rarest ("all")."""
    if which == "adjacent":
        typed = list(words)[: MOST_WORDS + 1]
        return list(pairwise(typed))
    rarest = sorted(words, key=lambda word: (-words[word], word))[:MOST_WORDS]
    return list(combinations(rarest, 2))


def _bonus(
    engine: Engine,
    part: Part,
    words: dict[str, float],
    pairs: list[tuple[str, str]],
    local: np.ndarray,
) -> np.ndarray:
    """Per article of ``local`` (a part's numbers, ascending): the BM25TP score."""
    keys = {word: _keys(part, word, local) for word in {w for pair in pairs for w in pair}}
    k1, b = engine.settings.k1, engine.settings.b["body"]
    lengths = part.arrays["body.lengths"][local]
    norm = k1 * (1 - b + b * lengths / engine.average_length("body"))
    total = np.zeros(len(local))
    for first, second in pairs:
        near = _nearness(keys[first], keys[second], local)
        total += min(words[first], words[second]) * (k1 + 1) * near / (norm + near)
    return total


def _keys(part: Part, word: str, local: np.ndarray) -> np.ndarray:
    """The word's places in the articles (body, then title apart), as keys."""
    body = part.arrays.positions("body", word.encode("utf-8"), local)
    title = part.arrays.positions("title", word.encode("utf-8"), local)
    return np.sort(np.concatenate((body, title + _TITLE)))


def _nearness(first: np.ndarray, second: np.ndarray, local: np.ndarray) -> np.ndarray:
    """Per article, the sum of 1/distance² from each place of ``first`` to
    the nearest place of ``second`` within WINDOW words."""
    near = np.zeros(len(local))
    if not len(first) or not len(second):
        return near
    at = np.searchsorted(second, first)
    after = second[np.minimum(at, len(second) - 1)] - first
    before = first - second[np.maximum(at - 1, 0)]
    after[after <= 0] = WINDOW + 1
    before[before <= 0] = WINDOW + 1
    distance = np.minimum(after, before)
    close = distance <= WINDOW
    docs = np.searchsorted(local, first[close] >> SHIFT)
    np.add.at(near, docs, 1.0 / distance[close].astype(np.float64) ** 2)
    return near
