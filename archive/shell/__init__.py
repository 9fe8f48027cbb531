"""The interactive search shell: one module per concern.

``app`` builds the session and runs the loop, ``commands`` holds the
``:command`` registry, ``completer``, ``lexer``, ``preview`` and ``toolbar``
serve the prompt, and ``pager`` shows long articles.
"""

from archive.shell.app import build_session, main, run_lines
from archive.shell.commands import COMMANDS

__all__ = ["COMMANDS", "build_session", "main", "run_lines"]
