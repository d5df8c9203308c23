"""A loopback OpenAI-compatible embeddings server for tests: hashed bag-of-words vectors."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.fakes.scripted import Behaviour, ScriptedServer

DIMENSIONS = 64
_WORD = re.compile(r"[a-z]{3,}")

# A behaviour is a tuple, used for one request in order of `script(...)`:
#   ("embed",)            vectors for every input (the default)
#   ("status", code)      an HTTP error
#   ("json", obj)         obj as the whole answer (wrong shapes)
#   ("sleep", seconds)    wait, then answer like "embed" (for client timeouts)


def embedding(text: str) -> list[float]:
    """The same text always gets the same unit vector; texts sharing words point alike."""
    vector = [0.0] * DIMENSIONS
    for word in _WORD.findall(text.lower()):
        vector[zlib.crc32(word.encode()) % DIMENSIONS] += 1.0
    norm = sum(v * v for v in vector) ** 0.5 or 1.0
    return [v / norm for v in vector]


class FakeEmbeddings(ScriptedServer):
    """`with FakeEmbeddings() as server:` serves `server.url` (ending in /v1).

    `requests` holds the bodies received; `inputs` every text embedded, in order.
    """

    def __init__(self) -> None:
        super().__init__()
        self.default: Behaviour = ("embed",)

    @property
    def inputs(self) -> list[str]:
        with self._lock:
            return [text for body in self.requests for text in body.get("input", [])]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    def respond(self, behaviour: Behaviour, body: dict[str, Any]) -> tuple[int, Any]:
        """Status and JSON answer for one behaviour."""
        kind = behaviour[0]
        if kind == "sleep":
            self._stopping.wait(behaviour[1])
            return self.respond(("embed",), body)
        if kind == "status":
            return behaviour[1], {"error": {"message": "scripted"}}
        if kind == "json":
            return 200, behaviour[1]
        texts = body.get("input", [])
        data = [{"object": "embedding", "index": i, "embedding": embedding(str(text))}
                for i, text in enumerate(texts)]  # fmt: skip
        data.reverse()  # the API does not promise input order; `index` says it
        return 200, {"object": "list", "data": data, "model": body.get("model", "")}


def _handler(fake: FakeEmbeddings) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            behaviour = fake._next(body, {k.lower(): v for k, v in self.headers.items()})
            if not self.path.rstrip("/").endswith("/embeddings"):
                behaviour = ("status", 404)
            status, answer = fake.respond(behaviour, body)
            payload = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (a timeout test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


@pytest.fixture
def fake_embeddings() -> Iterator[FakeEmbeddings]:
    """A started FakeEmbeddings, stopped after the test."""
    with FakeEmbeddings() as server:
        yield server
