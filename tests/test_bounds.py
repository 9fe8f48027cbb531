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

    def counted(text: str, terms: frozenset[str], *written: frozenset[str]) -> list[snippets.Token]:
        scanned.append(len(text))
        return tokens(text, terms, *written)

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


def test_a_run_waiting_for_standard_input_does_not_hold_the_write_lock(tmp_path: Path) -> None:
    index = tmp_path / "index"

    def archive(*args: str, **kwargs: object) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "archive", "--index-dir", str(index), *args]
        return subprocess.Popen(command, text=True, **kwargs)  # type: ignore[call-overload]

    assert archive("index").wait(timeout=120) == 0  # the seeds
    waiting = archive("index", "-", stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    note = tmp_path / "note.txt"
    note.write_text("Harbour reopens\n\nThe harbour reopened on Monday after the storm.\n")
    other = archive("index", "--no-wait", str(note), stderr=subprocess.PIPE)
    _, said = other.communicate(timeout=120)
    assert other.returncode == 0, said  # not "being written by"
    assert waiting.poll() is None  # still waiting for its input
    _, err = waiting.communicate("Storm passes\n\nThe storm passed in the night.\n", timeout=120)
    assert waiting.returncode == 0, err


def test_a_settings_file_that_never_ends_is_refused(tmp_path: Path) -> None:
    from archive import config

    settings, warnings = config.load(Path("/dev/zero"))
    assert settings == config.Settings(path=Path("/dev/zero"))
    assert warnings == ["config /dev/zero: cannot be read (not a regular file); using defaults"]
    huge = tmp_path / "huge.toml"
    huge.write_text("# " + "x" * (config.MAX_SETTINGS_BYTES + 10) + "\n")
    assert "larger than" in config.load(huge)[1][0]


def test_a_huge_page_is_read_up_to_a_bound_and_its_inline_images_are_not_text() -> None:
    from archive.sources.html import MAX_PAGE_BYTES, read_html

    story = "<p>" + "The harbour reopened on Monday after the storm, officials said. " * 8 + "</p>"
    image = '<img src="data:image/png;base64,' + "iVBORw0KGgo" * 1_000_000 + '">'
    saved = f"<html><head><title>Harbour</title></head><body>{image}<article>{story}"
    read = list(read_html((saved + "</article></body></html>").encode(), path="p", origin="p"))
    assert [type(item).__name__ for item in read] == ["Article"]  # 11 MB of image: no text
    assert "harbour reopened" in read[0].body  # type: ignore[union-attr]
    endless = saved + story * (MAX_PAGE_BYTES // len(story) * 3)
    read = list(read_html(endless.encode(), path="p", origin="p"))
    said = [item for item in read if not hasattr(item, "body")]
    size = int(said[0].reason.split()[3].replace(",", ""))  # type: ignore[union-attr]
    assert len(endless) - len(image) < size < len(endless)  # read without the image
    assert said[0].reason.endswith(f"only its first {MAX_PAGE_BYTES // 2**20} MB are read")
    assert any(hasattr(item, "body") for item in read)
