"""A loopback arXiv: serves recorded feeds and API answers, with validators and scripted faults."""

from __future__ import annotations

import functools
import gzip
import hashlib
import threading
import zlib
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

ARXIV = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv"
ARXIV_HTML = ARXIV.parent / "arxiv-html"
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
    extra_headers: dict[str, dict[str, str]] = field(default_factory=dict)  # by query or API ids
    holds: dict[str, Hold] = field(default_factory=dict)  # by request path
    html: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # paper id -> its HTML

    def serve_paper_html(self, paper_id: str, fixture: str | bytes, status: int = 200) -> None:
        """Serve a paper's HTML rendering at /html/<id>; a paper not served gets arXiv's 404."""
        body = fixture if isinstance(fixture, bytes) else (ARXIV_HTML / fixture).read_bytes()
        self.html[paper_id] = (status, body)

    def html_requests(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.path.startswith("/html/")]

    @property
    def html_url(self) -> str:
        return self.url + "/html/"

    def serve_feed(self, query: str, fixture: str | bytes) -> None:
        body = fixture if isinstance(fixture, bytes) else (ARXIV / fixture).read_bytes()
        self.feeds[query] = body

    def serve_api(self, ids: str, fixture: str, status: int = 200) -> None:
        self.api[ids] = (status, (ARXIV / fixture).read_bytes())

    def fail_next(self, *statuses: int) -> None:
        """The next requests answer these statuses (e.g. 503, 429) before normal service resumes."""
        self.faults.extend(statuses)

    def serve_gzip(self, query: str, body: bytes) -> None:
        """Serve a feed gzip-encoded (Content-Encoding: gzip), as a proxy or CDN may."""
        self.feeds[query] = gzip.compress(body)
        self.extra_headers[query] = {"Content-Encoding": "gzip"}

    def serve_bomb(self, query: str, unpacked_bytes: int = 100_000_000) -> None:
        """A small gzip body that unpacks to `unpacked_bytes` (100 MB: about 100 KB on the wire)."""
        self.feeds[query] = gzip_bomb(unpacked_bytes)
        self.extra_headers[query] = {"Content-Encoding": "gzip"}

    def serve_html(self, query: str, page: bytes = b"") -> None:
        """Answer a feed with an HTML page (a proxy's or arXiv's error page)."""
        self.feeds[query] = page or HTML_ERROR_PAGE
        self.extra_headers[query] = {"Content-Type": "text/html; charset=utf-8"}

    def serve_api_body(
        self, ids: str, body: bytes, status: int = 200, content_type: str = "text/html"
    ) -> None:
        """Answer an API look-up with these bytes (an HTML error page, junk, ...)."""
        self.api[ids] = (status, body)
        self.extra_headers[ids] = {"Content-Type": content_type}

    def hold(self, query: str) -> Hold:
        """Hold a feed's answer half sent until the test releases it (a slow arXiv)."""
        self.holds["/rss/" + query] = Hold()
        return self.holds["/rss/" + query]

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
            headers = {"Content-Type": "application/atom+xml", **self.extra_headers.get(ids, {})}
            return status, headers, body
        if seen.path.startswith("/html/"):
            paper_id = unquote(seen.path.removeprefix("/html/"))
            missing = (404, (ARXIV_HTML / "no-html-404.html").read_bytes())
            status, body = self.html.get(paper_id, missing)
            seen.status = status
            return status, {"Content-Type": "text/html; charset=utf-8"}, body
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
        extra = self.extra_headers.get(query, {})
        return 200, {**validators, "Content-Type": "application/rss+xml", **extra}, body


EMPTY_API = "api-query-empty-id_list-0000.0000-2026-04-12.xml"
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
    b"<body><h1>arXiv is temporarily unavailable</h1><p>Please try again later.</p></body></html>"
)
NOT_XML = b'{"error": "this is JSON, not a feed"}\x00\x89PNG\r\n'


@dataclass
class Hold:
    """A feed answer held half sent: `started` once the first half is out, sent on `release`."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    requests: int = 0


@functools.lru_cache(maxsize=2)
def gzip_bomb(unpacked_bytes: int) -> bytes:
    """Gzip of `unpacked_bytes` spaces, built a megabyte at a time (never whole in memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block, parts = b" " * 1_000_000, []
    for start in range(0, unpacked_bytes, len(block)):
        parts.append(packer.compress(block[: unpacked_bytes - start]))
    parts.append(packer.flush())
    return b"".join(parts)


def truncated(fixture: str, keep: float = 0.5) -> bytes:
    """The first `keep` of a recorded feed: a connection that dropped mid-feed, sent as whole."""
    body = (ARXIV / fixture).read_bytes()
    return body[: int(len(body) * keep)]


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
            hold = server.holds.get(parts.path) if status == 200 else None
            if hold is not None:
                self._send_held(hold, body)
            else:
                self.wfile.write(body)

        def _send_held(self, hold: Hold, body: bytes) -> None:
            hold.requests += 1  # counted on arrival: the client may give up before any write
            try:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                hold.started.set()
                hold.release.wait(timeout=30)
                self.wfile.write(body[len(body) // 2 :])
            except OSError:  # the client gave up waiting
                pass

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
