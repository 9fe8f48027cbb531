"""Any-word queries ranked as a question: its plain words weigh little, the
top articles' words refine the order (archive.search.feedback), and typed
words standing near each other count (archive.search.proximity).

A question asked in words ("what is known about the effect of interest
rates on ...") holds words the index keeps, because a search for them must
still find them, but that say nothing of the subject. In an any-word query
they weigh ``Settings.plain_weight`` of a typed word, as Terrier and Lucene
stop a query's function words; they still match, so every count stays that
of the typed words. A query of nothing but such words keeps its weights.
"""

from __future__ import annotations

from functools import cache

from whoosh.analysis import STOP_WORDS
from whoosh.query import Query

from archive.index.analysis import stemmer
from archive.search.engine import Engine, Matches
from archive.search.feedback import feedback
from archive.search.proximity import proximity

# Function and question words (a common English stop list, less the words
# the index never holds and "who", which news names as an organisation).
PLAIN_WORDS = """
i me my myself our ours ourselves yourself yourselves he him his himself she her hers
herself its itself they them their theirs themselves what which whom these those am was
were been being has had having do does did doing but because until while about against
between into through during before after above below up down out off over under again
further then once here there where why how all any both each few more most other some
such no nor only own same so than too very just should now also would could might must
shall upon within without whether however therefore thus
""".split()


@cache
def plain_stems() -> frozenset[str]:
    """The plain words as the index stems them."""
    kept = [word for word in PLAIN_WORDS if word not in STOP_WORDS]
    return frozenset(stemmer().stemWords(kept))


def typed_weights(engine: Engine, weights: dict[str, float]) -> dict[str, float]:
    """The typed words' weights, the plain words' lowered (unless all are plain)."""
    plain = plain_stems()
    if all(word in plain for word in weights):
        return weights
    lowered = engine.settings.plain_weight
    return {word: value * lowered if word in plain else value for word, value in weights.items()}


def refined(engine: Engine, query: Query, found: Matches, weights: dict[str, float]) -> Matches:
    """The any-word matches re-scored: feedback, then the nearness of typed words."""
    typed = {word: value for word, value in weights.items() if word not in plain_stems()}
    return proximity(engine, typed, feedback(engine, query, found, weights))
