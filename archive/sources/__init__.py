"""Read articles from files, folders, standard input and the bundled seeds.

Yields ``Article`` values for what can be read and ``Problem`` values (where
and why) for what cannot, so one bad file or record never stops a run.
This package knows nothing of the index.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import IO, cast

from archive.model import Article, Problem
from archive.sources import detect
from archive.sources.article import UNDATED, article_id
from archive.sources.decode import Undecodable, decode
from archive.sources.exclude import Exclusions
from archive.sources.records import FieldMap

__all__ = [
    "Exclusions",
    "FieldMap",
    "FolderScan",
    "article_id",
    "find_inputs",
    "read_data",
    "read_file",
    "read_paths",
    "read_seeds",
    "read_stream",
]

# Whole-file formats are refused above these sizes (lines and rows stream).
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_BYTES = {
    detect.FEED: 128 * 1024 * 1024,
    detect.JSON: 64 * 1024 * 1024,  # one document, parsed whole: JSON Lines streams
    detect.JSONFEED: 64 * 1024 * 1024,
}
HINTS = {
    detect.JSON: "; export it as JSON Lines (one record per line), which is read a line at a time"
}
STREAMED = frozenset({detect.JSONL, detect.CSV})
_SNIFF_BYTES = 8192
SEED_PACKAGE = "archive.seeds"
STDIN = "-"


class FolderScan:
    """What a walk of folders passes over: the files and folders its
    exclusions match (counted), and files of other types (counted)."""

    def __init__(self, exclude: Iterable[str] = ()) -> None:
        self.exclusions = Exclusions(exclude)
        self.excluded = 0  # files and folders matched by the exclusions
        self.ignored = 0  # files of no known type

    def passes_over(self, relative: str, folder: bool = False) -> bool:
        """Whether the walk passes over this path (relative to the folder given)."""
        name = relative.rsplit("/", 1)[-1]
        if name.startswith("."):
            return True
        if self.exclusions.matches(relative, folder):
            self.excluded += 1
            return True
        return False


def read_seeds() -> Iterator[Article | Problem]:
    """The bundled seed articles, identified by file name (not install location)."""
    from archive.sources.plain import read_text

    folder = resources.files(SEED_PACKAGE)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".txt"):
            text, _ = decode(entry.read_bytes())
            yield from read_text(text, path=str(Path(str(entry))), origin=f"seed:{entry.name}")


def find_inputs(paths: Iterable[Path], scan: FolderScan | None = None) -> Iterator[Path | Problem]:
    """The files named, and the article files inside the folders named (recursively).

    Inside folders, hidden files and folders are passed over, and so are
    those the scan excludes and files whose names promise no known format.
    Files named are always read.
    """
    scan = scan or FolderScan()
    for path in paths:
        if str(path) == STDIN:
            yield path
        elif path.is_dir():
            yield from _walk(path, scan)
        elif path.exists():
            yield path
        else:
            yield Problem(str(path), "no such file or directory")


def _walk(folder: Path, scan: FolderScan) -> Iterator[Path | Problem]:
    unreadable: list[OSError] = []
    for root, dirs, files in os.walk(folder, onerror=unreadable.append):
        while unreadable:
            err = unreadable.pop()
            yield Problem(str(err.filename or root), f"folder not read: {err.strerror or err}")
        here = Path(root).relative_to(folder).as_posix()
        inside = "" if here == "." else f"{here}/"
        dirs[:] = [d for d in sorted(dirs) if not scan.passes_over(inside + d, folder=True)]
        for name in sorted(files):
            if scan.passes_over(inside + name):
                continue
            if detect.by_name(name) is not None:
                yield Path(root, name)
            else:
                scan.ignored += 1
    for err in unreadable:  # the folder given, or the last one walked
        yield Problem(str(err.filename or folder), f"folder not read: {err.strerror or err}")


def read_paths(
    paths: Iterable[Path], scan: FolderScan | None = None, fields: FieldMap | None = None
) -> Iterator[Article | Problem]:
    """Every article in the files and folders given."""
    for item in find_inputs(paths, scan):
        if isinstance(item, Problem):
            yield item
        else:
            yield from read_file(item, fields)


def read_file(path: Path, fields: FieldMap | None = None) -> Iterator[Article | Problem]:
    """The articles in one file, or why it cannot be read.

    Articles record the file by its absolute path, symbolic links resolved:
    the same file has one name, from whatever folder it was indexed.
    """
    where = str(path.resolve())
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a pipe or a device never ends
            yield Problem(where, "not a regular file")
            return
        stream: IO[bytes] = path.open("rb")
    except OSError as err:
        yield Problem(where, err.strerror or str(err))
        return
    with stream:
        yield from read_stream(stream, name=where, origin=where, fields=fields)


def read_stream(
    stream: IO[bytes],
    *,
    name: str,
    origin: str,
    fields: FieldMap | None = None,
) -> Iterator[Article | Problem]:
    """The articles in an open binary stream (a file, or standard input);
    those that carry no source get the one ``fields`` gives, if it does."""
    source = fields.source if fields is not None else None
    for item in dates_told_once(_read_stream(stream, name, origin, fields), name):
        if source is not None and isinstance(item, Article) and item.source is None:
            item = replace(item, source=source)
        yield item


def dates_told_once(items: Iterable[Article | Problem], name: str) -> Iterator[Article | Problem]:
    """The items of one input with its unreadable dates told once: a feed or
    an export that writes every date in a way no reader knows says so in one
    warning (how many, and the first), after its articles, not in one each."""
    undated: list[Problem] = []
    for item in items:
        if isinstance(item, Problem) and not item.skipped and item.reason.endswith(UNDATED):
            undated.append(item)
        else:
            yield item
    if len(undated) == 1:
        yield undated[0]
    elif undated:
        first = undated[0]
        said = first.reason.removesuffix(UNDATED)
        yield Problem(
            name,
            f"{len(undated):,} articles with unreadable dates (the first, {first.path}: "
            f"{said}){UNDATED}",
            skipped=False,
        )


def _read_stream(
    stream: IO[bytes], name: str, origin: str, fields: FieldMap | None
) -> Iterator[Article | Problem]:
    head = stream.peek(_SNIFF_BYTES) if hasattr(stream, "peek") else b""
    archive = detect.web_archive(name, head[:_SNIFF_BYTES])
    if archive is not None:  # read record by record, each gzip member on its own
        yield from _read_web_archive(stream, archive, name)
        return
    if head[:2] == detect.GZIP_MAGIC:
        stream = cast(IO[bytes], _Inflated(stream))
    try:
        yield from _dispatch(stream, name, origin, fields or FieldMap())
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        yield Problem(name, f"truncated or corrupt gzip data ({err}); what came before was read")
    except InflatedTooFar as err:
        yield Problem(name, f"{err}; refused as a likely gzip bomb (what came before was read)")


def _read_web_archive(stream: IO[bytes], kind: str, name: str) -> Iterator[Article | Problem]:
    from archive.sources.webarchive import read_wacz, read_web_archive

    reader = read_wacz if kind == detect.WACZ else read_web_archive
    yield from reader(stream, path=name)


def read_data(data: bytes, kind: str, *, name: str, origin: str) -> Iterator[Article | Problem]:
    """The articles in data already in memory, read as ``kind`` (a format of
    archive.sources.detect): a fetched feed, say."""
    yield from dates_told_once(_read_whole(data, kind, name, origin, FieldMap()), name)


def _dispatch(
    stream: IO[bytes], name: str, origin: str, fields: FieldMap
) -> Iterator[Article | Problem]:
    from archive.sources import records

    buffered = cast(IO[bytes], _Peekable(stream))
    kind = detect.by_name_and_content(name, cast(_Peekable, buffered).head(_SNIFF_BYTES))
    if kind in STREAMED:
        reader = records.read_jsonl if kind == detect.JSONL else records.read_csv
        yield from reader(buffered, path=name, origin=origin, fields=fields)
        return
    limit = MAX_BYTES.get(kind, MAX_FILE_BYTES)
    data = buffered.read(limit + 1)
    if len(data) > limit:
        hint = HINTS.get(kind, "")
        yield Problem(name, f"too large to read as one {kind} file (over {limit:,} bytes){hint}")
        return
    yield from _read_whole(data, kind, name, origin, fields)


def _read_whole(
    data: bytes, kind: str, name: str, origin: str, fields: FieldMap
) -> Iterator[Article | Problem]:
    if not data.strip():
        yield Problem(name, "empty file")
    elif kind == detect.JSON:
        from archive.sources.records import read_json

        yield from read_json(io.BytesIO(data), path=name, origin=origin, fields=fields)
    elif kind == detect.JSONFEED:
        from archive.sources.jsonfeed import read_json_feed

        yield from read_json_feed(data, path=name, origin=origin)
    elif kind == detect.FEED:
        from archive.sources.feeds import read_feed

        yield from read_feed(data, path=name, origin=origin)
    elif kind == detect.HTML:
        from archive.sources.html import read_html

        yield from read_html(data, path=name, origin=origin)
    else:
        yield from _read_plain(data, kind, name, origin)


def _read_plain(data: bytes, kind: str, name: str, origin: str) -> Iterator[Article | Problem]:
    from archive.sources.plain import read_markdown, read_text

    if b"\x00" in data[:_SNIFF_BYTES] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield Problem(name, "binary file, not text")
        return
    try:
        text, _ = decode(data)
    except Undecodable as err:
        yield Problem(name, str(err))
        return
    if _looks_binary(text):
        yield Problem(name, "binary file, not text")
        return
    reader = read_markdown if kind == detect.MARKDOWN else read_text
    yield from reader(text, path=name, origin=origin)


def _looks_binary(text: str) -> bool:
    """NULs, or mostly control characters, in the first few KB of decoded text.

    A few control characters are kept: hostile articles carry terminal escape
    sequences, and they are indexed and shown escaped, not refused.
    """
    head = text[:_SNIFF_BYTES]
    controls = sum(1 for char in head if char < " " and char not in "\n\r\t\f")
    return "\x00" in head or controls > 0.3 * max(len(head), 1)


# Compressed news inflates 3-10 times; past this many bytes, and this many times
# what was read, the data is a decompression bomb (10 MB of newlines is 10 GB).
INFLATE_FREELY = 64 * 1024 * 1024
MAX_INFLATION = 100


class InflatedTooFar(ValueError):
    """Gzip data that inflates to far more than anything real."""


class _Inflated:
    """A gzip stream that stops when it inflates beyond any real input."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = _Counted(raw)
        self._gzip = gzip.GzipFile(fileobj=cast(IO[bytes], self._raw), mode="rb")
        self._out = 0
        self._error: Exception | None = None  # met after data that was still returned

    def _count(self, data: bytes) -> bytes:
        self._out += len(data)
        if self._out > INFLATE_FREELY and self._out > MAX_INFLATION * max(self._raw.count, 1):
            raise InflatedTooFar(
                f"it inflates to over {MAX_INFLATION} times its size "
                f"({self._raw.count:,} bytes to more than {self._out:,})"
            )
        return data

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes, fewer only at the end; data inflated before a
        truncation is returned, and the truncation raised by the next read."""
        if self._error is not None:
            raise self._error
        if size is None or size < 0:  # whole-file formats read at most their limit + 1
            size = INFLATE_FREELY * 4
        pieces: list[bytes] = []
        wanted = size
        while wanted > 0:
            try:
                piece = self._gzip.read1(wanted)
            except (EOFError, gzip.BadGzipFile, zlib.error) as err:
                if not pieces:
                    raise
                self._error = err
                break
            if not piece:
                break
            pieces.append(self._count(piece))
            wanted -= len(piece)
        return b"".join(pieces)

    def readline(self, size: int = -1) -> bytes:
        return self._count(self._gzip.readline(size))


class _Counted:
    """A binary stream that counts the bytes read from it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        return data


class _Peekable:
    """A binary stream whose first bytes can be looked at before reading it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.buffer = b""

    def head(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.stream.read(size - len(self.buffer))
            if not chunk:
                break
            self.buffer += chunk
        return self.buffer[:size]

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            data, self.buffer = self.buffer + self.stream.read(), b""
            return data
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        if len(data) < size:
            data += self.stream.read(size - len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        if b"\n" in self.buffer:
            line, _, self.buffer = self.buffer.partition(b"\n")
            return line + b"\n"
        line, self.buffer = self.buffer, b""
        if size < 0:
            return line + self.stream.readline()
        if len(line) >= size:
            return line
        return line + self.stream.readline(size - len(line))

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    # io.TextIOWrapper (the CSV reader) needs these.
    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    @property
    def closed(self) -> bool:
        return False

    def flush(self) -> None:
        pass

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False
