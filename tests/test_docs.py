"""The documentation tells the truth about the commands."""

from __future__ import annotations

import re
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


@pytest.mark.parametrize("check", [["check", "."], ["format", "--check", "."]], ids=" ".join)
def test_ruff_is_clean(check: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *check], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean() -> None:
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# -- the README's examples are real output ---------------------------------------

EXAMPLE = re.compile(r"^```(?:text|json)\n(\$ archive [^\n]*)\n(.*?)^```", re.M | re.S)
# What an example says about where it was run (a comment on its command line).
ARCHIVES = {
    "": "seeds",
    "# on every 15th Reuters-21578 story": "reuters",
    "# into a new index": "new",
}
VOLATILE = [
    (re.compile(r"in \d+ ms"), "in N ms"),
    (re.compile(r"\(\d+\.\d+ s\)"), "(N s)"),
    (re.compile(r'"elapsed_ms": [\d.]+'), '"elapsed_ms": N'),
    # An article's ID hashes where it was read from, which differs by machine.
    (re.compile(r"\b[0-9a-f]{12}\b"), "ID"),
]


def examples() -> list[tuple[str, str]]:
    return [(command, output) for command, output in EXAMPLE.findall(README)]


def normal(text: str, index: Path) -> list[str]:
    text = text.replace(str(index), "~/.local/share/news-archive/index")
    text = text.replace(str(Path(shell.__file__).parents[1] / "seeds"), ".../archive/seeds")
    for pattern, placeholder in VOLATILE:
        text = pattern.sub(placeholder, text)
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


def test_the_readme_has_examples() -> None:
    assert len(examples()) >= 4


@pytest.mark.parametrize(("command", "output"), examples(), ids=[c for c, _ in examples()])
def test_readme_example_is_what_the_command_prints(
    command: str,
    output: str,
    run: Callable[..., Ran],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    import shlex

    line, _, comment = command.partition("  #")
    where = ARCHIVES["#" + comment.rstrip() if comment else ""]
    args = shlex.split(line.removeprefix("$ archive "))
    if where == "reuters":
        index = request.getfixturevalue("wire_index")  # the tests' sample
    else:
        index = tmp_path / "index"
        if where == "seeds":
            assert run("--index-dir", str(index), "index").code == 0
    ran = run("--index-dir", str(index), *args)
    printed = normal(ran.err + ran.out, index)
    expected = normal(output, index)
    if expected[-1] == "...":  # the rest of the output is left out
        expected, printed = expected[:-1], printed[: len(expected) - 1]
    assert printed == expected


def test_the_readme_shows_the_settings_file_as_it_is_written() -> None:
    from archive.config import template

    assert f"```toml\n{template()}```" in README


def test_every_exit_code_is_in_the_readme() -> None:
    from archive.errors import ExitCode

    table = README.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for code in ExitCode:
        assert f"| {int(code)} |" in table, code
