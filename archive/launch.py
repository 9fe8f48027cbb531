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
import struct
import sys

TYPE_CHECKING = False  # not typing's: importing typing took longer than the rest
if TYPE_CHECKING:
    import socket

# Read-only commands whose whole effect is their output.
SERVED = frozenset({"search", "show", "similar", "timeline", "stats"})
# Options taken before the command, and whether each takes a value.
_GLOBAL_OPTIONS = {"--index-dir": True, "--config": True}
ENV_NO_SERVER = "ARCHIVE_NO_SERVER"
# Variables that make rich treat any output as a terminal (and measure one).
_TERMINAL_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
START_TIMEOUT = 1.0  # seconds for a server to take the command, else it runs here
REPLY_TIMEOUT = 600.0  # a stuck server must not hang a script for ever
_HEADER = struct.Struct("!I")
CREDENTIALS = struct.Struct("iII")  # pid, uid, gid (Linux SO_PEERCRED)


def socket_path() -> str:
    """Where this user's server listens: in a folder only the user can enter,
    one socket per data folder (so a test's data never meets a person's)."""
    import hashlib

    base = os.environ.get("XDG_RUNTIME_DIR") or os.environ.get("TMPDIR") or "/tmp"
    data = os.environ.get("ARCHIVE_DATA_DIR", "")
    key = hashlib.blake2b(data.encode("utf-8", "surrogateescape"), digest_size=6).hexdigest()
    return os.path.join(base, f"news-archive-{os.getuid()}", f"serve-{key}.sock")


def private(path: str, kind: int) -> bool:
    """Whether ``path`` itself (not what a link points to) is of this kind,
    this user's, and closed to everyone else."""
    try:
        found = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_IFMT(found.st_mode) == kind
        and found.st_uid == os.getuid()
        and not found.st_mode & 0o077
    )


def peer_uid(sock: socket.socket) -> int | None:
    """The user of the process at the other end (None where it cannot be known)."""
    import socket

    if not hasattr(socket, "SO_PEERCRED"):
        return None
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, CREDENTIALS.size)
    return int(CREDENTIALS.unpack(raw)[1])


def code_stamp() -> str:
    """What identifies the code running: a server running other code (an
    upgrade, an edit, another Python or install, a dependency installed or
    upgraded) must not answer for it."""
    from archive import __version__

    package = os.path.dirname(os.path.realpath(__file__))
    newest, count = 0, 0
    for folder, _, files in os.walk(package):
        for name in files:
            if name.endswith(".py") and not name.startswith("."):
                try:
                    newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime_ns)
                except OSError:
                    continue
                count += 1
    for folder in sys.path:  # an installed or upgraded dependency changes its folder
        if folder.endswith("-packages"):
            try:
                newest = max(newest, os.stat(folder).st_mtime_ns)
            except OSError:
                continue
    return f"{__version__}:{sys.executable}:{sys.version}:{package}:{count}:{newest}"


def command_of(argv: list[str]) -> str | None:
    """The command ``argv`` names, past the global options; None if anything
    else comes first (--help, --version, --traceback: run here)."""
    at = 0
    while at < len(argv):
        word = argv[at]
        name = word.split("=", 1)[0]
        if name in _GLOBAL_OPTIONS:
            at += 1 if "=" in word else 2
        elif word.startswith("-"):
            return None
        else:
            return word
    return None


def send(sock: socket.socket, message: dict[str, object]) -> None:
    import json

    body = json.dumps(message).encode("ascii")
    sock.sendall(_HEADER.pack(len(body)) + body)


def receive(sock: socket.socket) -> dict[str, object]:
    import json

    (size,) = _HEADER.unpack(_read(sock, _HEADER.size))
    found = json.loads(_read(sock, size).decode("ascii"))
    if not isinstance(found, dict):
        raise ValueError("not a message")
    return found


def _read(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _servable(argv: list[str]) -> bool:
    if os.environ.get(ENV_NO_SERVER) or command_of(argv) not in SERVED:
        return False
    if {"--traceback", "--help", "-h"} & set(argv) or any(map(os.environ.get, _TERMINAL_ENV)):
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


def main() -> None:
    """The console script's entry point."""
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
