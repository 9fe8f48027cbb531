"""archive serve: one-shot commands answered by a resident process print
exactly what they print on their own, and never depend on it."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import sources, wire
from archive.index.store import Store
from archive.model import Article

pytestmark = pytest.mark.skipif(not hasattr(os, "getuid"), reason="Unix sockets")


def archive(
    *args: str, served: bool = True, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **env}
    if not served:
        environ[wire.ENV_NO_SERVER] = "1"
    return subprocess.run(
        [sys.executable, "-m", "archive", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=120,
    )


class Server:
    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(  # stops by itself if a test leaves it behind
            [sys.executable, "-m", "archive", "serve", *(args or ("--idle", "5"))],
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        self.said = self.process.stderr.readline()  # once it listens
        assert "serving one-shot commands" in self.said, self.stop()

    def stop(self) -> str:
        """Ctrl-C; what the server said."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        _, said = self.process.communicate(timeout=30)
        return self.said + said


@pytest.fixture
def server(seeded: Store) -> Iterator[Server]:
    running = Server()
    yield running
    running.stop()


def without_timing(text: str) -> str:
    found = json.loads(text)
    found.pop("elapsed_ms", None)
    return json.dumps(found)


def test_served_commands_print_what_they_print_alone(server: Server, seeded: Store) -> None:
    some_id = next(iter(sources.read_seeds())).id
    for args in (
        ("search", "--json", "kiev"),
        ("search", "--json", "--any", "putin bishkek", "--sort", "newest"),
        ("show", "--json", some_id),
        ("stats", "--json"),
    ):
        alone, served = archive(*args, served=False), archive(*args)
        assert served.returncode == alone.returncode == 0, args
        if args[0] == "search":
            assert without_timing(served.stdout) == without_timing(alone.stdout)
        else:
            assert served.stdout == alone.stdout
        assert served.stderr == alone.stderr
    for args in (("search", "nosuchwordzz"), ("search", "oil AND ("), ("show", "feedbeef")):
        alone, served = archive(*args, served=False), archive(*args)
        assert (served.returncode, served.stderr) == (alone.returncode, alone.stderr), args
        assert served.returncode != 0
    said = server.stop()
    assert "stopped after 7 commands" in said  # every command above was answered there


def test_a_served_search_sees_what_was_indexed_after_the_server_started(
    server: Server, seeded: Store, index_dir: Path
) -> None:
    assert archive("search", "--json", "harbour").returncode == 1
    seeded.sync([Article(id="late", title="Late news", body="The harbour reopened.", origin="x")])
    seeded.close()
    found = archive("search", "--json", "harbour")
    assert found.returncode == 0
    assert [hit["title"] for hit in json.loads(found.stdout)["hits"]] == ["Late news"]
    assert "stopped after 2 commands" in server.stop()


def test_commands_run_alone_without_a_live_server(seeded: Store) -> None:
    killed = Server()
    killed.process.kill()  # as a crash: the socket is left behind
    killed.stop()
    assert os.path.exists(wire.socket_path())
    found, alone = archive("search", "--json", "kiev"), archive("search", "kiev", served=False)
    assert found.returncode == alone.returncode == 0
    assert json.loads(found.stdout)["total"] == 1
    replacing = Server()  # a new server replaces what the dead one left
    assert archive("search", "--json", "kiev").returncode == 0
    assert "stopped after 1 command" in replacing.stop()


def test_a_server_answers_only_its_own_code(server: Server, seeded: Store) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(wire.socket_path())
        wire.send(sock, {"argv": ["search", "kiev"], "stamp": "another version"})
        assert wire.receive(sock) == {"started": False}  # the sender runs it itself
    assert archive("search", "--json", "kiev").returncode == 0  # and the server still serves
    assert "stopped after 1 command" in server.stop()


def test_a_server_runs_only_the_commands_it_serves(server: Server, seeded: Store) -> None:
    request = {
        "argv": ["index", "/etc"],
        "cwd": "/",
        "env": dict(os.environ),
        "stamp": wire.code_stamp(),
        "encodings": [["utf-8", "strict"], ["utf-8", "strict"]],
    }
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(wire.socket_path())
        wire.send(sock, request)
        assert wire.receive(sock) == {"started": False}  # never indexed by the server
    assert archive("search", "--json", "kiev").returncode == 0
    assert "stopped after 1 command" in server.stop()


def test_a_server_does_not_hold_a_request_of_any_size(server: Server, seeded: Store) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(wire.socket_path())
        sock.sendall(struct.pack("!I", 2**31))  # says 2 GB follow
        assert wire.receive(sock) == {"refused": True}  # answered without waiting for them
    assert archive("search", "--json", "kiev").returncode == 0  # and it still serves
    assert "stopped after 1 command" in server.stop()


def test_a_server_runs_commands_in_the_senders_folder_with_its_encoding(
    server: Server, seeded: Store, index_dir: Path
) -> None:
    relative = ("--index-dir", index_dir.name, "search", "--format", "md", "putin")
    encodings = ("utf-8", "ascii:backslashreplace", "latin-1")
    for env in [{"PYTHONIOENCODING": encoding} for encoding in encodings]:
        alone = archive(*relative, served=False, cwd=index_dir.parent, **env)
        served = archive(*relative, cwd=index_dir.parent, **env)
        assert (served.returncode, served.stdout, served.stderr) == (
            alone.returncode,
            alone.stdout,
            alone.stderr,
        ), env
    assert "stopped after 3 commands" in server.stop()


def test_output_and_errors_to_one_place_are_not_sent(server: Server, seeded: Store) -> None:
    together = subprocess.run(
        [sys.executable, "-m", "archive", "search", "nosuchwordzz"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert together.returncode == 1  # run here: the order of its lines is its own
    assert "stopped after 0 commands" in server.stop()


def test_one_server_at_a_time_and_it_stops_when_idle(seeded: Store) -> None:
    first = Server("--idle", "0.1")
    try:
        second = subprocess.run(
            [sys.executable, "-m", "archive", "serve"], capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 2
        assert "a server is already running" in second.stderr
        assert first.process.wait(timeout=60) == 0
    finally:
        said = first.stop()
    assert "no command for 0.1 minutes; stopping" in said
    assert not os.path.exists(wire.socket_path())


def test_only_read_only_commands_with_output_to_a_pipe_are_sent() -> None:
    assert wire.command_of(["--index-dir", "x", "search", "oil"]) == "search"
    assert wire.command_of(["--index-dir=x", "--config", "c", "show", "id"]) == "show"
    assert wire.command_of(["--traceback", "search", "oil"]) is None
    assert wire.command_of(["--help"]) is None
    assert {"index", "rebuild", "update", "follow", "shell", "serve"}.isdisjoint(wire.SERVED)


def test_the_first_step_of_every_command_loads_no_search_code(tmp_path: Path) -> None:
    code = (
        "import sys, archive.launch as launch\n"
        "assert launch.forwarded(['search', 'oil']) is None\n"  # no server: run here
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert not {"whoosh", "numpy", "click", "rich"} & set(done.stderr.split())


def test_a_command_in_a_removed_folder_runs_where_it_was_typed(
    server: Server, seeded: Store, tmp_path: Path
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    folder, python = shlex.quote(str(gone)), shlex.quote(sys.executable)
    script = f"cd {folder} && rmdir {folder} && {python} -m archive search --json kiev"
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == 1
    assert "stopped after 0 commands" in server.stop()
