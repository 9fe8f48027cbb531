"""Worker processes of a run: started with two queues, stopped without
waiting on what is still queued, and gone as soon as their parent is.

A worker ignores Ctrl-C (stopping a run is the parent's decision, which
then stops its workers), and exits by itself once its parent is gone, so a
killed run leaves no process behind holding its files or its lock.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

CHECK_SECONDS = 0.5


class Child:
    """A worker process running ``target(jobs, results, parent, *args)``."""

    def __init__(
        self, target: Callable[..., None], *args: Any, jobs: int = 0, results: int = 0
    ) -> None:
        context = multiprocessing.get_context()
        self.jobs: Any = context.Queue(maxsize=jobs)
        self.results: Any = context.Queue(maxsize=results)
        self.process = context.Process(
            target=target, args=(self.jobs, self.results, os.getpid(), *args), daemon=True
        )
        self.process.start()

    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=5)
        for channel in (self.jobs, self.results):  # what is queued must not hold the exit
            channel.cancel_join_thread()
            channel.close()


def detach(parent: int) -> None:
    """In a worker: ignore Ctrl-C, and exit once ``parent`` is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    while True:
        time.sleep(CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)
