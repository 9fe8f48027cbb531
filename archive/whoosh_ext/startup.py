"""What the command line does before anything else, to start fast and quietly.

Not done on import of the package: a library user's process is left as it is.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings


def prepare() -> None:
    """Quiet Whoosh's compile warnings and defer the modules it never needs here."""
    # Whoosh 2.7.4 predates Python 3.12's rules for escape sequences, so compiling
    # its modules (first run, or a read-only site-packages) prints SyntaxWarnings.
    # They say nothing about the user's data; keep them off the user's terminal.
    for category in (SyntaxWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=r".*[\\/]whoosh[\\/]")
    defer("urllib.request", "urlretrieve")
    defer("whoosh.lang.morph_en", "variations")


def defer(name: str, *functions: str) -> None:
    """Put a stand-in for module ``name`` in its place until it is really used.

    Whoosh imports two modules at start-up that a search here never uses,
    together about a fifth of a one-shot search's start: ``urllib.request``
    (for ``urlretrieve``: it loads http.client, email and ssl) and
    ``whoosh.lang.morph_en`` (for ``variations``: it compiles hundreds of
    regular expressions). The stand-in's ``functions`` and any other name
    load the real module, which then replaces the stand-in for every later
    import.
    """
    if name in sys.modules:
        return
    stand_in = types.ModuleType(name)

    def real() -> types.ModuleType:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        return importlib.import_module(name)

    def deferred(function: str) -> object:
        def call(*args: object, **kwargs: object) -> object:
            return getattr(real(), function)(*args, **kwargs)

        call.__name__ = function
        return call

    for function in functions:
        setattr(stand_in, function, deferred(function))

    def attribute(attr: str) -> object:
        if attr.startswith("__"):  # the import system probing (__path__, __file__)
            raise AttributeError(attr)
        return getattr(real(), attr)

    stand_in.__getattr__ = attribute  # type: ignore[method-assign]
    parent, _, child = name.rpartition(".")
    package = importlib.import_module(parent)  # a light package: urllib, whoosh.lang
    sys.modules[name] = stand_in
    setattr(package, child, stand_in)
