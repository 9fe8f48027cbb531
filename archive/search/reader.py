"""The archive opened for reading: the one door every search goes through.

A ``Reader`` owns what reading needs and what it may keep between requests:
the index, searchers with their engines over the segments' arrays
(refreshed when the index changes, so a long-lived shell or server sees each
commit), the ranking, the spelling variants already looked up, and the
matches of the last request. A request is taken apart once, by
``prepare``; search, preview, facets, timelines, show and the rest take
that ``Prepared`` value, never its pieces.

Whoosh's searchers are not shared between threads: each request checks an
engine out of a small pool for itself (the shell's preview thread and its
prompt use one reader).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from archive.index import desk
from archive.index.store import Store, find_article, identity
from archive.model import (
    Article,
    Facet,
    Highlighted,
    Outlet,
    Preview,
    Results,
    SearchRequest,
    Timeline,
)
from archive.query import spelling
from archive.query.variants import Known
from archive.search import coverage, hits
from archive.search.engine import Engine
from archive.search.outlets import outlets
from archive.search.prepared import Prepared, prepare
from archive.search.ranking import WEIGHTING
from archive.search.show import highlighted
from archive.search.similar import similar


class Reader:
    """The archive at one path, open for reading."""

    def __init__(self, store: Store, owned: bool = False) -> None:
        self.store = store
        self._owned = owned  # closed with the reader (opened by it)
        self.known = Known()  # spelling variants looked up, per version of the index
        self._idle: list[Engine] = []
        self._closed = False
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> Reader:
        return cls(Store.open(path), owned=True)

    @property
    def path(self) -> Path:
        return self.store.path

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle, self._closed = self._idle, [], True
        for engine in idle:
            engine.searcher.close()
        if self._owned:
            self.store.close()

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """An engine over the index as it is now, this thread's alone while held."""
        with self._lock:
            engine = self._idle.pop() if self._idle else None
        engine = self._fresh(engine)
        try:
            yield engine
        finally:
            with self._lock:
                kept = not self._closed
                if kept:
                    self._idle.append(engine)
            if not kept:  # the reader was closed meanwhile
                engine.searcher.close()

    def _fresh(self, engine: Engine | None) -> Engine:
        if engine is None:
            return Engine(self.path, self.store.ix.searcher(weighting=WEIGHTING))
        searcher = engine.searcher.refresh()
        return engine if searcher is engine.searcher else Engine(self.path, searcher)

    # -- requests ---------------------------------------------------------------------

    def prepare(self, request: SearchRequest | str) -> Prepared:
        """The request taken apart, ready to run (or a QueryError saying why not)."""
        request = SearchRequest(request) if isinstance(request, str) else request
        with self.engine() as engine:
            version = (str(self.path), engine.searcher.reader().generation())
            marks = partial(kept, self.path)
            words, held = engine.lexicon(), engine.languages()
            return prepare(request, engine.searcher, words, self.known, version, marks, held)

    def search(self, prepared: Prepared, suggestions: bool = True) -> Results:
        """A page of ranked hits with snippets (and a spelling suggestion)."""
        with self.engine() as engine:
            found = hits.results(engine, prepared, self._matched(engine, prepared), suggestions)
        return desk.annotated(self.path, found)

    def preview(self, prepared: Prepared, top: int = 3) -> Preview:
        """The hit count and the top titles, as search-as-you-type shows them."""
        with self.engine() as engine:
            return hits.preview(engine, prepared, top)

    def facets(self, prepared: Prepared, names: list[str]) -> list[Facet]:
        """The matches counted by source, author, tags, the user's tags or period."""
        with self.engine() as engine:
            tags = desk.tags(self.path) if "tag" in names else None
            return coverage.facets(engine, self._matched(engine, prepared), names, tags)

    def timeline(self, prepared: Prepared, by: str = "month", normalized: bool = False) -> Timeline:
        """The matches per period, and the top story of the busiest."""
        with self.engine() as engine:
            matched = self._matched(engine, prepared)
            return coverage.timeline(engine, prepared, matched, by, normalized)

    def sources(self) -> tuple[list[Outlet], int]:
        """Every source with its articles and dates, and the articles with none."""
        with self.engine() as engine:
            return outlets(engine)

    def ranked(
        self, prepared: Prepared, depth: int | None = None
    ) -> list[tuple[dict[str, Any], float]]:
        """The stored fields and score of each match, best first (ties in index
        order), the first ``depth`` of them: every copy, for evaluations and watches."""
        with self.engine() as engine:
            docnums, scores = self._matched(engine, prepared)
            order = np.lexsort((docnums, -scores.astype(np.float64)))[:depth]
            stored = engine.searcher.stored_fields
            return [(dict(stored(int(docnums[at]))), float(scores[at])) for at in order]

    def _matched(self, engine: Engine, prepared: Prepared) -> hits.Matched:
        """Every match of the request and its score; the last request's are
        kept, so that facets beside a page of hits count the same matches."""
        if engine.remembered is not None and engine.remembered[0] is prepared:
            return engine.remembered[1]
        matched = hits.matches(engine, prepared)
        engine.remembered = (prepared, matched)
        return matched

    # -- articles -----------------------------------------------------------------------

    def get(self, article_id: str) -> Article:
        """The article with this ID (or the one ID starting so), with its copies."""
        with self.engine() as engine:
            return find_article(self.path, engine.searcher, article_id)

    def show(self, article_id: str, prepared: Prepared | None = None) -> Highlighted:
        """An article in full, with what the request matches in it highlighted."""
        shown = highlighted(self.get(article_id), prepared)
        kept, marks, note = desk.kept_with(self.path, shown.article.id)
        return replace(shown, kept=kept, marks=marks, note=note)

    def similar(
        self, article_id: str, *, limit: int = 10, page: int = 1, snippets: int = 3
    ) -> Results:
        """A page of the articles most like this one, with the key terms they share."""
        with self.engine() as engine:
            article = find_article(self.path, engine.searcher, article_id)
            found = similar(engine.searcher, article, limit=limit, page=page, snippets=snippets)
        return desk.annotated(self.path, found)

    def completions(self, prefix: str, limit: int = 20) -> list[tuple[str, int]]:
        """Words of the index that start with ``prefix``, most frequent first,
        with how many articles hold each."""
        with self.engine() as engine:
            return spelling.completions(engine.lexicon(), prefix, limit)

    @property
    def articles(self) -> int:
        """How many articles the index holds now."""
        with self.engine() as engine:
            return int(engine.searcher.doc_count())


def kept(path: Path, kind: str, name: str) -> frozenset[str]:
    """The IDs of the articles the user tagged ``name`` (``kind`` "tag"),
    marked so (``kind`` "mark") or noted with these words (``kind`` "note")."""
    read = {"tag": desk.tagged, "note": desk.noted}.get(kind, desk.marked)
    return read(path, name)


class Readers:
    """A resident server's open readers, one per index, each kept while its
    index is the same (not written, rebuilt or replaced since: then it is
    opened afresh), the least recently used closed past a few."""

    KEPT = 8

    def __init__(self) -> None:
        self._open: OrderedDict[Path, tuple[tuple[int, ...], Reader]] = OrderedDict()

    def reader(self, path: Path, open_store: Callable[[], Store]) -> Reader:
        current = identity(path)
        known = self._open.pop(path, None)
        if known is not None and known[0] == current and current is not None:
            self._open[path] = known
            return known[1]
        if known is not None:
            known[1].close()
        reader = Reader(open_store(), owned=True)
        if current is not None:
            self._open[path] = (current, reader)
            while len(self._open) > self.KEPT:
                self._open.popitem(last=False)[1][1].close()
        return reader

    def close(self) -> None:
        while self._open:
            self._open.popitem()[1][1].close()
