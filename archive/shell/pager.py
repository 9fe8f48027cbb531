"""Show a long renderable through the user's pager, colours kept."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterable
from typing import Protocol

from rich.console import Console, RenderableType

ENV_PAGER = "ARCHIVE_PAGER"


class Pager(Protocol):
    def __call__(
        self, console: Console, renderable: RenderableType, pattern: str | None = None
    ) -> None: ...


def page(console: Console, renderable: RenderableType, pattern: str | None = None) -> None:
    """Page ``renderable`` with $ARCHIVE_PAGER, $PAGER or less; print it when there is none.

    With a ``pattern`` (a regular expression), less starts at its first
    match and n and N move between the matches.
    """
    if not console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    command = shlex.split(os.environ.get(ENV_PAGER) or os.environ.get("PAGER") or "less")
    if pattern and command and os.path.basename(command[0]) == "less":
        command.append(f"+/{pattern}")
    env = dict(os.environ)
    env.setdefault("LESS", "R")  # let less pass colours through
    try:
        subprocess.run(command, input=captured.get(), text=True, env=env, check=False)
    except (OSError, ValueError):
        console.print(renderable)


def pattern_for(words: Iterable[str]) -> str | None:
    """A pattern less finds any of these words (as written) with."""
    found = sorted({w for w in words if w.strip()}, key=lambda w: (-len(w), w))[:30]
    return "|".join(re.escape(word) for word in found) or None
