"""The small family of errors the library raises.

Each carries a one-line message for the user and, where there is one, a hint
saying what to do next. The command line turns them into one line on stderr.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What the command line's exit status means (grep's, for searches)."""

    OK = 0  # success; a search found something
    NONE = 1  # a search found nothing (or a page past the last); no such article
    ERROR = 2  # bad usage, a bad query, a missing or damaged index, a failed write
    PARTIAL = 3  # some inputs could not be read and were skipped; the rest was done
    LOCKED = 4  # --no-wait, and another process is writing the index
    INTERRUPTED = 130  # Ctrl-C


class ArchiveError(Exception):
    """Base class: ``str(err)`` is the line shown to the user."""

    exit_code = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class IndexMissing(ArchiveError):
    """No index exists at the location in use."""


class IndexLocked(ArchiveError):
    """Another process holds the index's write lock."""

    exit_code = ExitCode.LOCKED


class IndexReadOnly(ArchiveError):
    """The index may be read but not written (its folder's permissions)."""


class IndexUnreadable(ArchiveError):
    """The index exists but cannot be opened (corrupt, foreign or unreadable)."""


class SchemaMismatch(ArchiveError):
    """The index was built by another version of the schema."""


class QueryError(ArchiveError):
    """The query cannot be run as written."""


class ArticleNotFound(ArchiveError):
    """No article has the requested ID."""

    exit_code = ExitCode.NONE
