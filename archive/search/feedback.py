"""Pseudo-relevance feedback (Bo1) for any-word queries.

The words most concentrated in the top articles, against the whole archive
(Bo1, from the divergence-from-randomness models, as Terrier and Anserini
use it), are added to the query at a lower weight, and the matches are
scored again. Which articles match stays the same: only the order changes.
Measured on CACM and CISI by bench/eval.py.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from whoosh.query import Query

from archive.index.analysis import terms
from archive.index.derived import TEXT_FIELDS
from archive.search.engine import FIELD_WEIGHTS, Engine, Matches
from archive.search.plans import text_words

FEEDBACK_ARTICLES = 10  # top articles whose words expand an any-word query
FEEDBACK_WORDS = 10  # words added
FEEDBACK_WEIGHT = 0.3  # of the strongest added word, against the strongest typed one


def feedback(engine: Engine, query: Query, found: Matches, weights: dict[str, float]) -> Matches:
    """Any-word matches re-scored with the words of the top articles (Bo1
    pseudo-relevance feedback, as in Terrier and Anserini): the words
    most concentrated in the top ten articles, compared with the whole
    archive, are added to the query at a lower weight. Which articles
    match (and so every count) stays the same: only the order changes."""
    words = text_words(query, engine)
    docnums, scores = found.docnums(engine.parts), found.score_array()
    if not words or not len(docnums):
        return found
    top = docnums[np.lexsort((docnums, -scores))][:FEEDBACK_ARTICLES]
    counts: Counter[str] = Counter()
    for docnum in top:
        fields = engine.searcher.stored_fields(int(docnum))
        counts.update(terms(fields.get("body") or ""))
        if not fields.get("title_derived"):  # a made-up title is not indexed
            counts.update(terms(fields.get("title") or ""))
    added = _expansion(engine, counts)
    if not added:
        return found
    typed = {word: weights.get(word, 1.0) for word in words}
    strongest = max(typed.values())
    new_weights = {word: weight / strongest for word, weight in typed.items()}
    fields = dict(words)
    for word, weight in added.items():
        new_weights[word] = new_weights.get(word, 0.0) + weight
        fields.setdefault(word, dict(FIELD_WEIGHTS))
    rescored = engine.words(fields, new_weights)
    scores_now = [
        np.where(mask, score, 0).astype(np.float32)
        for mask, score in zip(found.masks, rescored.scores, strict=True)
    ]
    return Matches(found.masks, scores_now)


def _expansion(engine: Engine, counts: Counter[str]) -> dict[str, float]:
    """Bo1's weight of each word of the feedback articles, the strongest few
    scaled so that the first weighs FEEDBACK_WEIGHT."""
    candidates = sorted(counts)
    keys = [word.encode("utf-8") for word in candidates]
    totals = np.zeros(len(keys))
    for part in engine.parts:
        for field in TEXT_FIELDS:
            totals += part.arrays.frequencies(field, keys)
    seen = np.array([counts[word] for word in candidates], dtype=np.float64)
    kept = totals > 0
    share = np.where(kept, totals, 1) / engine.total
    weight = seen * np.log2((1 + share) / share) + np.log2(1 + share)
    weight[~kept] = -np.inf
    ranked = np.lexsort((np.arange(len(candidates)), -weight))[:FEEDBACK_WORDS]
    order = [int(i) for i in ranked if kept[i]]
    if not order:
        return {}
    strongest = weight[order[0]]
    return {candidates[i]: FEEDBACK_WEIGHT * float(weight[i] / strongest) for i in order}
