"""Shared fixtures: every test runs against its own index and data folders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive import cli, sources
from archive.store import Store

SEED_000 = "000_44eb2994a6798eda.txt"  # headline first; whole body pasted twice
SEED_001 = "001_dcd564552b84d477.txt"  # no headline; trailing "Also Read:" line
SEEDS = Path(cli.__file__).parent / "seeds"
SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the index, history and every per-user folder at tmp_path."""
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path / "data"))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.delenv("COLUMNS", raising=False)
    return tmp_path


@pytest.fixture
def index_dir(isolated: Path) -> Path:
    return isolated / "index"


@pytest.fixture
def seeded(index_dir: Path) -> Store:
    """An index holding the two bundled seed articles."""
    store = Store.create(index_dir)
    store.sync(sources.read_seeds())
    return store


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """Run the command line in-process; returns exit code, stdout and stderr."""

    def invoke(*args: str) -> Ran:
        code = cli.main(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return invoke


def seed_id(name: str) -> str:
    return sources.article_id(f"seed:{name}")
