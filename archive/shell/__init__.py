"""The interactive search shell: one module per concern.

``app`` builds the session and runs the loop, ``commands`` holds the
``:command`` registry and the commands that search and show, ``keeping``
those that filter and save, ``desk`` those that tag, mark and note,
``citing`` those that browse to and cite an article;
``completer``, ``lexer``, ``preview`` and ``toolbar`` serve the prompt, and
``pager`` shows long output.
"""

from archive.shell import citing, desk  # registers :browse, :cite, :tag, :mark, :note
from archive.shell.app import build_session, main, run_lines
from archive.shell.commands import COMMANDS
from archive.shell.keeping import filters_line  # registers the filtering and saving commands

__all__ = ["COMMANDS", "build_session", "citing", "desk", "filters_line", "main", "run_lines"]
