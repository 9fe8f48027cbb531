"""Near-duplicate detection: MinHash signatures, LSH bands, containment.

Syndicated copies of a story (another headline, a dateline, a trimmed last
paragraph) share most of the word shingles of the shorter text. Each
article's MinHash signature is cut into bands whose keys are kept in a
table (archive.index.bands), so any article sharing a band is a candidate.
A candidate is the same story when the estimated share of the smaller
text's shingles found in the larger is at least ``MIN_CONTAINMENT``, and the
smaller is at least ``MIN_SIZE_RATIO`` of the larger (a brief that quotes a
long feature is not a copy of it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

BANDS, ROWS = 16, 4
PERMUTATIONS = BANDS * ROWS
VALUE_BYTES = 2
# A document's field of its band keys as a run found them (read by the
# segment's builder, never stored: its text gives them again).
BAND_KEYS = "_band_keys"
SHINGLE_WORDS = 5
MIN_SHINGLES = 20  # shorter texts are too short to call near duplicates
MIN_CONTAINMENT = 0.8
MIN_SIZE_RATIO = 0.5
SEED = 1987  # of the permutations: signatures compare within one schema version
CHUNK = 4096  # shingles permuted at once (a 2 MB matrix)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Fingerprint:
    size: int  # distinct shingles
    # PERMUTATIONS MinHash values, each its lowest 16 bits (little-endian):
    # unequal minima agree by chance once in 65,536, which moves the
    # estimated share by less than a thousandth, and keeps half the bytes.
    signature: bytes

    @cached_property  # made once, where it is made (a reader, archive.index.reading)
    def band_keys(self) -> list[int]:
        """One key a band, in 32 bits: the band's number (4 bits) and a 28-bit
        hash of its rows. Unequal rows share a key once in 2^28: among a
        million articles a new one meets a stranger's key about once in
        sixteen, and that candidate is then compared and passed over."""
        step = ROWS * VALUE_BYTES  # bytes per band
        keys = []
        for band in range(BANDS):
            chunk = self.signature[band * step : (band + 1) * step]
            digest = hashlib.blake2b(chunk, digest_size=4).digest()
            keys.append(band << 28 | int.from_bytes(digest, "big") >> 4)
        return keys


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
    import numpy as np

    a, b = _permutations()
    hashes = b"".join(hashlib.blake2b(gram, digest_size=4).digest() for gram in grams)
    values = np.frombuffer(hashes, dtype="<u4").astype(np.uint64)
    # h -> a*h + b mod 2^32 for each permutation (a odd: a bijection), then the
    # minimum over the shingles. a*h + b < 2^64, so uint64 holds it exactly.
    # A chunk of shingles at a time: a long text's whole matrix took gigabytes.
    lowest = np.full(PERMUTATIONS, 0xFFFFFFFF, dtype=np.uint64)
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK, None]
        permuted = (chunk * a[None, :] + b[None, :]) & np.uint64(0xFFFFFFFF)
        np.minimum(lowest, permuted.min(axis=0), out=lowest)
    return Fingerprint(len(grams), (lowest & np.uint64(0xFFFF)).astype("<u2").tobytes())


@cache
def _permutations() -> tuple[Any, Any]:
    """The PERMUTATIONS affine maps (a, b), the same for every signature."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    a = rng.integers(0, 1 << 31, PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 1 << 32, PERMUTATIONS, dtype=np.uint64)
    return a, b


def same_story(a: Fingerprint, b: Fingerprint) -> bool:
    small, large = sorted((a.size, b.size))
    if small < MIN_SIZE_RATIO * large:
        return False
    agree = sum(x == y for x, y in zip(_values(a), _values(b), strict=True)) / PERMUTATIONS
    shared = agree / (1 + agree) * (a.size + b.size)  # |A ∩ B| from the Jaccard estimate
    return shared >= MIN_CONTAINMENT * small


def _values(print_: Fingerprint) -> memoryview:
    return memoryview(print_.signature).cast("H")


def stored_fingerprint(fields: dict[str, Any]) -> Fingerprint | None:
    """The fingerprint of a stored article, made again from its text (as
    archive.index.documents stores it: a headline-only item's in its title).

    Signatures are not stored: they were the largest stored value, and are
    wanted only of the rare candidate that shares a band key, and when a
    merge or a rebuild writes an article again without its keys."""
    return fingerprint(str(fields.get("body") or fields.get("title") or ""))


def band_keys(fields: dict[str, Any]) -> list[int]:
    """The LSH band keys of a document: those the run found (``BAND_KEYS``),
    else its text's (none if it is too short to have any)."""
    keys = fields.get(BAND_KEYS)
    if keys is not None:
        return list(keys)
    mine = stored_fingerprint(fields)
    return mine.band_keys if mine is not None else []
