"""Search as you type, without ever blocking the keyboard.

Each change of the query line is handed to one worker thread. The worker
always runs the newest text and skips any it was given in between
(coalescing), so fast typing never builds a queue and an idle worker answers
at once. When a result is ready the prompt is asked to redraw.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from archive.errors import ArchiveError
from archive.model import Preview, SearchRequest
from archive.search.reader import Reader

PREVIEW_TITLES = 3
COMPLETIONS = 4  # words shown for the word being typed


@dataclass(frozen=True)
class Shown:
    """What the toolbar shows for one query text: hits, or why there are none,
    and what the word being typed can complete to."""

    text: str
    preview: Preview | None = None
    error: str | None = None
    latency: float = 0.0  # seconds from the keystroke to this result
    word: str = ""  # the word being typed, if the cursor is in one
    completions: tuple[tuple[str, int], ...] = ()  # words it can become, with articles


class Previewer:
    """Previews each text as ``request()`` would search it (the shell's options)."""

    def __init__(
        self,
        reader: Reader,
        redraw: Callable[[], None] = lambda: None,
        request: Callable[[], SearchRequest] = lambda: SearchRequest(""),
    ) -> None:
        self.reader = reader
        self.redraw = redraw
        self.request = request
        self.latest: Shown | None = None
        self.latencies: list[float] = []  # keystroke-to-result, for measurement
        self._pending: tuple[str, str, float] | None = None
        self._submitted: tuple[str, str] | None = None
        self._busy = False
        self._closed = False  # no worker starts once closed
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    def submit(self, text: str, word: str = "", again: bool = True) -> None:
        """Preview ``text`` as soon as the worker is free (newest text wins),
        and find what ``word``, the word being typed, can complete to.

        With ``again=False`` nothing is done if these were the last submitted.
        """
        if self._closed or (not again and (text, word) == self._submitted):
            return
        self._submitted = (text, word)
        if not wanted(text):
            self.latest = None
            return
        with self._lock:
            self._pending = (text, word, time.perf_counter())
            if self._busy:
                return
            self._busy = True
            self._idle.clear()
        threading.Thread(target=self._work, name="archive-preview", daemon=True).start()

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until the worker is idle (for tests and measurement)."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        self._closed = True
        self.wait()

    def _work(self) -> None:
        while True:
            with self._lock:
                if self._pending is None:
                    self._busy = False
                    self._idle.set()
                    return
                text, word, started = self._pending
                self._pending = None
            self.latest = self._compute(text, word, started)
            self.latencies.append(self.latest.latency)
            self.redraw()

    def _compute(self, text: str, word: str, started: float) -> Shown:
        found: Preview | None = None
        error: str | None = None
        words: tuple[tuple[str, int], ...] = ()
        try:
            if word:
                words = tuple(self.reader.completions(word, COMPLETIONS))
            prepared = self.reader.prepare(replace(self.request(), query=text))
            found = self.reader.preview(prepared, top=PREVIEW_TITLES)
        except ArchiveError as err:
            error = err.message
        except Exception as err:  # the worker must live on: the next key may succeed
            error = f"{type(err).__name__}: {err}"
        latency = time.perf_counter() - started
        return Shown(text, found, error, latency, word, words)


def wanted(text: str) -> bool:
    """Commands and blank lines have nothing to preview."""
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith(":")
