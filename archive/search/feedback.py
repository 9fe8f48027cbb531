"""Pseudo-relevance feedback for any-word queries: Bo1 or RM3.

The words of the top articles are added to the query at a lower weight, and
the matches are scored again. Which articles match stays the same: only the
order changes. Bo1 (from the divergence-from-randomness models, as Terrier
and Anserini use it) picks the words most concentrated in the top articles
against the whole archive; RM3 (the relevance model, as Anserini runs it)
the words most probable in them, each article weighed by its score. The
engine's settings say which, and how many articles and words; measured on
CACM, CISI and Cranfield by bench/eval.py and bench/tune.py.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from whoosh.query import Query

from archive.index.analysis import terms
from archive.index.derived import TEXT_FIELDS
from archive.query import languages
from archive.search.engine import FIELD_WEIGHTS, Engine, Matches, Settings
from archive.search.plans import text_words


def feedback(engine: Engine, query: Query, found: Matches, weights: dict[str, float]) -> Matches:
    """Any-word matches re-scored with the words of the top articles added
    (``weights`` are the typed words' own). Which articles match (and so
    every count) stays the same: only the order changes."""
    settings = engine.settings
    words = text_words(languages.english(query), engine)  # other languages' stems aside
    docnums, scores = found.docnums(engine.parts), found.score_array()
    if not settings.feedback or not words or not len(docnums):
        return found
    top = np.lexsort((docnums, -scores))[: settings.feedback_articles]
    read = [article_terms(engine, int(docnums[at])) for at in top]
    typed = {word: weights.get(word, 1.0) for word in words}
    if settings.feedback == "rm3":
        expanded = rm3(read, scores[top].astype(np.float64), typed, settings)
    else:
        expanded = bo1(engine, read, typed, settings)
    if not expanded:
        return found
    for word, weight in stronger(engine, {w: expanded.get(w, 0.0) for w in typed}).items():
        expanded[word] = expanded.get(word, 0.0) + weight
    fields = dict(words)
    for word in expanded:
        fields.setdefault(word, dict(FIELD_WEIGHTS))
    rescored = engine.words(fields, expanded)
    scores_now = [
        np.where(mask, score, 0).astype(np.float32)
        for mask, score in zip(found.masks, rescored.scores, strict=True)
    ]
    return Matches(found.masks, scores_now)


def stronger(engine: Engine, typed: dict[str, float]) -> dict[str, float]:
    """A stronger stemming: the words of the index sharing a typed word's
    first ``strong_stems`` letters (a truncation stemmer), at ``strong_weight``
    of it, a few at most."""
    length, share = engine.settings.strong_stems, engine.settings.strong_weight
    found: dict[str, float] = {}
    if not length:
        return found
    reader = engine.searcher.reader()
    for word, weight in typed.items():
        if len(word) < length:
            continue
        near = [raw.decode("utf-8") for raw in reader.expand_prefix("body", word[:length])]
        for other in [w for w in near if w not in typed][:STRONG_WORDS]:
            found[other] = max(found.get(other, 0.0), share * weight)
    return found


STRONG_WORDS = 10  # added per typed word by the stronger stemming, at most


def article_terms(engine: Engine, docnum: int) -> Counter[str]:
    """The indexed words of an article, counted (a made-up title is not indexed)."""
    fields = engine.searcher.stored_fields(docnum)
    language = fields.get("language")
    counts = Counter(terms(fields.get("body") or "", language))
    if not fields.get("title_derived"):
        counts.update(terms(fields.get("title") or "", language))
    return counts


def candidates(read: list[Counter[str]], settings: Settings) -> list[str]:
    """The words of the feedback articles that may be added: those in at
    least ``feedback_in`` of them, sorted."""
    spread: Counter[str] = Counter()
    for counts in read:
        spread.update(counts.keys())
    return sorted(word for word, articles in spread.items() if articles >= settings.feedback_in)


def bo1(
    engine: Engine, read: list[Counter[str]], typed: dict[str, float], settings: Settings
) -> dict[str, float]:
    """The typed words (the strongest weighing 1) and the added ones by Bo1's
    weight, the strongest added weighing ``feedback_weight``."""
    counts: Counter[str] = sum(read, Counter())
    words = candidates(read, settings)
    weight = _bo1_weights(engine, words, counts)
    ranked = np.lexsort((np.arange(len(words)), -weight))[: settings.feedback_words]
    order = [int(i) for i in ranked if np.isfinite(weight[i])]
    if not order:
        return {}
    strongest = max(typed.values())
    expanded = {word: value / strongest for word, value in typed.items()}
    for i in order:
        added = settings.feedback_weight * float(weight[i] / weight[order[0]])
        expanded[words[i]] = expanded.get(words[i], 0.0) + added
    return expanded


def _bo1_weights(engine: Engine, words: list[str], counts: Counter[str]) -> np.ndarray:
    """Bo1's weight of each word (-inf for a word the archive does not hold)."""
    keys = [word.encode("utf-8") for word in words]
    totals = np.zeros(len(keys))
    for part in engine.parts:
        for name in TEXT_FIELDS:
            totals += part.arrays.frequencies(name, keys)
    seen = np.array([counts[word] for word in words], dtype=np.float64)
    held = totals > 0
    share = np.where(held, totals, 1) / engine.total
    weight = seen * np.log2((1 + share) / share) + np.log2(1 + share)
    weight[~held] = -np.inf
    return weight


def rm3(
    read: list[Counter[str]], scores: np.ndarray, typed: dict[str, float], settings: Settings
) -> dict[str, float]:
    """RM3: the relevance model (each word's share of an article, weighed by
    the article's score), its strongest words kept and interpolated with the
    typed words, which keep ``feedback_keep`` of the whole."""
    words = candidates(read, settings)
    if not words or scores.sum() <= 0:
        return {}
    at = {word: i for i, word in enumerate(words)}
    model = np.zeros(len(words))
    for counts, weight in zip(read, scores / scores.sum(), strict=True):
        length = sum(counts.values())
        for word, count in counts.items():
            if word in at:
                model[at[word]] += weight * count / length
    ranked = np.lexsort((np.arange(len(words)), -model))[: settings.feedback_words]
    kept = model[ranked].sum()
    typed_total = sum(typed.values())
    expanded = {word: settings.feedback_keep * value / typed_total for word, value in typed.items()}
    for i in ranked.tolist():
        share = (1 - settings.feedback_keep) * float(model[i] / kept)
        expanded[words[i]] = expanded.get(words[i], 0.0) + share
    return expanded
