"""How articles are scored: BM25 with the IDF that Lucene and Elasticsearch use.

Whoosh's default IDF, log(N / (df + 1)) + 1, keeps words found in most
articles ("said", "report", "articles") heavily weighted, so long
natural-language queries drift toward whatever they mention most. Lucene's
BM25 IDF, log(1 + (N - df + 0.5) / (df + 0.5)), gives such words almost no
weight and is never negative. On the CACM test collection this raised MAP
from 0.274 to 0.284 (bench/eval.py). Field lengths are read directly
(archive.whoosh_ext.lengths).
"""

from __future__ import annotations

from math import log
from typing import Any

from whoosh import scoring

from archive.whoosh_ext.lengths import field_lengths


class NewsBM25F(scoring.BM25F):
    def idf(self, searcher: Any, fieldname: str, text: Any) -> float:
        found = searcher.doc_frequency(fieldname, text)
        total = searcher.doc_count_all()
        return log(1 + (total - found + 0.5) / (found + 0.5))

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        found = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(found, scoring.BM25FScorer):
            lengths = field_lengths(searcher.reader(), fieldname)
            if lengths is not None:
                found.dfl = lengths
        return found


WEIGHTING = NewsBM25F()
