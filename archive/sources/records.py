"""Exports with one article per record: JSON, JSON Lines and CSV.

Common field names are mapped automatically (``title``/``headline``,
``body``/``text``/``content``/``description``, ``date``/``published``, ...);
``--field NAME=COLUMN`` maps the rest. JSON Lines and CSV are read a line at
a time; a bad line is reported with its number and the rest is read.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
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


def bounded_lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    """The stream's lines; None for a line too long to hold (the rest is skipped)."""
    while line := stream.readline(MAX_LINE_BYTES + 1):
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield line
            continue
        while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass
        yield None


csv.field_size_limit(64 * 1024 * 1024)


class FieldMap:
    """Which column of a record feeds which article field."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        unknown = set(overrides or {}) - set(FIELDS)
        if unknown:
            raise ValueError(
                f"unknown field {sorted(unknown)[0]!r} in --field; fields are: {', '.join(FIELDS)}"
            )
        self.overrides = dict(overrides or {})
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
    for number, raw in enumerate(bounded_lines(stream), 1):
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
        yield from _record(record, number, f"line {number}", path, origin, fields, keys)


def read_csv(
    stream: IO[bytes], *, path: str, origin: str, fields: FieldMap
) -> Iterator[Article | Problem]:
    keys: set[str] = set()
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="archive-cp1252", newline="")
    sample = text.read(64 * 1024) + text.readline()  # whole lines, for the sniffer
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel_tab if path.lower().removesuffix(".gz").endswith(".tsv") else csv.excel
    # Strict: an unclosed quote is an error, not a field that swallows the rest.
    rows = csv.reader(itertools.chain(io.StringIO(sample, newline=""), text), dialect, strict=True)
    header = _header(sample, dialect, fields)
    if header is not None:
        next(rows, None)
    number = 1 if header is not None else 0
    while True:
        number += 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as err:
            yield Problem(f"{path}:{rows.line_num}", f"broken CSV ({err}); the rest was not read")
            return
        if not any(cell.strip() for cell in row):
            continue
        columns = header or [str(i) for i in range(1, len(row) + 1)]
        record = dict(zip(columns, row, strict=False))
        mapping = None if header else _guess_headerless(row)
        yield from _record(record, number, f"row {number}", path, origin, fields, keys, mapping)


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
        title=title,
        body=body or "",
        date=_scalar(get("date")),
        source=_name(get("source")),
        authors=_list(get("authors"), split=";"),
        url=_scalar(get("url")),
        tags=_list(get("tags"), split=",;"),
        language=_scalar(get("language")),
    )


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
