"""What the loopback API fakes share: a threaded HTTP server on 127.0.0.1 that answers scripted
behaviours in order, then a default, and records every request body and its headers."""

from __future__ import annotations

import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

# A behaviour is a tuple, used for one request in order of `script(...)`; each fake says which.
Behaviour = tuple[Any, ...]


class _Server(ThreadingHTTPServer):
    """The stdlib's threaded server with a listen backlog for a bot's concurrent requests."""

    request_queue_size = 128


class ScriptedServer:
    """`with Fake() as server:` serves `server.url` (ending in /v1). Subclasses give `default`
    and `handler()`, the request handler class that calls `next_behaviour`."""

    default: Behaviour

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []  # per request, names lower-cased
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # set by stop(): wakes sleeping handlers
        self._gate = threading.Event()  # cleared by hold(): every request waits until release()
        self._gate.set()
        self.held = 0  # requests waiting at the gate now
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            name = type(self).__name__
            raise RuntimeError(
                f"{name} is not started: call start() or use it as a context manager"
            )
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests, one each; then `default` answers."""
        with self._lock:
            self._script.extend(behaviours)

    def hold(self) -> None:
        """Make every request wait, unanswered, until `release()`: a service that hangs."""
        self._gate.clear()

    def release(self) -> None:
        """Let the held requests (and later ones) be answered."""
        self._gate.set()

    def _pass_gate(self) -> None:
        """Wait here while the server is held (a handler thread calls it), counted in `held`."""
        if self._gate.is_set():
            return
        with self._lock:
            self.held += 1
        try:
            while not self._gate.wait(0.05) and not self._stopping.is_set():
                pass
        finally:
            with self._lock:
                self.held -= 1

    def handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError  # each fake answers its own API

    def start(self) -> Self:
        self._server = _Server(("127.0.0.1", 0), self.handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(self, body: dict[str, Any], headers: dict[str, str]) -> Behaviour:
        """Record one request and say how to answer it."""
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            return self._script.popleft() if self._script else self.default
