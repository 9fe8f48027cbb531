"""news-archive: a searchable archive of news articles for the terminal."""

import warnings

__version__ = "0.1.0"

# Whoosh 2.7.4 predates Python 3.12's rules for escape sequences, so compiling
# its modules (first run, or a read-only site-packages) prints SyntaxWarnings.
# They say nothing about the user's data; keep them off the user's terminal.
for _category in (SyntaxWarning, DeprecationWarning):
    warnings.filterwarnings("ignore", category=_category, module=r".*[\\/]whoosh[\\/]")
