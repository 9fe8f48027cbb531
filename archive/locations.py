"""Where the index, the history and the user's data live.

The index in use is chosen, first match wins, from: ``--index-dir``, the
``ARCHIVE_INDEX_DIR`` environment variable, the ``index/`` folder of the source
checkout the package runs from, and the per-user data directory. Whatever is
chosen is always shown to the user together with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_INDEX_DIR = "ARCHIVE_INDEX_DIR"
ENV_DATA_DIR = "ARCHIVE_DATA_DIR"
APP_NAME = "news-archive"


@dataclass(frozen=True)
class IndexLocation:
    path: Path
    why: str  # how it was chosen, in words the user can act on

    def __str__(self) -> str:
        return f"{self.path} ({self.why})"


def checkout_root() -> Path | None:
    """The source checkout this package runs from, if it runs from one."""
    root = Path(__file__).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    if not (pyproject.is_file() and (root / "index").is_dir()):
        return None
    try:
        declares_us = f'name = "{APP_NAME}"' in pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return root if declares_us else None


def data_dir() -> Path:
    """Per-user data: history, and the index when not running from a checkout."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def resolve_index(explicit: Path | None = None) -> IndexLocation:
    if explicit is not None:
        return IndexLocation(explicit.expanduser().resolve(), "from --index-dir")
    env = os.environ.get(ENV_INDEX_DIR)
    if env:
        return IndexLocation(Path(env).expanduser().resolve(), f"from ${ENV_INDEX_DIR}")
    root = checkout_root()
    if root is not None:
        return IndexLocation(root / "index", "the source checkout's index/ folder")
    return IndexLocation(data_dir() / "index", "the per-user data directory")


def history_file() -> Path:
    return data_dir() / "history"
