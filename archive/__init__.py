"""news-archive: a searchable archive of news articles for the terminal."""

import warnings

__version__ = "0.1.0"

# Whoosh 2.7.4 predates Python 3.12's rules for escape sequences, so compiling
# its modules (first run, or a read-only site-packages) prints SyntaxWarnings.
# They say nothing about the user's data; keep them off the user's terminal.
for _category in (SyntaxWarning, DeprecationWarning):
    warnings.filterwarnings("ignore", category=_category, module=r".*[\\/]whoosh[\\/]")


def _defer_urllib_request() -> None:
    """Whoosh imports ``urlretrieve`` from ``urllib.request`` at start-up and
    never calls it here; loading that module (http.client, email, ssl) costs
    a one-shot search about 25 ms. Until something really uses it, a stand-in
    takes its place: its ``urlretrieve`` and any other name load the real
    module, which then replaces the stand-in for every later import."""
    import sys
    import types

    if "urllib.request" in sys.modules:
        return

    def real() -> types.ModuleType:
        import importlib

        if sys.modules.get("urllib.request") is stand_in:
            del sys.modules["urllib.request"]
        return importlib.import_module("urllib.request")

    def urlretrieve(*args: object, **kwargs: object) -> object:
        return real().urlretrieve(*args, **kwargs)

    stand_in = types.ModuleType("urllib.request")
    stand_in.urlretrieve = urlretrieve  # type: ignore[attr-defined]

    def attribute(name: str) -> object:
        if name.startswith("__"):  # the import system probing (__path__, __file__)
            raise AttributeError(name)
        return getattr(real(), name)

    stand_in.__getattr__ = attribute  # type: ignore[method-assign]
    sys.modules["urllib.request"] = stand_in
    import urllib

    urllib.request = stand_in  # type: ignore[attr-defined]


_defer_urllib_request()
