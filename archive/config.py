"""The settings: one table that makes the commented file and checks it.

The file is ``--config PATH``, else ``$ARCHIVE_CONFIG``, else ``config.toml``
in the per-user config directory. It is created, with a comment for every
setting, the first time the shell runs (``archive index`` reads it if it is
there). A bad value never stops anything: it is reported in one line and its
default is used.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from archive.locations import APP_NAME

ENV_CONFIG = "ARCHIVE_CONFIG"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    about: str  # the comment above it in the file
    allowed: str  # in words, for the file and for messages
    check: Callable[[Any], bool] = lambda value: True


PAGE_SIZES = range(1, 101)
# Documentation that sits beside articles in folders (corpora, exports, checkouts).
SKIPPED_NAMES = (
    "README*",
    "PROVENANCE*",
    "LICENSE*",
    "LICENCE*",
    "COPYING*",
    "NOTICE*",
    "AUTHORS*",
    "CONTRIBUTING*",
    "CHANGELOG*",
    "CHANGES*",
    "SHA256SUMS*",
    "SHA1SUMS*",
    "MD5SUMS*",
)
SETTINGS = (
    Setting(
        "page_size",
        10,
        "Hits per page of results",
        "1-100",
        lambda v: type(v) is int and v in PAGE_SIZES,
    ),
    Setting(
        "snippets",
        3,
        "Snippets shown under each hit",
        "0-5",
        lambda v: type(v) is int and 0 <= v <= 5,
    ),
    Setting(
        "key_bindings",
        "emacs",
        "Key bindings for the prompt",
        '"emacs" or "vi"',
        lambda v: v in ("emacs", "vi"),
    ),
    Setting(
        "preview",
        True,
        "Show the hit count and the top titles while you type",
        "true or false",
        lambda v: type(v) is bool,
    ),
    Setting(
        "pager",
        True,
        "Page results taller than the terminal (with $ARCHIVE_PAGER, $PAGER or less)",
        "true or false",
        lambda v: type(v) is bool,
    ),
    Setting(
        "skipped_names",
        SKIPPED_NAMES,
        "Files and folders 'archive index' passes over inside folders, as --exclude",
        "a list of globs",
        lambda v: isinstance(v, list) and all(isinstance(item, str) for item in v),
    ),
)
# Colours, in rich's style syntax: style name -> (default, what it colours).
THEME = {
    "match": ("bold black on yellow", "matched words"),
    "title": ("bold", "article titles"),
    "meta": ("dim", "IDs, dates, scores"),
    "rank": ("bold cyan", "result numbers"),
    "warning": ("yellow", "hints and errors"),
}
DEFAULT_THEME = {name: style for name, (style, _) in THEME.items()}
_BY_NAME = {setting.name: setting for setting in SETTINGS}


def template() -> str:
    """The commented settings file written on first run."""
    lines = ["# news-archive settings. Delete a line to get its default back.", ""]
    for setting in SETTINGS:
        lines += [
            f"# {setting.about} ({setting.allowed}).",
            f"{setting.name} = {_toml(setting.default)}",
            "",
        ]
    lines.append(
        "# Colours, in rich's style syntax (https://rich.readthedocs.io/en/latest/style.html)."
    )
    lines.append("[theme]")
    width = max(len(f"{name} = {_toml(style)}") for name, (style, _) in THEME.items())
    for name, (style, about) in THEME.items():
        lines.append(f"{f'{name} = {_toml(style)}':<{width}}   # {about}")
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return _toml_list(value)
    return f'"{value}"' if isinstance(value, str) else str(value)


def _toml_list(values: tuple[str, ...]) -> str:
    """A list of strings, a few to a line."""
    lines, line = [], ""
    for item in (f'"{value}",' for value in values):
        if line and len(line) + len(item) > 72:
            lines.append(line)
            line = ""
        line = f"{line} {item}" if line else item
    return "[\n" + "".join(f"    {line}\n" for line in [*lines, line] if line) + "]"


@dataclass(frozen=True)
class Settings:
    page_size: int = _BY_NAME["page_size"].default
    snippets: int = _BY_NAME["snippets"].default
    key_bindings: str = _BY_NAME["key_bindings"].default
    preview: bool = _BY_NAME["preview"].default
    pager: bool = _BY_NAME["pager"].default
    skipped_names: tuple[str, ...] = _BY_NAME["skipped_names"].default
    theme: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_THEME))
    path: Path | None = None


def config_path(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit.expanduser()
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def load(path: Path) -> tuple[Settings, list[str]]:
    """Settings from ``path`` (created with comments if missing) and any warnings."""
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template(), encoding="utf-8")
    except OSError as err:
        return Settings(path=path), [f"config {path}: cannot be read ({err}); using defaults"]
    return read(path)


def read(path: Path) -> tuple[Settings, list[str]]:
    """Settings from ``path`` (the defaults if there is none) and any warnings."""
    try:
        if not path.exists():
            return Settings(path=path), []
        data = tomllib.loads(_text_of(path))
    except (OSError, UnicodeDecodeError) as err:
        return Settings(path=path), [f"config {path}: cannot be read ({err}); using defaults"]
    except tomllib.TOMLDecodeError as err:
        return Settings(path=path), [f"config {path}: not valid TOML ({err}); using defaults"]
    return _apply(data, path)


# A settings file is a few hundred bytes; anything past this is not one (and
# /dev/zero or a pipe would never end).
MAX_SETTINGS_BYTES = 1 << 20


def _text_of(path: Path) -> str:
    """The file's text: a regular file's, and at most MAX_SETTINGS_BYTES of it."""
    with path.open("rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise OSError("not a regular file")
        data = stream.read(MAX_SETTINGS_BYTES + 1)
    if len(data) > MAX_SETTINGS_BYTES:
        raise OSError(f"larger than {MAX_SETTINGS_BYTES:,} bytes")
    return data.decode("utf-8")


def _apply(data: dict[str, Any], path: Path) -> tuple[Settings, list[str]]:
    warnings: list[str] = []

    def bad(key: str, why: str) -> None:
        warnings.append(f"config {path}: {key} {why}; using the default")

    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "theme":
            continue
        setting = _BY_NAME.get(key)
        if setting is None:
            bad(key, "is not a setting")
        elif not setting.check(value):
            bad(key, f"= {value!r} is not allowed ({setting.allowed})")
        else:
            values[key] = tuple(value) if isinstance(value, list) else value
    theme = {**DEFAULT_THEME, **_theme(data.get("theme", {}), bad)}
    return replace(Settings(path=path), theme=theme, **values), warnings


def _theme(table: Any, bad: Callable[[str, str], None]) -> dict[str, str]:
    from rich.errors import StyleSyntaxError
    from rich.style import Style

    if not isinstance(table, dict):
        bad("theme", "must be a table")
        return {}
    theme = {}
    for name, style in table.items():
        if name not in THEME:
            bad(f"theme.{name}", "is not a style name")
            continue
        try:
            Style.parse(str(style))
        except StyleSyntaxError:
            bad(f"theme.{name}", f"= {style!r} is not a style")
            continue
        theme[name] = str(style)
    return theme
