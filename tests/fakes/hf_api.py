"""A loopback Hugging Face paper API for tests: `/papers/<id>` and `/arxiv/<id>/repos`.

The shapes it serves, as checked (no public recording of these endpoints exists; see
tests/fixtures/hf-papers/SOURCES.md):

- `GET {base}/papers/<arxiv id>`: a JSON object; huggingface_hub's `PaperInfo` (hf_api.py)
  reads `id`, `title`, `summary`, `authors`, `upvotes`, ..., `githubRepo` (a URL such as
  "https://github.com/sail-sg/understand-r1-zero") and `githubStars` (an int); a paper without
  code has neither key. An unknown paper is a 404 (body `{"error": "Paper not found"}`, exact
  body unverified).
- `GET {base}/arxiv/<arxiv id>/repos`: a JSON object with lists `models`, `datasets` and
  `spaces` ("Get all the models, datasets, and Spaces that refer to a paper", Hub API docs;
  the Rust crate hugging-face-client's `arxiv_repos` / `ArxivReposRes` has the same shape);
  each item has `id` ("owner/name"), `author`, `likes`, `downloads`, `tags` with
  "arxiv:<id>".

`base` is "https://huggingface.co/api" for the real API, `server.url` (ending in /v1) here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.scripted import Behaviour, ScriptedServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hf-papers"
NOT_FOUND = (FIXTURES / "not-found.json").read_bytes()

# A behaviour answers one request (`script(...)`, in order) or every request (`default`):
#   ("data",)            the paper and repos set for the id (`add`), else 404 (the default)
#   ("status", code)     an HTTP error with a JSON body
#   ("json", obj)        obj as the answer of every endpoint (junk shapes)
#   ("html",)            a 200 HTML page, as a proxy or a login wall would send
#   ("sleep", seconds)   wait, then answer like "data" (for the client's time limit)
# `hold()` makes every request wait, whatever its behaviour, until `release()`.


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class FakeHuggingFace(ScriptedServer):
    """`with FakeHuggingFace() as hf:` serves `hf.url`; `hf.paths` holds every path asked."""

    def __init__(self) -> None:
        super().__init__()
        self.default: Behaviour = ("data",)
        self.papers: dict[str, Any] = {}
        self.repos: dict[str, Any] = {}

    @property
    def paths(self) -> list[str]:
        with self._lock:
            return [body["path"] for body in self.requests]

    def add(self, paper_id: str, paper: Any = None, repos: Any = None) -> None:
        """Serve this paper object and repos answer for `paper_id` (None: a 404 for that one)."""
        with self._lock:
            if paper is not None:
                self.papers[paper_id] = paper
            if repos is not None:
                self.repos[paper_id] = repos

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    def respond(self, behaviour: Behaviour, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for one behaviour."""
        kind = behaviour[0]
        self._pass_gate()
        if kind == "sleep":
            self._stopping.wait(behaviour[1])
        if kind == "status":
            return behaviour[1], "application/json", b'{"error": "scripted"}'
        if kind == "json":
            return 200, "application/json", json.dumps(behaviour[1]).encode()
        if kind == "html":
            page = b"<!doctype html><html><body><h1>Hugging Face</h1><p>Sign in</p></body></html>"
            return 200, "text/html; charset=utf-8", page
        answer = self._data(path)
        if answer is None:
            return 404, "application/json", NOT_FOUND
        return 200, "application/json", json.dumps(answer).encode()

    def _data(self, path: str) -> Any:
        parts = path.split("?")[0].strip("/").split("/")
        with self._lock:
            if len(parts) == 3 and parts[1] == "papers":  # v1/papers/<id>
                return self.papers.get(parts[2])
            if len(parts) == 4 and parts[1] == "arxiv" and parts[3] == "repos":
                return self.repos.get(parts[2])
        return None


def _handler(fake: FakeHuggingFace) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            behaviour = fake._next({"path": self.path}, headers)
            status, kind, payload = fake.respond(behaviour, self.path)
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (a time-out test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


@pytest.fixture
def fake_hf() -> Iterator[FakeHuggingFace]:
    """A started FakeHuggingFace, stopped after the test."""
    with FakeHuggingFace() as server:
        yield server
