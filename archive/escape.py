"""Text from strangers made safe for a terminal, without importing rich."""

from __future__ import annotations

import re

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
