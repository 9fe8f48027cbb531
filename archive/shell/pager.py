"""Show a long renderable through the user's pager, colours kept."""

from __future__ import annotations

import os
import shlex
import subprocess

from rich.console import Console, RenderableType

ENV_PAGER = "ARCHIVE_PAGER"


def page(console: Console, renderable: RenderableType) -> None:
    """Page ``renderable`` with $ARCHIVE_PAGER, $PAGER or less; print it when there is none."""
    if not console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    command = os.environ.get(ENV_PAGER) or os.environ.get("PAGER") or "less"
    env = dict(os.environ)
    env.setdefault("LESS", "R")  # let less pass colours through
    try:
        subprocess.run(shlex.split(command), input=captured.get(), text=True, env=env, check=False)
    except (OSError, ValueError):
        console.print(renderable)
