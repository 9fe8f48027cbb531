"""Counts in words: "1 article", "2 articles", "1,024 words"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and the noun, singular for one: counted(1, "hit") is "1 hit"."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
