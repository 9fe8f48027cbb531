"""The ``archive`` command's first step: hand a one-shot command to a
resident ``archive serve`` process if one is running, else run it here.

Starting Python and importing the search code (Whoosh, NumPy, click) took
most of a one-shot search. ``archive serve`` (archive.serving) keeps one
process with all of it loaded; a one-shot command that only reads the
index, with its output going to files or pipes, is sent to it with its
arguments, working folder, environment and output encodings, and this
process writes the bytes it answers: the command's output exactly as it
would be here. Anything else runs here as always: the shell, indexing, a
terminal's output (its width, colours, pager), standard output and error
going to the same place (their order), forced colours, --help, a server
that is missing, not this user's, busy with another command, or running
other code.

Only a few modules of the standard library are imported before the
decision (a fifth of a served command's time went to importing more).
"""

from __future__ import annotations

import os
import stat
import sys

from archive.escape import fall_back
from archive.wire import (
    ENV_NO_SERVER,
    code_stamp,
    peer_uid,
    private,
    receive,
    send,
    servable,
    socket_path,
)

# Variables that make rich treat any output as a terminal (and measure one).
_TERMINAL_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
START_TIMEOUT = 1.0  # seconds for a server to take the command, else it runs here
REPLY_TIMEOUT = 600.0  # a stuck server must not hang a script for ever


def _servable(argv: list[str]) -> bool:
    if os.environ.get(ENV_NO_SERVER) or not servable(argv):
        return False
    if any(map(os.environ.get, _TERMINAL_ENV)):
        return False
    try:
        if sys.stdout.isatty() or sys.stderr.isatty():
            return False  # a terminal's width, colours and pager are this process's
        out, err = os.fstat(sys.stdout.fileno()), os.fstat(sys.stderr.fileno())
    except (AttributeError, ValueError, OSError):  # no such stream, or not a file
        return False
    if not (hasattr(sys.stdout, "buffer") and hasattr(sys.stderr, "buffer")):
        return False  # the answer is bytes, written there
    return (out.st_dev, out.st_ino) != (err.st_dev, err.st_ino)  # else their order counts


def forwarded(argv: list[str]) -> int | None:
    """Run ``argv`` in the resident server and write its output; its exit
    status, or None if it is to run here."""
    if not _servable(argv):
        return None
    path = socket_path()
    if not (private(os.path.dirname(path), stat.S_IFDIR) and private(path, stat.S_IFSOCK)):
        return None
    try:
        cwd = os.getcwd()
    except OSError:  # the folder is gone: only this process can still run there
        return None
    import base64
    import socket

    request: dict[str, object] = {
        "argv": argv,
        "cwd": cwd,
        "env": dict(os.environ),
        "stamp": code_stamp(),
        "encodings": [[s.encoding, s.errors] for s in (sys.stdout, sys.stderr)],
    }
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(START_TIMEOUT)
            sock.connect(path)
            if peer_uid(sock) != os.getuid():
                return None  # only ever talk to this user's own server
            send(sock, request)
            if receive(sock).get("started") is not True:
                return None  # refused: other code, or not now
            sock.settimeout(REPLY_TIMEOUT)
            reply = receive(sock)
            out = base64.b64decode(str(reply["stdout"]))
            err = base64.b64decode(str(reply["stderr"]))
            code = int(str(reply["code"]))
    except (OSError, ValueError, KeyError):
        return None  # no server, or a broken answer: nothing was written yet
    try:
        sys.stdout.buffer.write(out)
        sys.stdout.flush()
    finally:  # the errors are written even when the reader of the output has gone
        sys.stderr.buffer.write(err)
        sys.stderr.flush()
    return code


def standard_streams() -> None:
    """A closed standard stream (``archive search x >&-``) reads and writes
    nothing, as /dev/null does: no file the command opens takes its place,
    and nothing fails for want of it. Each output stream writes any text, in
    ASCII where its encoding falls short (archive.escape.fall_back)."""
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        if getattr(sys, name) is None:
            null = os.open(os.devnull, os.O_RDONLY if number == 0 else os.O_WRONLY)
            if null != number:
                os.dup2(null, number)
                os.close(null)
            stream = open(number, "w" if number else "r", closefd=False)  # noqa: SIM115
            setattr(sys, name, stream)  # for the life of the process
    fall_back(sys.stdout, sys.stderr)


def main() -> None:
    """The console script's entry point."""
    standard_streams()
    try:
        code = forwarded(sys.argv[1:])
    except BrokenPipeError:  # the reader went away (`archive search x | head`): no error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except KeyboardInterrupt:
        print("archive: interrupted", file=sys.stderr)
        code = 130
    if code is None:
        from archive.cli import run

        run()  # exits
    sys.exit(code)
