"""Text from strangers made safe for a terminal, without importing rich."""

from __future__ import annotations

import codecs
import io
import re
import unicodedata

# C0/C1 controls (but newline and tab), DEL, and bidirectional overrides that
# can reorder what the terminal shows.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """Text with every control character made visible as an escape."""
    return _UNSAFE.sub(_escape, text)


def safe_line(text: str) -> str:
    """One line of output: control characters and newlines escaped."""
    return safe(text).replace("\n", "\\n").replace("\t", " ")


# What the archive writes (and articles hold) that a narrow encoding lacks,
# in plain ASCII; anything else loses its accents (é as e), or becomes "?".
ASCII = {
    "…": "...", "·": "-", "¶": "|", "→": "->", "←": "<-", "↑": "^", "↓": "v",
    "█": "#", "—": "--", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"',
    "«": '"', "»": '"', "×": "x", "∩": "&", "：": ":", "\u00a0": " ",
}  # fmt: skip
FALLBACK = "archive.ascii"  # the name of the error handler that writes them


def _in_ascii(err: UnicodeError) -> tuple[str | bytes, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    char = err.object[err.start]
    if 0xDC80 <= ord(char) <= 0xDCFF:  # a byte no encoding could read (a file name's)
        return bytes([ord(char) - 0xDC00]), err.start + 1  # as surrogateescape writes it
    return _ascii(char), err.start + 1


def _ascii(char: str) -> str:
    if char in ASCII:
        return ASCII[char]
    bare = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return bare or "?"


def fall_back(*streams: object) -> None:
    """Let each text stream write any text: what its encoding cannot hold is
    written in ASCII (… as ..., · as -) instead of failing halfway. An ASCII
    stream is given ``archive_ascii``, ASCII that falls back so: else click,
    taking ASCII for a mistake, would write UTF-8 to it."""
    codecs.register_error(FALLBACK, _in_ascii)
    try:
        codecs.lookup(ASCII_CODEC)
    except LookupError:
        codecs.register(_codecs)
    for stream in streams:
        if isinstance(stream, io.TextIOWrapper):
            if codecs.lookup(stream.encoding).name == "ascii":
                stream.reconfigure(encoding=ASCII_CODEC)
            if stream.errors in ("strict", "surrogateescape"):
                stream.reconfigure(errors=FALLBACK)


ASCII_CODEC = "archive_ascii"


class _AsciiEncoder(codecs.IncrementalEncoder):
    def encode(self, text: str, final: bool = False) -> bytes:
        return codecs.encode(text, "ascii", FALLBACK if self.errors == "strict" else self.errors)


def _codecs(name: str) -> codecs.CodecInfo | None:
    if name != ASCII_CODEC:
        return None
    plain = codecs.lookup("ascii")
    return codecs.CodecInfo(
        name=ASCII_CODEC,
        encode=lambda text, errors="strict": (_AsciiEncoder(errors).encode(text), len(text)),
        decode=plain.decode,
        incrementalencoder=_AsciiEncoder,
        incrementaldecoder=plain.incrementaldecoder,
        streamreader=plain.streamreader,
        streamwriter=plain.streamwriter,
    )


def holds_all(stream: object) -> bool:
    """Whether ``stream``'s encoding holds any text (else JSON is best escaped)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name in ("utf-8", "utf-16", "utf-32", "gb18030")
    except LookupError:
        return False
