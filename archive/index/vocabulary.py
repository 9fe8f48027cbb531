"""The index's words as written, read from the segments' arrays: what
spelling suggestions, completion, spelling variants and fuzzy terms compare
a word with."""

from __future__ import annotations

from typing import Any

import numpy as np

from archive.index.derived import SegmentArrays, for_segment, missing_arrays
from archive.index.schema import VOCABULARY_FIELDS


class Vocabulary:
    """The index's words as written (spelling's Lexicon), from the segments'
    arrays: each text field's words with how many articles hold each. What it
    reads is kept: it lives as long as the searcher, and the words do not change."""

    @classmethod
    def of(cls, reader: Any) -> Vocabulary:
        """The vocabulary of a Whoosh reader's segments."""
        from archive.whoosh_ext.columns import leaf_readers

        found = []
        for leaf, _ in leaf_readers(reader):
            arrays = for_segment(leaf)
            if arrays is None:
                raise missing_arrays(leaf)
            found.append(arrays)
        return cls(found)

    def __init__(self, segments: list[SegmentArrays]) -> None:
        self.segments = segments
        self._near: dict[tuple[str, int], list[str]] = {}
        self._bound: dict[str, int] = {}
        self._frequency: dict[str, int] = {}

    def frequency(self, word: str) -> int:
        found = self._frequency.get(word)
        if found is None:
            key, found = word.encode("utf-8"), 0
            for field in VOCABULARY_FIELDS:
                total = 0
                for arrays in self.segments:
                    at = arrays.find(f"{field}.terms", key)
                    total += int(arrays[f"{field}.df"][at]) if at >= 0 else 0
                found = max(found, total)
            self._frequency[word] = found
        return found

    def bound(self, word: str) -> int:
        """At least the word's frequency (known for every word ``near`` gave)."""
        found = self._bound.get(word)
        return found if found is not None else self.frequency(word)

    def near(self, word: str) -> list[str]:
        """Words with the word's first letter and about its length (two edits)."""
        key = (word[:1], len(word.encode("utf-8")))
        found = self._near.get(key)
        if found is None:
            slack = 2 if word.isascii() else 8  # a letter may take several bytes
            words: set[str] = set()
            for arrays in self.segments:
                at = arrays.starting("words", key[0].encode("utf-8"))
                offsets = arrays["words.offsets"]
                sizes = np.diff(offsets[at.start : at.stop + 1])
                close = at.start + np.flatnonzero(np.abs(sizes - key[1]) <= slack)
                frequencies = arrays["words.df"]
                for i in close.tolist():
                    text = arrays.string("words", i).decode("utf-8")
                    words.add(text)
                    self._bound[text] = self._bound.get(text, 0) + int(frequencies[i])
            found = self._near[key] = sorted(words)
        return found

    def starting(self, prefix: str) -> dict[str, int]:
        """The words that start with ``prefix`` and how many articles hold
        each (the most any one field has it in, summed over segments)."""
        key = prefix.encode("utf-8")
        found: dict[str, int] = {}
        for arrays in self.segments:
            at = arrays.starting("words", key)
            counts = arrays["words.df"][at.start : at.stop].tolist()
            for word, count in zip(arrays.decoded("words", at), counts, strict=True):
                found[word] = found.get(word, 0) + count
        return found

    def completions(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Words that start with ``prefix``, most frequent first, with their frequency."""
        found = self.starting(prefix)
        return sorted(found.items(), key=lambda item: (-item[1], item[0]))[:limit]
