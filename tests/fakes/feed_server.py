"""A loopback arXiv: serves recorded feeds and API answers, with validators and scripted faults."""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

ARXIV = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv"
LAST_MODIFIED = "Thu, 28 Nov 2024 14:47:20 GMT"


@dataclass
class Seen:
    """One request the fake arXiv received."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int = 0


@dataclass
class FeedServer:
    """Feeds by query ("cs.AI+hep-th" -> bytes), the API by id, and a queue of faults."""

    feeds: dict[str, bytes] = field(default_factory=dict)
    api: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    default_feed: bytes | None = None
    faults: deque[int] = field(default_factory=deque)
    requests: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def serve_feed(self, query: str, fixture: str | bytes) -> None:
        body = fixture if isinstance(fixture, bytes) else (ARXIV / fixture).read_bytes()
        self.feeds[query] = body

    def serve_api(self, ids: str, fixture: str, status: int = 200) -> None:
        self.api[ids] = (status, (ARXIV / fixture).read_bytes())

    def fail_next(self, *statuses: int) -> None:
        """The next requests answer these statuses (e.g. 503, 429) before normal service resumes."""
        self.faults.extend(statuses)

    @property
    def rss_url(self) -> str:
        return self.url + "/rss/"

    @property
    def api_url(self) -> str:
        return self.url + "/api/query"

    def feed_requests(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.path.startswith("/rss/")]

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.requests.append(seen)
            if self.faults:
                status = self.faults.popleft()
                seen.status = status
                return status, {"Retry-After": "0"}, b"busy"
        if seen.path.startswith("/rss/"):
            return self._feed(seen)
        if seen.path == "/api/query":
            ids = seen.query.get("id_list", [""])[0]
            status, body = self.api.get(ids, (200, (ARXIV / EMPTY_API).read_bytes()))
            seen.status = status
            return status, {"Content-Type": "application/atom+xml"}, body
        seen.status = 404
        return 404, {}, b"not found"

    def _feed(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        query = unquote(seen.path.removeprefix("/rss/"))
        body = self.feeds.get(query, self.default_feed)
        if body is None:
            body = (ARXIV / "rss2-error-bad-archive-astroph-2024-11-28.xml").read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        validators = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        if seen.headers.get("if-none-match") == etag:
            seen.status = 304
            return 304, validators, b""
        seen.status = 200
        return 200, {**validators, "Content-Type": "application/rss+xml"}, body


EMPTY_API = "api-query-empty-id_list-0000.0000-2026-04-12.xml"


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            seen = Seen(parts.path, parse_qs(parts.query), headers)
            status, extra, body = server.answer(seen)
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def start_feed_server() -> tuple[FeedServer, ThreadingHTTPServer]:
    state = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return state, httpd


@pytest.fixture
def feed_server():
    """A loopback arXiv for one test."""
    state, httpd = start_feed_server()
    yield state
    httpd.shutdown()
    httpd.server_close()
