"""The Hugging Face paper API over the bot's HTTP client: two GETs, a short time limit, JSON."""

from __future__ import annotations

import json
from typing import Any

import httpx

from bot import lanes
from bot.errors import LinksError

# Bytes an answer may hold. A much-cited paper's /repos lists thousands of models, each with its
# tags, in a few MB; an answer past this is given up (no counts) rather than read whole.
MAX_BYTES = 8_000_000


class HuggingFaceClient:
    """`GET {base}/papers/<id>` and `GET {base}/arxiv/<id>/repos`, no key, no retry: a failure
    costs only the links line, and the paper is asked again at its next expansion."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, timeout: float) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    async def paper(self, paper_id: str) -> Any:
        """The paper object, None when Hugging Face has no page for it (404)."""
        return await self._get(f"/papers/{paper_id}")

    async def repos(self, paper_id: str) -> Any:
        """The models, datasets and Spaces that cite the paper, None on a 404."""
        return await self._get(f"/arxiv/{paper_id}/repos")

    async def _get(self, path: str) -> Any:
        url = self.base_url + path
        try:
            async with self.http.stream(
                "GET", url, timeout=self.timeout, headers={"Accept": "application/json"}
            ) as response:
                if response.status_code == 404:
                    return None
                if response.status_code != 200:
                    raise LinksError(f"{url} answered HTTP {response.status_code}")
                body = await _read(response, url)
        except httpx.HTTPError as error:
            raise LinksError(f"{url}: {type(error).__name__}") from None
        try:
            return await lanes.in_thread(json.loads, body)
        except ValueError:
            raise LinksError(f"{url} answered something else than JSON") from None


async def _read(response: httpx.Response, url: str) -> bytes:
    """The body, up to MAX_BYTES (LinksError past it)."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BYTES:
            raise LinksError(f"{url} answered over {MAX_BYTES:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
