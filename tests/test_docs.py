"""The documentation tells the truth about the commands."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Ran

from archive import shell
from archive.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme(name: str) -> None:
    assert re.search(rf"archive(?: [-\w=/ ]+)? {name}\b", README), name


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(run: Callable[..., Ran], name: str) -> None:
    ran = run(name, "--help")
    assert ran.code == 0
    assert re.search(r"Examples?:\n\s+archive ", ran.out), ran.out


def test_every_shell_command_is_in_the_readme() -> None:
    for name in {entry.name for entry in shell.COMMANDS.values()}:
        assert f":{name}" in README, name


def test_readme_gives_exactly_two_setup_commands() -> None:
    setup = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^```sh\n(.+?)\n```", setup, flags=re.M | re.S)
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    setup = README.split("## Set-up", 1)[1]
    test_command = re.findall(r"^```sh\n(.+?)\n```", setup, flags=re.M)[1]
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_is_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean() -> None:
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
