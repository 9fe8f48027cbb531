"""What the user keeps with articles, met from the search side: which articles
a command means (a query's matches, or IDs), and exported rows checked
before any is loaded."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from archive.errors import ArchiveError
from archive.index.desk import MARKS, note_text, tag_name
from archive.model import SearchRequest
from archive.search.reader import Reader

_FULL_ID = re.compile(r"[0-9a-f]{12}")


def targets(
    reader: Reader, words: Iterable[str], request: SearchRequest | None = None
) -> list[str]:
    """The IDs of the articles ``words`` mean: the articles themselves when
    every word is a whole article ID, else every article the query matches
    (every copy of a story), within ``request``'s filters."""
    words = [word for word in words if word.strip()]
    if not words:
        raise ArchiveError(
            "no articles named", hint="give a query or article IDs ('*' for every article)"
        )
    if all(_FULL_ID.fullmatch(word.lower()) for word in words):
        return [reader.get(word.lower()).id for word in words]  # each must exist
    asked = replace(request or SearchRequest(""), query=" ".join(words), all_copies=True)
    return [str(fields["id"]) for fields, _ in reader.ranked(reader.prepare(asked))]


def tag_changes(words: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
    """The tags to add (``+name``) and remove (``-name``) that lead ``words``,
    and the words after them (a query or IDs)."""
    add: list[str] = []
    remove: list[str] = []
    rest = list(words)
    while rest and rest[0][:1] in "+-" and rest[0] != "--":
        word = rest.pop(0)
        (add if word[0] == "+" else remove).append(tag_name(word[1:]))
    if rest and rest[0] == "--":
        rest.pop(0)
    if not (add or remove):
        raise ArchiveError(
            "no tag to add or remove", hint="archive tag +story-x -draft QUERY (or IDs)"
        )
    both = sorted(set(add) & set(remove))
    if both:
        raise ArchiveError(f"the tag {both[0]!r} is both added and removed")
    return add, remove, rest


def rows_from_lines(lines: Iterable[str], where: str) -> list[dict[str, Any]]:
    """Exported rows (JSON Lines: ``{"id": ..., "tags": [...], "read": true,
    "flagged": true, "note": "..."}``; each key but ``id`` may be missing, as
    in exports made before notes were kept), every one checked: the first bad
    line is an error naming it, and nothing is loaded."""
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(_row(json.loads(line)))
        except (ValueError, ArchiveError) as err:
            reason = err.message if isinstance(err, ArchiveError) else f"not JSON ({err})"
            raise ArchiveError(
                f"{where}, line {number}: {reason}", hint="nothing was imported"
            ) from None
    return rows


def _row(data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ArchiveError("not a JSON object")
    article = data.get("id")
    if not isinstance(article, str) or not _FULL_ID.fullmatch(article):
        raise ArchiveError(f"no article ID (12 hexadecimal digits) in 'id': {article!r}")
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ArchiveError("'tags' is not a list of names")
    row: dict[str, Any] = {"id": article, "tags": sorted({tag_name(tag) for tag in tags})}
    for mark in MARKS:
        if data.get(mark) is True:
            row[mark] = True
    note = data.get("note")
    if note is not None:
        if not isinstance(note, str):
            raise ArchiveError("'note' is not text")
        row["note"] = note_text(note)
    return row
