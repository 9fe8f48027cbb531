"""A response's body read within bounds: each content coding is inflated a
piece at a time, and no layer may grow past the size limit, so a compression
bomb, nested ones too (gzip inside gzip), costs a few pieces of memory
whatever it would inflate to."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Any

# The most one layer inflates in one step: each layer holds at most this.
PIECE = 64 * 1024
# The codings the archive asks for (Accept-Encoding); anything else is refused.
ACCEPTED = "gzip, deflate"
_WINDOW = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class Refused(ValueError):
    """A body the archive will not read, with the reason in words."""


def codings(header: str) -> list[str]:
    """The content codings of a Content-Encoding header, in the order applied."""
    found = [name.strip().lower() for name in header.split(",") if name.strip()]
    for name in found:
        if name != "identity" and name not in _WINDOW:
            raise Refused(f"a content coding the archive did not ask for ({name!r})")
    return [name for name in found if name != "identity"]


def read(raw: Iterable[bytes], applied: list[str], limit: int) -> bytes:
    """The body, undone layer by layer from the last coding applied; Refused
    when the data, or any layer inflated from it, is over ``limit`` bytes."""
    mb = f"{limit / 2**20:g} MB"
    pieces: Iterable[bytes] = _capped(raw, limit, f"more than {mb}")
    for name in reversed(applied):
        bomb = f"more than {mb} once inflated (a compression bomb)"
        pieces = _capped(_inflated(pieces, name), limit, bomb)
    body = bytearray()
    for piece in pieces:
        body += piece
    return bytes(body)


def _capped(pieces: Iterable[bytes], limit: int, too_much: str) -> Iterator[bytes]:
    total = 0
    for piece in pieces:
        total += len(piece)
        if total > limit:
            raise Refused(too_much)
        yield piece


def _inflated(pieces: Iterable[bytes], name: str) -> Iterator[bytes]:
    inflater = _Inflater(name)
    for piece in pieces:
        yield from inflater.inflate(piece)


class _Inflater:
    """One coding undone, at most PIECE bytes at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.zlib: Any = None if name == "deflate" else zlib.decompressobj(_WINDOW[name])
        self.head = b""  # deflate's first bytes, until they say which kind it is

    def inflate(self, data: bytes) -> Iterator[bytes]:
        if self.zlib is None:
            data = self._choose(data)
        while data and not self.zlib.eof:  # what follows the end is not the body's
            piece = self._step(data)
            data = self.zlib.unconsumed_tail
            if piece:
                yield piece
            while len(piece) == PIECE and not data:  # more may wait inside
                piece = self._step(b"")
                if piece:
                    yield piece

    def _choose(self, data: bytes) -> bytes:
        """Deflate with its zlib header, as RFC 9110 says, or without, as some
        servers send it: the first two bytes tell (RFC 1950's check)."""
        self.head += data
        if len(self.head) < 2:
            return b""
        wrapped = self.head[0] & 0x0F == 8 and int.from_bytes(self.head[:2], "big") % 31 == 0
        self.zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return self.head

    def _step(self, data: bytes) -> bytes:
        try:
            piece: bytes = self.zlib.decompress(data, PIECE)
            return piece
        except zlib.error as err:
            raise Refused(f"corrupt {self.name} data ({err})") from None
