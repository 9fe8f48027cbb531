"""The shell's settings: a commented TOML file in the per-user config folder.

The file is ``--config PATH``, else ``$ARCHIVE_CONFIG``, else
``config.toml`` in the per-user config directory. It is created with
comments the first time the shell runs. A bad value never stops the shell:
it is reported in one line and its default is used.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from archive.locations import APP_NAME
from archive.present.render import DEFAULT_THEME

ENV_CONFIG = "ARCHIVE_CONFIG"

TEMPLATE = """\
# news-archive shell settings. Delete a line to get its default back.

# Hits per page of results (1-100).
page_size = 10

# Snippets shown under each hit (0-5).
snippets = 3

# Key bindings for the prompt: "emacs" or "vi".
key_bindings = "emacs"

# Show the hit count and the top titles while you type.
preview = true

# Colours, in rich's style syntax (https://rich.readthedocs.io/en/latest/style.html).
[theme]
match = "bold black on yellow"   # matched words
title = "bold"                   # article titles
meta = "dim"                     # IDs, dates, scores
rank = "bold cyan"               # result numbers
warning = "yellow"               # hints and errors
"""


@dataclass(frozen=True)
class Settings:
    page_size: int = 10
    snippets: int = 3
    key_bindings: str = "emacs"
    preview: bool = True
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
            path.write_text(TEMPLATE, encoding="utf-8")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        return Settings(path=path), [f"config {path}: cannot be read ({err}); using defaults"]
    except tomllib.TOMLDecodeError as err:
        return Settings(path=path), [f"config {path}: not valid TOML ({err}); using defaults"]
    return _apply(data, path)


def _apply(data: dict[str, Any], path: Path) -> tuple[Settings, list[str]]:
    settings = Settings(path=path)
    warnings: list[str] = []

    def bad(key: str, why: str) -> None:
        warnings.append(f"config {path}: {key} {why}; using the default")

    checks: dict[str, tuple[type, Any]] = {
        "page_size": (int, lambda v: 1 <= v <= 100),
        "snippets": (int, lambda v: 0 <= v <= 5),
        "key_bindings": (str, lambda v: v in ("emacs", "vi")),
        "preview": (bool, lambda v: True),
    }
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "theme":
            continue
        if key not in checks:
            bad(key, "is not a setting")
            continue
        kind, valid = checks[key]
        if type(value) is not kind or not valid(value):
            bad(key, f"= {value!r} is not allowed")
            continue
        values[key] = value
    theme = dict(DEFAULT_THEME)
    theme.update(_theme(data.get("theme", {}), bad))
    return replace(settings, theme=theme, **values), warnings


def _theme(table: Any, bad: Any) -> dict[str, str]:
    from rich.errors import StyleSyntaxError
    from rich.style import Style

    if not isinstance(table, dict):
        bad("theme", "must be a table")
        return {}
    theme = {}
    for name, style in table.items():
        if name not in DEFAULT_THEME:
            bad(f"theme.{name}", "is not a style name")
            continue
        try:
            Style.parse(str(style))
        except StyleSyntaxError:
            bad(f"theme.{name}", f"= {style!r} is not a style")
            continue
        theme[name] = str(style)
    return theme
