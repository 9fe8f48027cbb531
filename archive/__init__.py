"""news-archive: a searchable archive of news articles for the terminal.

Importing the package changes nothing global; the command line's entry point
(archive.cli.run) quiets Whoosh's compile warnings and defers the modules
Whoosh imports but a search never uses (archive.whoosh_ext.startup).
"""

__version__ = "0.1.0"
