"""Which files and folders inside a folder are passed over: glob patterns, read
as rsync and ripgrep read them.

A pattern without a slash is matched against the name of every file and
folder, at any depth (``README*``); one with a slash, against the path
relative to the folder given (``drafts/*.txt``; a leading ``/`` changes
nothing). ``*`` and ``?`` stay inside one name, ``**`` crosses folders and
``[...]`` is a class; a pattern that ends in ``/`` matches folders only. Case
is ignored: ``README*`` passes over readme.txt too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    by_path: bool  # matched against the relative path, not the name
    folders_only: bool

    def matches(self, relative: str, folder: bool) -> bool:
        if self.folders_only and not folder:
            return False
        subject = relative if self.by_path else relative.rsplit("/", 1)[-1]
        return self.regex.fullmatch(subject) is not None


class Exclusions:
    """Glob patterns for the files and folders a walk passes over."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        self.patterns = tuple(pattern for pattern in patterns if pattern.strip("/ "))
        self._rules = [_rule(pattern) for pattern in self.patterns]

    def matches(self, relative: str, folder: bool = False) -> bool:
        """Whether the file (or folder) at this path, relative to the folder
        given and written with ``/``, is passed over."""
        return any(rule.matches(relative, folder) for rule in self._rules)

    def covers(self, relative: str) -> bool:
        """Whether the file at this path, or a folder on the way to it, is passed over."""
        parts = relative.split("/")
        return any(
            self.matches("/".join(parts[:end]), folder=end < len(parts))
            for end in range(1, len(parts) + 1)
        )


def _rule(pattern: str) -> _Rule:
    body = pattern.strip()
    folders_only = body.endswith("/")
    body = body.rstrip("/")
    by_path = "/" in body
    regex = re.compile(translate(body.lstrip("/")), re.IGNORECASE)
    return _Rule(regex, by_path, folders_only)


def translate(glob: str) -> str:
    """A regular expression for a glob in which ``*`` and ``?`` do not cross ``/``."""
    out: list[str] = []
    at = 0
    while at < len(glob):
        piece, at = _token(glob, at)
        out.append(piece)
    return "".join(out)


def _token(glob: str, at: int) -> tuple[str, int]:
    """The regular expression for the glob's token at ``at``, and where the next begins."""
    if glob.startswith("**/", at):
        return "(?:.*/)?", at + 3  # any folders, or none
    if glob.startswith("**", at):
        return ".*", at + 2
    char = glob[at]
    if char == "*":
        return "[^/]*", at + 1
    if char == "?":
        return "[^/]", at + 1
    end = glob.find("]", at + 2) if char == "[" else -1
    if end < 0:
        return re.escape(char), at + 1
    inner = glob[at + 1 : end].replace("\\", "\\\\").replace("[", "\\[")
    if inner.startswith("!"):
        inner = "^" + inner[1:]
    elif inner.startswith("^"):
        inner = "\\" + inner
    return f"[{inner}]", end + 1
