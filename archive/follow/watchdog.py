"""A wall-clock deadline for each request.

httpx's timeouts bound each wait for bytes, not the whole answer: a server
that sends a byte a second, in its headers or its body, holds a request as
long as it likes. So the client keeps the sockets it opens (told by httpx's
``trace`` request extension), and at a request's deadline a timer shuts
them, which ends whatever read is waiting on one.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

# The trace events that hand over a new connection's stream (httpcore's names).
_NEW_STREAM = ("connection.connect_tcp.complete", "connection.start_tls.complete")


class Client:
    """The one HTTP client of a run, and the sockets it has opened."""

    def __init__(self, http: Any) -> None:
        self.http = http
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def send(self, url: str, headers: dict[str, str], timeout: float) -> Any:
        """GET ``url``, its body left to stream (``timeout``: for each read)."""
        import httpx

        request = self.http.build_request(
            "GET",
            url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            extensions={"trace": self._trace},
        )
        return self.http.send(request, stream=True)

    def cut(self) -> None:
        """Shut every socket, ending any read that waits on one."""
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):  # closed already
                    # The plain socket's shutdown: a TLS socket's own would unwrap it.
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
            self._sockets.clear()

    def close(self) -> None:
        self.http.close()

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event not in _NEW_STREAM:
            return
        sock = info["return_value"].get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets = [s for s in self._sockets if s.fileno() != -1] + [sock]


class Deadline:
    """A request's deadline, as a context: when ``seconds`` pass before the
    block ends, the client's sockets are shut and ``passed`` says so."""

    def __init__(self, client: Client, seconds: float) -> None:
        self.seconds = seconds
        self.passed = False
        self._client = client
        self._timer = threading.Timer(seconds, self._pass)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()

    def _pass(self) -> None:
        self.passed = True
        self._client.cut()
