"""How ``archive`` talks to a resident ``archive serve``: where the socket
is, who may use it, which commands it answers, and the messages' framing.

Both ends import this: the first step of every command (archive.launch),
which must stay light, and the server (archive.serving). Only a few
modules of the standard library are imported here.
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
GLOBAL_OPTIONS = {"--index-dir": True, "--config": True}
# Options that change how a command runs, not what it answers: run where typed.
LOCAL_OPTIONS = frozenset({"--traceback", "--help", "-h"})
ENV_NO_SERVER = "ARCHIVE_NO_SERVER"
# The largest request a server reads (arguments and environment): a real one
# is a few kB; anything larger is not from this program, and is not held.
MAX_REQUEST_BYTES = 1 << 20
_HEADER = struct.Struct("!I")
CREDENTIALS = struct.Struct("iII")  # pid, uid, gid (Linux SO_PEERCRED)


class TooLarge(ValueError):
    """A message larger than the reader accepts."""


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
        if name in GLOBAL_OPTIONS:
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


def servable(argv: list[str]) -> bool:
    """Whether a server may run ``argv``: a served command, none of the
    options that change how a command runs."""
    return command_of(argv) in SERVED and not LOCAL_OPTIONS & set(argv)


def receive(sock: socket.socket, limit: int | None = None) -> dict[str, object]:
    """The next message; TooLarge (before reading it) if it says it is over ``limit`` bytes."""
    import json

    (size,) = _HEADER.unpack(_read(sock, _HEADER.size))
    if limit is not None and size > limit:
        raise TooLarge(f"a message of {size:,} bytes")
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
