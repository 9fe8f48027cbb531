"""A shared index: its files are as readable as the umask allows, and a file
another user may not read is named as a permission problem, not as damage."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import FIXTURES


def archive(
    index: Path, *args: str, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "archive", "--index-dir", str(index), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def modes(index: Path) -> dict[str, int]:
    return {
        str(path.relative_to(index)): stat.S_IMODE(path.stat().st_mode)
        for path in index.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize("mask", [0o022, 0o027], ids=["umask-022", "umask-027"])
def test_every_file_of_the_index_is_as_readable_as_the_umask_allows(
    tmp_path: Path, mask: int
) -> None:
    index = tmp_path / "index"
    news = tmp_path / "news.txt"
    shutil.copy(FIXTURES / "bbc_business" / "001.txt", news)
    readable = 0o444 & ~mask  # 0644 files with umask 022: anyone may read them
    with umask(mask):
        for args in (("index",), ("index", str(news)), ("rebuild",)):
            done = archive(index, *args)
            assert done.returncode == 0, done.stderr
            found = modes(index)
            assert "archive-meta.json" in found and any(n.endswith(".arrays") for n in found)
            wrong = {n: oct(m) for n, m in found.items() if m & 0o444 != readable or m & mask}
            assert wrong == {}, args


@pytest.fixture(scope="module")
def shared_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("shared") / "index"
    with umask(0o022):
        assert archive(index, "index").returncode == 0
    return index


@pytest.mark.parametrize(
    "pattern", ["archive-meta.json", "_MAIN_*.toc", "MAIN_*.seg", "archive-stories.sqlite"]
)
def test_a_file_another_user_may_not_read_is_a_permission_problem_not_damage(
    shared_master: Path, tmp_path: Path, another_user: tuple[str, ...], pattern: str
) -> None:
    index = Path(shutil.copytree(shared_master, tmp_path / "index"))
    (locked,) = index.glob(pattern)
    locked.chmod(0)
    for args in (("search", "putin"), ("check",)):
        done = archive(index, *args, prefix=another_user)
        assert done.returncode == 2, (args, done.stdout)
        assert done.stderr.count("\n") == 1, args
        assert f"cannot read {locked.name} of the index at {index}: permission denied" in (
            done.stderr
        )
        assert "chmod" in done.stderr
        assert "damaged" not in done.stderr and "rebuild" not in done.stderr
    locked.chmod(0o644)
    assert archive(index, "search", "putin", prefix=another_user).returncode == 0
