"""Every use of Whoosh's private internals, in one package.

The archive keeps its index a Whoosh index and uses Whoosh's public API
wherever it can; where it cannot (a correction, or a shortcut a profile
asked for), the code is here, and each module lists in ``INTERNALS`` the
private names it relies on. tests/test_whoosh_ext.py checks that every one
still exists with the shape expected, so that a Whoosh upgrade fails in one
named place rather than somewhere in a search.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Internal:
    """A private name of Whoosh's that the archive relies on."""

    owner: str  # "module:Class" or "module"
    name: str
    kind: str  # "method" (with its parameters), "attribute" or "function"
    parameters: tuple[str, ...] = ()  # of a method or function, self aside


INTERNALS: list[Internal] = []


def uses(*internals: Internal) -> None:
    INTERNALS.extend(internals)
