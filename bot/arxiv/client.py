"""ArxivClient: arXiv feeds and API over one httpx client, with arXiv's etiquette built in."""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from bot import __version__
from bot.errors import FetchError, ResponseTooLargeError

log = logging.getLogger(__name__)

USER_AGENT = f"arxiv-digest-bot/{__version__} (Telegram arXiv digest bot; python-httpx)"
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 300.0
CHUNK = 64 * 1024  # bytes read, and unpacked, at a time
ACCEPT_ENCODING = "gzip, deflate"  # the encodings the client unpacks itself, chunk by chunk


@dataclass(frozen=True)
class FeedResponse:
    """A feed answer: 200 with content, or 304 (unchanged) with none; validators for next time."""

    status: int
    content: bytes
    etag: str = ""
    last_modified: str = ""

    @property
    def unchanged(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class _Answer:
    """One HTTP answer read whole (within the size cap): status, headers, decoded body."""

    status: int
    headers: httpx.Headers
    content: bytes


class ArxivClient:
    """Talks to rss.arxiv.org and the arXiv API politely.

    arXiv's terms of use ask for at most one request every 3 seconds: `min_interval` enforces it
    across every call of this client. 429, 5xx, time-outs and dropped connections are retried
    `retries` times, waiting `backoff` seconds doubled each time (or the server's Retry-After).
    Every answer is streamed and unpacked chunk by chunk: one that takes longer than `timeout`
    is retried, one past `max_response_bytes` once decoded stops there (ResponseTooLargeError).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        rss_url: str,
        api_url: str,
        *,
        min_interval: float = 3.0,
        retries: int = 3,
        backoff: float = 10.0,
        timeout: float = 30.0,
        max_response_bytes: int = 16_000_000,
        html_url: str = "https://arxiv.org/html/",
    ) -> None:
        self.http = http
        self.rss_url = rss_url
        self.api_url = api_url
        self.min_interval = min_interval
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.html_url = html_url
        self._gate = asyncio.Lock()
        self._last_request = float("-inf")

    def feed_url(self, query: str) -> str:
        """The feed URL of a category, an archive, or several joined with '+'."""
        return self.rss_url.rstrip("/") + "/" + query

    async def fetch_feed(self, query: str, etag: str = "", last_modified: str = "") -> FeedResponse:
        """Fetch one feed, conditionally: an unchanged feed comes back as a 304 without content."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        response = await self._get(self.feed_url(query), headers=headers)
        return FeedResponse(
            status=response.status,
            content=response.content,
            etag=response.headers.get("ETag", etag),
            last_modified=response.headers.get("Last-Modified", last_modified),
        )

    async def fetch_url(self, url: str) -> bytes:
        """Fetch any arXiv URL (a feed given by its full address) with the same etiquette."""
        return (await self._get(url)).content

    async def fetch_ids(self, ids: Sequence[str]) -> bytes:
        """Look papers up by id through the API; the answer is the API's Atom document.

        The API answers a malformed id with HTTP 400 and an Atom "Error" entry: that body is
        returned as is, and the parser turns it into a FeedError.
        """
        params = {"id_list": ",".join(ids), "max_results": str(max(len(ids), 1))}
        return (await self._get(self.api_url, params=params, accept={400})).content

    async def fetch_html(self, paper_id: str) -> bytes | None:
        """A paper's HTML rendering (arXiv's LaTeXML page), or None when arXiv has none (404)."""
        url = self.html_url.rstrip("/") + "/" + paper_id
        answer = await self._get(url, accept={404})
        return None if answer.status == 404 else answer.content

    async def _get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        accept: frozenset[int] | set[int] = frozenset(),
    ) -> _Answer:
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING, **(headers or {})}
        for attempt in range(self.retries + 1):
            await self._wait_turn()
            try:
                answer = await self._request(url, headers, params, accept)
            except httpx.TransportError as error:  # time-outs, refused and dropped connections
                problem, delay = f"{type(error).__name__}", self._delay(attempt, None)
            except TimeoutError:
                problem = f"no whole answer within {self.timeout:g} s"
                delay = self._delay(attempt, None)
            else:
                if answer.status < 400 or answer.status in accept:
                    return answer
                if answer.status not in RETRY_STATUSES:
                    raise FetchError(f"arXiv answered HTTP {answer.status} for {url}")
                problem = f"HTTP {answer.status}"
                delay = self._delay(attempt, answer.headers.get("Retry-After"))
            if attempt == self.retries:
                break
            log.warning("arXiv: %s for %s; retrying in %.0f s", problem, url, delay)
            await asyncio.sleep(delay)
        raise FetchError(f"arXiv unreachable ({problem}) for {url} after {self.retries + 1} tries")

    async def _request(
        self,
        url: str,
        headers: dict[str, str],
        params: dict[str, str] | None,
        accept: frozenset[int] | set[int],
    ) -> _Answer:
        """One GET, its body read only when it will be used, within `timeout` seconds in all."""
        async with asyncio.timeout(self.timeout):
            async with self.http.stream(
                "GET", url, headers=headers, params=params, timeout=self.timeout
            ) as response:
                status = response.status_code
                wanted = status != 304 and (status < 400 or status in accept)
                content = await self._read_capped(response) if wanted else b""
                return _Answer(status, response.headers, content)

    async def _read_capped(self, response: httpx.Response) -> bytes:
        """The decoded body, read and unpacked a chunk at a time; stops past the size cap."""
        url = str(response.url)
        decompressor = _decompressor(response.headers.get("Content-Encoding", ""), url)
        parts: list[bytes] = []
        size = 0
        async for raw in response.aiter_raw(CHUNK):
            for piece in _unpack(decompressor, raw, url):
                size += len(piece)
                if size > self.max_response_bytes:
                    raise ResponseTooLargeError(url, self.max_response_bytes, size)
                parts.append(piece)
        return b"".join(parts)

    async def _wait_turn(self) -> None:
        async with self._gate:
            wait = self._last_request + self.min_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_request = time.monotonic()

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        server = _retry_after_seconds(retry_after)
        if server is not None:
            return min(server, MAX_RETRY_AFTER)
        return self.backoff * 2.0**attempt


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds, whether given as a number or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when: float = parsedate_to_datetime(value).timestamp()
        return max(when - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def _decompressor(encoding: str, url: str) -> zlib._Decompress | None:
    """The unpacker for a Content-Encoding; None for a plain body."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, told apart
    raise FetchError(f"arXiv answered in an unknown encoding {encoding!r} for {url}")


def _unpack(decompressor: zlib._Decompress | None, raw: bytes, url: str) -> Iterator[bytes]:
    """`raw` decoded, in pieces of at most CHUNK bytes: a bomb is never unpacked whole."""
    if decompressor is None:
        yield raw
        return
    data = raw
    try:
        while True:
            piece = decompressor.decompress(data, CHUNK)
            if piece:
                yield piece
            data = decompressor.unconsumed_tail
            if not data and len(piece) < CHUNK:
                return
    except zlib.error as error:
        raise FetchError(f"arXiv's answer for {url} could not be unpacked ({error})") from None
