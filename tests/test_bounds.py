"""What one input can cost is bounded: a huge article is indexed up to a
limit, in memory that does not grow with it, and searches that match it scan
a bounded window of it."""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from archive.search import snippets
from archive.sources.article import MAX_ARTICLE_CHARS


def huge_text(path: Path, chars: int) -> Path:
    """A text of distinct paragraphs (cleaning keeps them all), ``chars`` long."""
    rng = random.Random(7)
    words = [f"{a}{b}{c}" for a in "bcdfgklmnprst" for b in "aeiou" for c in "lmnrst"]
    with path.open("w", encoding="utf-8") as out:
        out.write("A headline for a very long document\n\n")
        written = 0
        while written < chars:
            paragraph = " ".join(rng.choice(words) for _ in range(60)) + ".\n\n"
            out.write(paragraph)
            written += len(paragraph)
    return path


def test_a_huge_article_is_indexed_up_to_the_limit_in_bounded_memory(tmp_path: Path) -> None:
    source = huge_text(tmp_path / "huge.txt", 12 * MAX_ARTICLE_CHARS)
    index = tmp_path / "index"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [sys.executable, "-m", "archive", "--index-dir", str(index), "index", str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert done.returncode == 0, done.stderr  # a warning, not a failure
    assert f"only the first {MAX_ARTICLE_CHARS:,} are indexed" in done.stderr
    assert "huge.txt" in done.stderr
    # 12 MB of text once took 2 GB: what is read of it, and the process, now stay small.
    if before < peak_mb * 1024:  # this run set the peak (an earlier child may have been larger)
        assert peak_mb < 700, f"{peak_mb:.0f} MB"
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "archive",
            "--index-dir",
            str(index),
            "show",
            "--json",
            "--query",
            "headline",
            _only_id(index),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)["body"]
    assert MAX_ARTICLE_CHARS - 2_000 <= len(body) <= MAX_ARTICLE_CHARS
    assert body == source.read_text("utf-8").split("\n\n", 1)[1][: len(body)].rstrip()


def _only_id(index: Path) -> str:
    from archive.index.store import Store

    store = Store.open(index)
    with store.searcher() as searcher:
        (fields,) = list(searcher.all_stored_fields())
    store.close()
    return str(fields["id"])


def test_snippets_scan_a_bounded_window_of_a_long_text(monkeypatch: pytest.MonkeyPatch) -> None:
    scanned: list[int] = []
    tokens = snippets.tokens

    def counted(text: str, terms: frozenset[str]) -> list[snippets.Token]:
        scanned.append(len(text))
        return tokens(text, terms)

    monkeypatch.setattr(snippets, "tokens", counted)
    text = "filler words here " * 40_000 + "the oil price rose today " + "and more " * 1_000
    found = snippets.snippets(text, frozenset({"oil"}))
    assert [text[s.matches[0][0] + _start(text, s) :][:3] for s in found] == ["oil"]
    assert found[0].text in text
    assert scanned and max(scanned) <= snippets.SCAN_CHARS


def _start(text: str, snippet: snippets.Snippet) -> int:
    return text.index(snippet.text)


def test_a_match_at_the_start_of_a_long_text_is_found_without_reading_the_rest() -> None:
    text = "the oil price rose " + "filler words here " * 40_000 + "oil again"
    found = snippets.snippets(text, frozenset({"oil"}))
    assert found and found[0].text.startswith("the oil price")
