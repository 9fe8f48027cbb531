"""Exports with one article per record: JSON, JSON Lines and CSV.

Common field names are mapped automatically (``title``/``headline``,
``body``/``text``/``content``/``description``, ``date``/``published``, ...);
``--field NAME=COLUMN`` maps the rest. JSON Lines and CSV are read a line at
a time; a bad line is reported with its number and the rest is read.

A record that names no source has the one ``archive index --source`` gives,
else the export's own name: the records of ``reuters.jsonl.gz`` are from
"reuters".
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import PurePath
from typing import IO, Any

from archive.model import Article, Problem
from archive.sources.article import build

# Article field -> column names that commonly hold it, most specific first.
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "newid", "guid", "doc_id", "docid", "docno", "uuid", "article_id"),
    "title": ("title", "headline", "heading", "subject", "name"),
    "body": (
        "body",
        "text",
        "content",
        "article",
        "full_text",
        "description",
        "short_description",
        "summary",
        "abstract",
        "lede",
    ),
    "date": (
        "date",
        "published",
        "pubdate",
        "pub_date",
        "published_at",
        "publishedat",
        "publication_date",
        "datetime",
        "timestamp",
        "created_at",
        "time",
    ),
    "url": ("url", "link", "href", "permalink"),
    "source": ("source", "publisher", "site", "sitename", "outlet", "source_name", "feed"),
    "authors": ("authors", "author", "byline", "creator", "writer"),
    "tags": ("tags", "tag", "category", "categories", "topics", "keywords", "section"),
    "language": ("language", "lang"),
}
FIELDS = tuple(COLUMNS)
MAX_LINE_BYTES = 16 * 1024 * 1024  # a longer line is skipped, never held whole


CHUNK_BYTES = 1 << 20


def bounded_lines(
    stream: IO[bytes], skip_blank: Callable[[], bool] = lambda: True
) -> Iterator[tuple[int, bytes | None]]:
    """The stream's lines, numbered from 1; None for a line longer than
    MAX_LINE_BYTES, which is never held whole.

    The stream is read a chunk at a time and split in C, and a chunk of blank
    lines is passed over at once while ``skip_blank()`` says so (not inside a
    quoted CSV field): ten megabytes of newlines cost a moment, not an hour.
    """
    number = 0
    partial: list[bytes] = []  # the start of a line that goes on in the next chunk
    held = 0
    too_long = False  # inside a line that is being skipped
    while chunk := stream.read(CHUNK_BYTES):
        if not (partial or too_long) and not chunk.strip() and skip_blank():
            number += chunk.count(b"\n")
            continue
        *lines, rest = chunk.split(b"\n")
        for piece in lines:
            number += 1
            if too_long:
                too_long = False
                yield number, None
                continue
            if partial:
                piece, partial, held = b"".join(partial) + piece, [], 0
            yield number, (piece + b"\n" if len(piece) <= MAX_LINE_BYTES else None)
        if rest and not too_long:
            held += len(rest)
            if held > MAX_LINE_BYTES:
                too_long, partial, held = True, [], 0
            else:
                partial.append(rest)
    if too_long:
        yield number + 1, None
    elif partial:
        yield number + 1, b"".join(partial)


csv.field_size_limit(MAX_LINE_BYTES + 1)  # records are bounded before csv sees them


# The key of a FieldMap's overrides that names the source of the articles
# that carry none (``archive index --source``), recorded with the choices.
SOURCE_GIVEN = "+source"


class FieldMap:
    """Which column of a record feeds which article field (and the source of
    articles that carry none, under SOURCE_GIVEN)."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        unknown = set(overrides or {}) - {*FIELDS, SOURCE_GIVEN}
        if unknown:
            raise ValueError(
                f"unknown field {sorted(unknown)[0]!r} in --field; fields are: {', '.join(FIELDS)}"
            )
        self.overrides = dict(overrides or {})
        self.source = self.overrides.get(SOURCE_GIVEN)
        self._cache: dict[tuple[str, ...], dict[str, str]] = {}

    def columns(self, keys: Iterable[str]) -> dict[str, str]:
        """Article field -> the column to read it from, for records with these keys."""
        keys = tuple(keys)
        if keys not in self._cache:
            lower = {key.lower(): key for key in keys}
            chosen = {}
            for name, candidates in COLUMNS.items():
                if name in self.overrides:
                    chosen[name] = self.overrides[name]
                    continue
                for candidate in candidates:
                    if candidate in lower:
                        chosen[name] = lower[candidate]
                        break
            self._cache[keys] = chosen
        return self._cache[keys]


def read_json(
    stream: IO[bytes], *, path: str, origin: str, fields: FieldMap
) -> Iterator[Article | Problem]:
    keys: set[str] = set()
    """A JSON array of records, or an object holding one (``{"articles": [...]}``)."""
    try:
        data = json.load(stream)
    except (ValueError, UnicodeDecodeError) as err:
        yield Problem(path, f"not valid JSON ({err})")
        return
    except RecursionError:
        yield Problem(path, "JSON nested too deeply to be records")
        return
    if isinstance(data, dict):
        lists = [value for value in data.values() if isinstance(value, list)]
        data = max(lists, key=len) if lists else [data]
    if not isinstance(data, list):
        yield Problem(path, "JSON holds no records (expected an array of objects)")
        return
    for number, record in enumerate(data, 1):
        yield from _record(record, number, f"record {number}", path, origin, fields, keys)


def read_jsonl(
    stream: IO[bytes], *, path: str, origin: str, fields: FieldMap
) -> Iterator[Article | Problem]:
    keys: set[str] = set()
    for number, raw in bounded_lines(stream):
        if raw is None:
            yield Problem(f"{path}:{number}", f"line longer than {MAX_LINE_BYTES:,} bytes; skipped")
            continue
        line = raw.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except (ValueError, UnicodeDecodeError) as err:
            yield Problem(f"{path}:{number}", f"not valid JSON ({err})")
            continue
        except RecursionError:
            yield Problem(f"{path}:{number}", "JSON nested too deeply to be a record")
            continue
        yield from _record(record, number, f"line {number}", path, origin, fields, keys)


def read_csv(
    stream: IO[bytes], *, path: str, origin: str, fields: FieldMap
) -> Iterator[Article | Problem]:
    """Rows of a CSV or TSV file, each line and each record bounded in size.

    A line or a record (a quoted field may span lines) longer than
    MAX_LINE_BYTES is skipped without being held, and the rows after it are
    read; a broken quote ends the file (what follows cannot be told apart).
    """
    keys: set[str] = set()
    lines = _CsvLines(stream)
    sample: list[str] = []
    skipped: list[RecordTooLong] = []
    while sum(map(len, sample)) < 64 * 1024:  # whole lines, for the sniffer
        try:
            sample.append(next(lines))
        except StopIteration:
            break
        except RecordTooLong as err:
            skipped.append(err)
    for too_long in skipped:
        yield Problem(f"{path}:{too_long.line}", str(too_long))
    text = "".join(sample)
    try:
        dialect: Any = csv.Sniffer().sniff(text, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel_tab if path.lower().removesuffix(".gz").endswith(".tsv") else csv.excel
    lines.quote = (dialect.quotechar or '"').encode("utf-8")
    source = itertools.chain(sample, lines)
    # Strict: an unclosed quote is an error, not a field that swallows the rest.
    rows = csv.reader(source, dialect, strict=True)
    header = _header(text, dialect, fields)
    skip = header is not None  # the header row, read like any other
    number = 0
    while True:
        number += 1
        try:
            row = next(rows)
            if skip:
                skip = False
                continue
        except StopIteration:
            return
        except RecordTooLong as err:
            yield Problem(f"{path}:{err.line}", str(err))
            rows = csv.reader(source, dialect, strict=True)  # on from the next line
            continue
        except csv.Error as err:
            yield Problem(f"{path}:{lines.number}", f"broken CSV ({err}); the rest was not read")
            return
        if not any(cell.strip() for cell in row):
            continue
        columns = header or [str(i) for i in range(1, len(row) + 1)]
        record = dict(zip(columns, row, strict=False))
        mapping = None if header else _guess_headerless(row)
        yield from _record(record, number, f"row {number}", path, origin, fields, keys, mapping)


class RecordTooLong(ValueError):
    """A CSV line or record too long to hold; it was skipped."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(f"{what} longer than {MAX_LINE_BYTES:,} bytes; skipped")
        self.line = line


class _CsvLines:
    """The lines of a CSV file as text, for csv.reader, each record bounded.

    A record ends at a line end outside quotes (each quote character toggles;
    an escaped quote, doubled, toggles twice), so an over-long record is
    skipped to its end without holding it, and reading goes on after it.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._lines = bounded_lines(stream, skip_blank=lambda: not self._quoted)
        self.number = 0  # lines read
        self.quote = b'"'
        self._record = 0  # bytes of the record in hand
        self._quoted = False  # inside a quoted field at the last line end
        self._first = True

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        self.number, raw = next(self._lines)
        if raw is None:  # one line too long: bounded_lines skipped it
            self._record, self._quoted = 0, False
            raise RecordTooLong(self.number, "line")
        self._take(raw)
        if self._record > MAX_LINE_BYTES:
            start = self.number
            while self._quoted:
                self.number, more = next(self._lines, (self.number, b""))
                if more == b"":
                    break
                if more is not None:  # a line too long to hold counts no quotes
                    self._take(more)
            self._record, self._quoted = 0, False
            raise RecordTooLong(start, "record")
        if not self._quoted:
            self._record = 0
        text = raw.decode("utf-8", "archive-cp1252")
        if self._first:
            text, self._first = text.removeprefix("\ufeff"), False
        return text

    def _take(self, raw: bytes) -> None:
        self._record += len(raw)
        if raw.count(self.quote) % 2:
            self._quoted = not self._quoted


def _header(sample: str, dialect: Any, fields: FieldMap) -> list[str] | None:
    """The header row, if the file has one (it names at least one known field)."""
    try:
        first = next(csv.reader(io.StringIO(sample, newline=""), dialect), [])
    except csv.Error:
        return None  # not even one readable row: the main loop reports it
    known = {name for candidates in COLUMNS.values() for name in candidates}
    if any(cell.strip().lower() in known for cell in first):
        return [cell.strip() for cell in first]
    if fields.overrides and any(cell.strip() in fields.overrides.values() for cell in first):
        return [cell.strip() for cell in first]
    return None


def _guess_headerless(row: list[str]) -> dict[str, str]:
    """Columns "1", "2", ... of a file with no header: the longest text is the body,
    the shortest other text the title; numbers are skipped."""
    texts = [
        (len(cell), str(i))
        for i, cell in enumerate(row, 1)
        if cell.strip() and not re.fullmatch(r"[\d.\-]+", cell.strip())
    ]
    if not texts:
        return {}
    texts.sort()
    guess = {"body": texts[-1][1]}
    if len(texts) > 1:
        guess["title"] = texts[0][1]
    return guess


def _record(
    record: Any,
    number: int,
    label: str,
    path: str,
    origin: str,
    fields: FieldMap,
    keys: set[str],
    guessed: dict[str, str] | None = None,
) -> Iterator[Article | Problem]:
    if not isinstance(record, dict):
        yield Problem(f"{path}:{number}", "record is not an object")
        return
    columns = {**(guessed or {}), **fields.columns(record.keys())}

    def get(name: str) -> Any:
        column = columns.get(name)
        return record.get(column) if column is not None else None

    own = _scalar(get("id"))
    key = str(own) if own not in (None, "") else label  # "line 3" never clashes with an ID
    if key in keys:  # an export that repeats an ID (CACM lists docno 28 twice)
        yield Problem(
            f"{path} ({label})",
            f"ID {key!r} is used twice in this file; kept as {label}",
            skipped=False,
        )
        key = label
    keys.add(key)
    title, body = _text(get("title")), _text(get("body"))
    if not (title or body):
        yield Problem(f"{path} ({label})", "record has no title or text")
        return
    yield from build(
        origin=f"{origin}#{key}",
        path=path,
        record=label,
        record_id=None if key == label else key,
        title=title,
        body=body or "",
        date=_scalar(get("date")),
        source=_name(get("source")) or fields.source or export_name(path),
        authors=_list(get("authors"), split=";"),
        url=_scalar(get("url")),
        tags=_list(get("tags"), split=",;"),
        language=_scalar(get("language")),
    )


def export_name(path: str) -> str | None:
    """The name of the export at ``path``, as the source of its records: its
    file's name without the format's suffix (and ``.gz``); none for standard
    input."""
    name = PurePath(path).name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    stem = stem.strip()
    return stem if any(char.isalnum() for char in stem) else None


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    if isinstance(value, dict):
        return None
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return "\n\n".join(str(item) for item in value if item)
    return str(value) if str(value).strip() else None


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("name") or value.get("title")
    return _scalar(value)


def _list(value: Any, split: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(_name(item) or "") for item in value]
    return [part.strip() for part in re.split(f"[{re.escape(split)}]", str(value)) if part.strip()]
