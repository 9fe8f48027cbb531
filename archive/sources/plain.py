"""Plain-text and Markdown articles."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any

from archive.model import Article, Problem
from archive.sources.article import build

_FRONT = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?)\n\1[ \t]*(?:\n|\Z)", re.DOTALL)


def read_text(text: str, *, path: str, origin: str) -> Iterator[Article | Problem]:
    yield from build(origin=origin, path=path, body=text)


def read_markdown(text: str, *, path: str, origin: str) -> Iterator[Article | Problem]:
    """A Markdown article, with optional YAML (---) or TOML (+++) front matter."""
    meta: dict[str, Any] = {}
    match = _FRONT.match(text)
    if match:
        try:
            meta = _front_matter(match.group(1), match.group(2))
        except Hostile as err:
            yield Problem(path, f"front matter refused: {err}")
            return
        except ValueError as err:
            yield Problem(path, f"front matter ignored: {err}", skipped=False)
        text = text[match.end() :]
    wrong = _not_text(meta)
    if wrong is not None:
        yield Problem(path, wrong)
        return
    body = markdown_to_text(text)
    yield from build(
        origin=origin,
        path=path,
        body=body,
        title=_first(meta, "title", "headline"),
        date=_first(meta, "date", "published", "pubdate"),
        source=_first(meta, "source", "publisher", "site"),
        authors=_many(_first(meta, "authors", "author")),
        url=_first(meta, "url", "link"),
        tags=_many(_first(meta, "tags", "categories", "category")),
        language=_first(meta, "language", "lang"),
    )


# Front matter fields that must be text, and those that may also be lists of text.
TEXT_FIELDS = ("title", "headline", "source", "publisher", "site", "url", "link", "language")
LIST_FIELDS = ("authors", "author", "tags", "categories", "category")


def _not_text(meta: dict[str, Any]) -> str | None:
    """Why the front matter cannot make an article, if it cannot: a title that
    is a number, a date, a list or a table is not a title."""
    for key in TEXT_FIELDS:
        value = meta.get(key)
        if value is not None and not isinstance(value, str):
            return f"front matter {key!r} is {_kind(value)}, not text"
    for key in LIST_FIELDS:
        value = meta.get(key)
        items = value if isinstance(value, list) else [value]
        if value is not None and not all(isinstance(item, str) for item in items):
            return f"front matter {key!r} is {_kind(value)}, not text or a list of text"
    return None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list of other things" if all(isinstance(v, str) for v in value) else "a list"
    return f"a {type(value).__name__}"


def _front_matter(fence: str, block: str) -> dict[str, Any]:
    if fence == "+++":
        try:
            data: Any = tomllib.loads(block)
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"not valid TOML ({err})") from err
    else:
        import yaml

        try:
            data = yaml.load(block, Loader=_loader())
        except Hostile:
            raise
        except yaml.YAMLError as err:
            raise ValueError(f"not valid YAML ({str(err).splitlines()[0]})") from err
    if not isinstance(data, dict):
        raise ValueError("not a table of fields")
    return {str(key).lower(): value for key, value in data.items()}


class Hostile(ValueError):
    """Front matter built to exhaust the reader, not to describe an article."""


def _loader() -> Any:
    """PyYAML's safe loader, refusing aliases: front matter never needs them,
    and a kilobyte of nested aliases (a "billion laughs") expands to gigabytes."""
    import yaml

    class NoAliases(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise Hostile("YAML aliases (*name), which expand without bound")
            return super().compose_node(parent, index)

    return NoAliases


def _first(meta: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if meta.get(key) not in (None, "", []):
            return meta[key]
    return None


def _many(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [part.strip() for part in re.split(r"[;,]", str(value)) if part.strip()]


def markdown_to_text(text: str) -> str:
    """The words of a Markdown document, one paragraph per block, markup gone."""
    from markdown_it import MarkdownIt

    blocks: list[str] = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type == "inline":
            blocks.append("".join(map(_inline_text, token.children or [])))
        elif token.type in ("code_block", "fence"):
            blocks.append(token.content.strip())
    return "\n\n".join(block for block in blocks if block.strip())


# A wrapped line of a paragraph goes on after a space; a hard break (two
# spaces or a backslash at the end of a line) is kept as a line break.
_BREAKS = {"softbreak": " ", "hardbreak": "\n"}


def _inline_text(token: Any) -> str:
    if token.type in ("text", "code_inline"):
        return str(token.content)
    return _BREAKS.get(token.type, "")
