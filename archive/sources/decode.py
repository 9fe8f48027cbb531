"""Bytes to text, whatever the encoding, without losing a character.

UTF-8 (with or without BOM) and UTF-16 with a BOM are read directly. Text
that is UTF-8 but for a few stray bytes (a Latin-1 pound sign pasted into
an otherwise UTF-8 article) keeps its UTF-8 and reads each stray byte as
Windows-1252. Anything else goes to charset-normalizer's detection.
"""

from __future__ import annotations

import codecs

# More stray bytes than this share of the text means "not UTF-8 at all".
STRAY_BYTE_SHARE = 0.01


class Undecodable(ValueError):
    """No encoding makes sense of these bytes."""


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    stray = error.object[error.start : error.end]
    return stray.decode("cp1252", errors="replace"), error.end


codecs.register_error("archive-cp1252", _cp1252_fallback)


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """The text in ``data`` and the name of the encoding it was read as."""
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(name), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        first = err
    stray = _count_stray(data)
    if stray <= max(1, STRAY_BYTE_SHARE * len(data)):
        return data.decode("utf-8", errors="archive-cp1252"), "utf-8 (stray cp1252 bytes)"
    if declared:
        try:
            return data.decode(declared), declared
        except (LookupError, UnicodeDecodeError):
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise Undecodable(
            f"not text in any known encoding (first bad byte at offset {first.start})"
        )
    return str(best), best.encoding


def _count_stray(data: bytes) -> int:
    """Bytes that are not part of valid UTF-8 (each becomes a lone surrogate)."""
    text = data.decode("utf-8", errors="surrogateescape")
    return sum(1 for char in text if "\udc80" <= char <= "\udcff")
