"""Progress of a long indexing run, on stderr.

On a terminal: a rich progress line (articles so far, current file). Piped:
a quiet line every few thousand articles. Unreadable inputs are reported as
one line each, with the file (and line or record) and the reason.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

from archive.escape import safe_line
from archive.model import Problem, SyncReport
from archive.present.wording import counted

QUIET_EVERY = 5000  # articles between progress lines when not on a terminal


def waiting_line(holder: str) -> str:
    return safe_line(f"archive: the index is being written by {holder}; waiting for it to finish…")


def partitions_line(written: int, sent: int) -> str:
    noun = "partition" if sent == 1 else "partitions"
    return f"archive: {written} of {sent:,} {noun} written on the cluster"


def _problem_line(problem: Problem) -> str:
    """One line, whatever the file name holds (escape codes are shown escaped)."""
    verb = "skipped" if problem.skipped else "warning:"
    return safe_line(f"archive: {verb} {problem.path}: {problem.reason}")


class LineProgress:
    """For pipes and logs: a line every QUIET_EVERY articles."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def file(self, path: str) -> None:
        pass

    def article(self, report: SyncReport) -> None:
        self.count += 1
        if self.count % QUIET_EVERY == 0:
            print(f"archive: {counted(self.count, 'article')} read…", file=sys.stderr, flush=True)

    def problem(self, problem: Problem) -> None:
        print(_problem_line(problem), file=sys.stderr, flush=True)

    def waiting(self, holder: str) -> None:
        print(waiting_line(holder), file=sys.stderr, flush=True)

    def partitions(self, written: int, sent: int) -> None:
        print(partitions_line(written, sent), file=sys.stderr, flush=True)


class BarProgress:
    """For a terminal: a live line that never scrolls the screen away."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True, highlight=False)
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),  # file names are data
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.bar.add_task("reading…")
        self.count = 0
        self.path = ""
        self.shown = 0.0

    def __enter__(self) -> BarProgress:
        self.bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.bar.stop()

    def file(self, path: str) -> None:
        self.path = path
        self._show()

    def article(self, report: SyncReport) -> None:
        self.count += 1
        self._show()

    def problem(self, problem: Problem) -> None:
        from rich.text import Text

        self.console.print(Text(_problem_line(problem), style="yellow"))

    def waiting(self, holder: str) -> None:
        from rich.text import Text

        self.console.print(Text(waiting_line(holder), style="yellow"))

    def partitions(self, written: int, sent: int) -> None:
        self.console.print(partitions_line(written, sent), markup=False)

    def _show(self) -> None:
        now = time.monotonic()
        if now - self.shown > 0.1:
            self.shown = now
            from archive.escape import safe

            name = safe(self.path[-60:])
            self.bar.update(self.task, description=f"{counted(self.count, 'article')} · {name}")


def for_stderr() -> Any:
    return BarProgress() if sys.stderr.isatty() else LineProgress()
