"""One smoke test in a real terminal: tmux runs the shell, we type and read the screen."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive.index.store import Store

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None or shutil.which("less") is None,
    reason="the terminal test needs tmux and less",
)


@dataclass
class Tmux:
    """A private tmux server (own socket) running one window."""

    socket: Path
    name: str = "archive"

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def start(self, command: str, env: dict[str, str]) -> None:
        pairs = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        self.tmux("new-session", "-d", "-s", self.name, "-x", "120", "-y", "40", *pairs, command)

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def screen(self, colours: bool = False) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name, *(["-e"] if colours else []))

    def wait_for(self, test: Callable[[str], bool], timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if test(text := self.screen()):
                return text
            time.sleep(0.2)
        raise AssertionError(f"the screen never matched; it shows:\n{self.screen()}")


@pytest.fixture
def term(isolated: Path) -> Iterator[Tmux]:
    server = Tmux(isolated / "tmux.sock")
    yield server
    subprocess.run(["tmux", "-S", str(server.socket), "kill-server"], capture_output=True)


def start_shell(term: Tmux, index: Path, isolated: Path) -> None:
    """The shell on ``index`` in the tmux window, started in ``isolated``."""
    program = f"{shlex.quote(sys.executable)} -m archive --index-dir {shlex.quote(str(index))}"
    term.start(
        f"cd {shlex.quote(str(isolated))} && {program} shell; echo EXIT-STATUS=$?; sleep 60",
        {
            "ARCHIVE_DATA_DIR": str(isolated / "data"),
            "ARCHIVE_CONFIG": str(isolated / "config.toml"),
            "TERM": "xterm-256color",
            "PAGER": "less",
            "LESS": "R",  # what the test reads off the screen does not hang on the user's less
        },
    )


def test_shell_in_a_real_terminal(term: Tmux, seeded: Store, isolated: Path) -> None:
    start_shell(term, seeded.path, isolated)
    term.wait_for(lambda s: "search>" in s and "articles" in s)

    # A partial word: the toolbar says what it can become; Tab completes it on the line.
    term.send("kyrgyz")
    term.wait_for(lambda s: "kyrgyz… kyrgyzstan 1" in s)
    term.send("Tab")
    term.wait_for(lambda s: "search> kyrgyzstan" in s)
    term.send("C-u")

    # The live preview counts hits while typing, before Enter.
    term.send("withdrawal")
    term.wait_for(lambda s: "2 hits  1. " in s)
    term.send("Enter")
    text = term.wait_for(lambda s: "2 hits for withdrawal" in s)
    assert re.search(r" 1\. \S", text) and re.search(r" 2\. \S", text)
    assert "Russia Seeks Starting Point for Peace Talks" in text
    # The matched word is drawn in the highlight style: an escape sequence just before it.
    assert re.search(r"\x1b\[[0-9;]*m[Ww]ithdraw", term.screen(colours=True))

    # Ctrl-R finds the line in history, and the toolbar previews the line found.
    term.send("C-r")
    term.send("withd")
    term.wait_for(lambda s: "(reverse-i-search)`withd': withdrawal" in s and "2 hits  1. " in s)
    term.send("C-g")
    term.wait_for(lambda s: "reverse-i-search" not in s)

    # :open pages the whole article; q leaves the pager and returns to the prompt.
    term.send(":open 1", "Enter")
    term.wait_for(lambda s: "Also Read" not in s and "search>" not in s and "(END)" in s)
    term.send("q")
    # A fresh, empty prompt: the earlier "search> :open 1" line is on the screen already,
    # and a key sent before the prompt is back is lost.
    term.wait_for(lambda s: "(END)" not in s and "search>" in [x.rstrip() for x in s.splitlines()])

    term.send("C-d")
    term.wait_for(lambda s: "EXIT-STATUS=0" in s)


def test_filter_page_walk_open_and_save_in_a_real_terminal(
    term: Tmux, grown: Path, isolated: Path
) -> None:
    start_shell(term, grown, isolated)
    term.wait_for(lambda s: "search>" in s and "articles" in s)

    # A filter before any query: the toolbar shows it from then on.
    term.send(":since 1987-01-01", "Enter")
    term.wait_for(lambda s: "filters: :since 1987-01-01" in s)

    # Ten hits with snippets are taller than 40 rows: they open in less...
    term.send("said", "Enter")
    term.wait_for(lambda s: "hits for said" in s and "search>" not in s)
    term.send("q")
    # ...and after it the header is printed again above the prompt.
    term.wait_for(lambda s: "search>" in s and "hits for said" in s)

    # Alt-Down twice marks the second hit; Enter opens it in less at its first match.
    term.send("M-Down")
    term.wait_for(lambda s: "→ 1. " in s)
    term.send("M-Down")
    marked = term.wait_for(lambda s: "→ 2. " in s)
    assert "Enter opens it" in marked
    term.send("Enter")
    term.wait_for(lambda s: "search>" not in s)  # less, at the first match
    term.send("q")
    term.wait_for(lambda s: "search>" in s)

    # :save writes every hit, not just the page shown.
    term.send(":limit 2", "Enter")
    term.wait_for(lambda s: "page 1 of " in s)
    term.send(":save said.md", "Enter")
    saved = term.wait_for(lambda s: "saved " in s and " results to " in s)
    count = int(re.search(r"saved (\d+) results to", saved).group(1))
    written = (isolated / "said.md").read_text("utf-8")
    assert len(re.findall(r"^\d+\. \*\*", written, flags=re.M)) == count > 2

    term.send("C-d")
    term.wait_for(lambda s: "EXIT-STATUS=0" in s)
