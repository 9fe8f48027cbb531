"""One writer at a time: the archive's write lock, and who holds it.

The lock is the system's file lock (``flock``) on ``archive-writer.pid`` in
the index folder, which also names the holding process and what it does. The
system releases it when its holder exits, however it exits, so it never goes
stale. It is held for the whole of a run (the index commit and the record of
files written after it) and of a rebuild, so a run waiting for a rebuild
starts on the index the rebuild made, never on the one it replaced.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from archive.errors import IndexLocked, IndexReadOnly

PID_FILE = "archive-writer.pid"
POLL_SECONDS = 0.5


class WriteLock:
    def __init__(self, index: Path) -> None:
        self.index = index
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free; whether it was taken."""
        try:
            fd = os.open(self.index / PID_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError as err:
            raise read_only(self.index) from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def name(self, doing: str) -> None:
        """Say in the lock file which process holds it, and what it does."""
        if self._fd is not None:
            with suppress(OSError):
                os.ftruncate(self._fd, 0)
                os.pwrite(self._fd, f"{os.getpid()} {doing}".encode("ascii"), 0)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def read_only(index: Path) -> IndexReadOnly:
    return IndexReadOnly(
        f"the index at {index} is read-only (permission denied)",
        hint="searching works; to change it, run as a user who may write there, "
        "or copy it elsewhere and pass --index-dir",
    )


@contextmanager
def hold(
    index: Path,
    doing: str,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[WriteLock]:
    """Hold the index's write lock for the block, waiting for it (telling
    ``on_wait`` once who holds it) or, with ``wait=False``, raising IndexLocked."""
    lock = WriteLock(index)
    wait_for(index, lambda: lock if lock.acquire() else None, wait, on_wait)
    try:
        lock.name(doing)
        yield lock
    finally:
        lock.release()


def wait_for(
    index: Path,
    attempt: Callable[[], Any],
    wait: bool,
    on_wait: Callable[[str], None] | None,
) -> Any:
    """Call ``attempt`` (None while another process holds the lock) until it
    succeeds; with ``wait=False`` raise IndexLocked at once instead."""
    told = False
    while (got := attempt()) is None:
        holder = lock_holder(index)
        if not wait:
            raise IndexLocked(
                f"the index at {index} is being written by {holder}",
                hint="wait for it to finish, or run again without --no-wait",
            )
        if on_wait is not None and not told:
            on_wait(holder)
            told = True
        time.sleep(POLL_SECONDS)
    return got


def lock_holder(index: Path) -> str:
    """Who holds the write lock, in words ("process 4242 (archive rebuild)")."""
    try:
        named = (index / PID_FILE).read_text(encoding="ascii").strip()
        pid_text, _, doing = named.partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return "another process"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "another process"  # the one named has exited: it is not the holder
    except PermissionError:
        pass
    return f"process {pid}" + (f" (archive {doing})" if doing else "")
