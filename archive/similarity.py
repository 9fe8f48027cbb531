"""Near-duplicate detection: MinHash signatures, LSH bands, containment.

Syndicated copies of a story (another headline, a dateline, a trimmed last
paragraph) share most of the word shingles of the shorter text. Each
article's MinHash signature is cut into bands whose keys are indexed as
terms, so any article sharing a band is a candidate found by a term lookup.
A candidate is the same story when the estimated share of the smaller
text's shingles found in the larger is at least ``MIN_CONTAINMENT``, and the
smaller is at least ``MIN_SIZE_RATIO`` of the larger (a brief that quotes a
long feature is not a copy of it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

BANDS, ROWS = 16, 4
PERMUTATIONS = BANDS * ROWS
SHINGLE_WORDS = 5
MIN_SHINGLES = 20  # shorter texts are too short to call near duplicates
MIN_CONTAINMENT = 0.8
MIN_SIZE_RATIO = 0.5
SCHEME = "affine32"  # datasketch's hashing scheme; signatures are 32-bit values
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Fingerprint:
    size: int  # distinct shingles
    signature: bytes  # PERMUTATIONS little-endian uint32 MinHash values

    @property
    def bands(self) -> list[str]:
        step = ROWS * 4  # bytes per band
        keys = []
        for band in range(BANDS):
            chunk = self.signature[band * step : (band + 1) * step]
            keys.append(f"{band:x}{hashlib.blake2b(chunk, digest_size=6).hexdigest()}")
        return keys

    def stored(self) -> tuple[int, bytes]:
        return (self.size, self.signature)

    @classmethod
    def from_stored(cls, value: object) -> Fingerprint | None:
        if isinstance(value, tuple | list) and len(value) == 2:
            return cls(int(value[0]), bytes(value[1]))
        return None


def shingles(text: str) -> set[bytes]:
    words = _WORD.findall(text.casefold())
    return {
        " ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8")
        for i in range(max(len(words) - SHINGLE_WORDS + 1, 0))
    }


def fingerprint(text: str) -> Fingerprint | None:
    """The text's fingerprint, or None if it is too short to compare."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    from datasketch.minhash import MinHash

    minhash = MinHash(num_perm=PERMUTATIONS, seed=1, permutations=_permutations(), scheme=SCHEME)
    minhash.update_batch(list(grams))
    return Fingerprint(len(grams), minhash.hashvalues.astype("<u4").tobytes())


@cache
def _permutations() -> Any:
    """The hash permutations (the same for every signature), made once: slow to make."""
    from datasketch.minhash import MinHash

    return MinHash(num_perm=PERMUTATIONS, seed=1, scheme=SCHEME).permutations


def same_story(a: Fingerprint, b: Fingerprint) -> bool:
    small, large = sorted((a.size, b.size))
    if small < MIN_SIZE_RATIO * large:
        return False
    agree = sum(x == y for x, y in zip(_values(a), _values(b), strict=True)) / PERMUTATIONS
    shared = agree / (1 + agree) * (a.size + b.size)  # |A ∩ B| from the Jaccard estimate
    return shared >= MIN_CONTAINMENT * small


def _values(print_: Fingerprint) -> memoryview:
    return memoryview(print_.signature).cast("I")
