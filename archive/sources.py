"""Read articles from files and folders.

Yields ``Article`` values for what can be read and ``Problem`` values (path and
reason) for what cannot, so one bad file never stops a run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

from archive.model import Article, Problem
from archive.text import clean_article

TEXT_SUFFIXES = frozenset({".txt"})
# Larger files are not articles; refuse them rather than load them whole.
MAX_FILE_BYTES = 32 * 1024 * 1024
_SNIFF_BYTES = 8192

SEED_PACKAGE = "archive.seeds"


class FolderScan:
    """Counts files in folders that were passed over as not being articles."""

    def __init__(self) -> None:
        self.ignored = 0


def article_id(origin: str) -> str:
    """A short ID that stays the same for the same origin across runs."""
    return hashlib.blake2b(origin.encode("utf-8"), digest_size=6).hexdigest()


def read_seeds() -> Iterator[Article | Problem]:
    """The bundled seed articles, identified by file name (not install location)."""
    folder = resources.files(SEED_PACKAGE)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".txt"):
            path = Path(str(entry))
            yield from _parse_text(entry.read_bytes(), f"seed:{entry.name}", str(path))


def read_paths(
    paths: Iterable[Path], report: FolderScan | None = None
) -> Iterator[Article | Problem]:
    """Articles from files and (recursively) folders of .txt files.

    A file named explicitly is read as text whatever its name; inside folders
    only .txt files are articles, and hidden files and folders are passed over.
    """
    for path in paths:
        if path.is_dir():
            for file in _walk(path, report):
                yield from read_file(file)
        elif path.exists():
            yield from read_file(path)
        else:
            yield Problem(str(path), "no such file or directory")


def _walk(folder: Path, report: FolderScan | None) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            if Path(name).suffix.lower() in TEXT_SUFFIXES:
                yield Path(root, name)
            elif report is not None:
                report.ignored += 1


def read_file(path: Path) -> Iterator[Article | Problem]:
    """The article in one text file, or the reason it cannot be read."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            yield Problem(str(path), f"too large for an article ({size:,} bytes)")
            return
        data = path.read_bytes()
    except OSError as err:
        yield Problem(str(path), err.strerror or str(err))
        return
    resolved = str(path.resolve())
    yield from _parse_text(data, resolved, resolved)


def _parse_text(data: bytes, origin: str, path: str) -> Iterator[Article | Problem]:
    if not data.strip():
        yield Problem(path, "empty file")
        return
    if b"\x00" in data[:_SNIFF_BYTES]:
        yield Problem(path, "binary file, not text")
        return
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        yield Problem(path, f"not UTF-8 text (undecodable byte at offset {err.start})")
        return
    clean = clean_article(raw)
    if not clean.body:
        yield Problem(path, "no article text after cleaning")
        return
    yield Article(
        id=article_id(origin),
        title=clean.title,
        body=clean.body,
        origin=origin,
        path=path,
        cleaning=clean.cleaning,
    )
