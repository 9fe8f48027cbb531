"""news-archive: a searchable archive of news articles for the terminal.

Importing the package changes nothing global. The command's entry point
(archive.launch.main) hands read-only one-shot commands to a running
``archive serve`` if there is one; otherwise archive.cli.run quiets Whoosh's
compile warnings and defers the modules Whoosh imports but a search never
uses (archive.whoosh_ext.startup).
"""

__version__ = "0.1.0"
