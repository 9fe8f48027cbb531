"""``archive serve``: one resident process that answers one-shot commands.

A one-shot search spent most of its time starting Python and importing the
search code. The server imports it once; archive.launch sends it the
read-only commands whose output goes to files or pipes. Each is run as the
command line runs it, with the sender's arguments, working folder,
environment (time zone included) and output encodings, its output captured
as bytes and sent back with its exit status. One command runs at a time
(the environment and folder are the process's); a sender that finds the
server busy runs its command itself. Every command opens the index afresh,
so what it answers is what the index holds now.

The socket is in a folder only the user can enter (archive.wire.
socket_path), and each side checks that the other is the same user. A
server whose code has changed on disk since it started stops, and the
commands run where they were typed.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import importlib
import io
import os
import signal
import socket
import stat
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError, ExitCode
from archive.escape import fall_back
from archive.wire import (
    MAX_REQUEST_BYTES,
    code_stamp,
    peer_uid,
    private,
    receive,
    send,
    servable,
    socket_path,
)

REQUEST_TIMEOUT = 10.0  # seconds for a sender to send its command or take the answer


class _Stop:
    """Ctrl-C or SIGTERM: stop serving. A command it interrupts is not
    answered (its sender runs it), rather than answered "interrupted"."""

    asked = False

    @classmethod
    def handle(cls, signum: int, frame: object) -> None:
        cls.asked = True
        raise KeyboardInterrupt


Main = Callable[[list[str], Any], int]  # the command line: arguments, open readers -> status


def serve(idle_minutes: float | None, tell: Callable[[str], None], main: Main) -> int:
    """Answer commands, each run by ``main`` (the command line), until
    interrupted (Ctrl-C or SIGTERM), or until ``idle_minutes`` pass with
    none; ``tell`` says what the server does."""
    from archive.search.reader import Readers

    path = Path(socket_path())
    readers = Readers()  # each index stays open between its commands
    with _listening(path) as listener, contextlib.closing(readers):
        stamp = code_stamp()
        _warm_up()
        tell(f"archive: serving one-shot commands at {path}; Ctrl-C stops")
        listener.settimeout(idle_minutes * 60 if idle_minutes else None)
        os.chdir("/")  # the folder it was started in may go; each command brings its own
        served = 0
        previous = [signal.signal(sig, _Stop.handle) for sig in (signal.SIGINT, signal.SIGTERM)]
        try:
            while True:
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    tell(f"archive: no command for {idle_minutes:g} minutes; stopping")
                    return ExitCode.OK
                with connection:
                    done, reply = _answer(connection, stamp, lambda r: run(r, main, readers))
                    served += done == "ran"  # counted before the sender can see it
                    with contextlib.suppress(OSError):  # the sender may have gone
                        send(connection, reply)
                if done == "changed":
                    tell("archive: the archive's code changed on disk; stopping")
                    return ExitCode.OK
        except KeyboardInterrupt:
            tell(f"archive: stopped after {served:,} {'command' if served == 1 else 'commands'}")
            return ExitCode.OK
        finally:
            for sig, handler in zip((signal.SIGINT, signal.SIGTERM), previous, strict=True):
                signal.signal(sig, handler)


@contextlib.contextmanager
def _listening(path: Path) -> Iterator[socket.socket]:
    """The listening socket at ``path``, one server at a time (a lock held for
    the server's life); the socket is removed when it stops, if still its own."""
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not private(str(folder), stat.S_IFDIR):
        raise ArchiveError(f"{folder} is not a folder private to this user; remove it")
    lock_path = path.with_suffix(".lock")
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ArchiveError(f"a server is already running at {path}") from None
        if not _same_file(lock, lock_path):  # a stopping server removed it meanwhile
            raise ArchiveError(f"a server at {path} is stopping; try again")
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by a server that was killed: the lock was free
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            previous = os.umask(0o177)
            try:
                listener.bind(str(path))
            finally:
                os.umask(previous)
            bound = os.lstat(path).st_ino
            listener.listen(16)
        except OSError as err:
            listener.close()
            raise ArchiveError(f"cannot listen at {path}: {err.strerror or err}") from err
        try:
            yield listener
        finally:
            listener.close()
            for name, inode in ((path, bound), (lock_path, os.fstat(lock.fileno()).st_ino)):
                with contextlib.suppress(OSError):
                    if os.lstat(name).st_ino == inode:  # still this server's
                        name.unlink()


def _same_file(opened: Any, path: Path) -> bool:
    try:
        return os.fstat(opened.fileno()).st_ino == os.lstat(path).st_ino
    except OSError:
        return False


def _warm_up() -> None:
    """Import what commands use, so that the first is as quick as the rest."""
    from archive.whoosh_ext.startup import prepare

    prepare()
    for name in ("numpy", "rich.console", "archive.search.reader"):
        importlib.import_module(name)


def _answer(
    connection: socket.socket, stamp: str, running: Callable[[dict[str, Any]], dict[str, object]]
) -> tuple[str, dict[str, object]]:
    """Take one command and run it: "ran", "refused", or "changed" when this
    server's code has changed on disk (the sender then runs it itself); and
    the answer to send."""
    refused: dict[str, object] = {"refused": True}
    try:
        connection.settimeout(REQUEST_TIMEOUT)
        if peer_uid(connection) not in (None, os.getuid()):
            return "refused", refused
        request = receive(connection, MAX_REQUEST_BYTES)
        if not _well_formed(request) or request.get("stamp") != stamp or code_stamp() != stamp:
            send(connection, {"started": False})
            return ("refused" if code_stamp() == stamp else "changed"), refused
        send(connection, {"started": True})
        reply = running(request)
    except Exception:  # a sender gone, slow or confused: it runs the command itself
        return "refused", refused
    if _Stop.asked:  # interrupted while it ran: not answered
        raise KeyboardInterrupt
    return "ran", reply


def _well_formed(request: dict[str, Any]) -> bool:
    """A request of the shape the sender writes, for a command a server runs."""
    argv, env, encodings = request.get("argv"), request.get("env"), request.get("encodings")
    return (
        isinstance(argv, list)
        and all(isinstance(word, str) for word in argv)
        and servable(argv)
        and isinstance(env, dict)
        and isinstance(request.get("cwd"), str)
        and isinstance(encodings, list)
        and len(encodings) == 2
    )


def run(request: dict[str, Any], main: Main, readers: Any = None) -> dict[str, object]:
    """Run a command with ``main`` as the sender would have: its arguments,
    folder, environment and encodings; its output (base64 bytes) and exit
    status. The index it names is read through ``readers`` (archive.search.
    reader.Readers), which keeps it open while it is unchanged."""

    argv = [str(word) for word in request["argv"]]
    out, err = (_capture(*pair) for pair in request["encodings"])
    saved_env = dict(os.environ)
    code: int = ExitCode.ERROR
    try:
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})
        time.tzset()  # "today" is the sender's
        os.chdir(str(request["cwd"]))
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(),  # each command warns as if it ran alone
        ):
            code = _exit_status(lambda words: main(words, readers), argv)
            out.flush()
            err.flush()
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        time.tzset()
        os.chdir("/")
    return {
        "stdout": base64.b64encode(_written(out)).decode("ascii"),
        "stderr": base64.b64encode(_written(err)).decode("ascii"),
        "code": int(code),
    }


def _capture(encoding: str, errors: str) -> io.TextIOWrapper:
    stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors=errors, write_through=True)
    fall_back(stream)  # as the sender's streams do
    return stream


def _written(stream: io.TextIOWrapper) -> bytes:
    raw = stream.buffer
    assert isinstance(raw, io.BytesIO)
    return raw.getvalue()


def _exit_status(main: Callable[[list[str]], int], argv: list[str]) -> int:
    """What the process would have exited with, as Python exits."""
    try:
        return main(argv)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)
        return 1
    except Exception:  # main() reports everything else; this would be a bug in it
        traceback.print_exc()
        return ExitCode.ERROR
