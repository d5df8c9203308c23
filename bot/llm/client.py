"""LLMSummarizer: one paper per OpenAI-compatible chat-completions request, retried and checked."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from bot.errors import SummarizeError
from bot.llm.answers import (
    MAX_ANSWER,
    base_language,
    check_answer,
    language_name,
    parse_answer,
    repair_answer,
)
from bot.logs import holds_secret, redact, secret_pieces
from bot.models import Paper, Summary

log = logging.getLogger(__name__)


class LLMUnavailable(SummarizeError):
    """The API is down, rate-limits for long, or refuses the key or model: all papers fail."""


def build_messages(paper: Paper, lang: str) -> list[dict[str, str]]:
    """The system and user messages asking for one paper's title, TL;DR and abstract."""
    name = language_name(lang)
    if base_language(lang) == "en":
        wanted = (
            '- "title": the title exactly as given.\n'
            '- "tldr": one English sentence saying what the paper contributes.\n'
            '- "abstract": "" (an empty string; the original is kept).\n'
        )
    else:
        wanted = (
            f'- "title": the title translated into {name}.\n'
            f'- "tldr": one sentence in {name} saying what the paper contributes.\n'
            f'- "abstract": the whole abstract translated into {name}, nothing left out or added.\n'
        )
    system = (
        "You summarize and translate arXiv papers for researchers. Answer with one JSON object "
        'with exactly the keys "title", "tldr" and "abstract", all strings, and nothing else.'
    )
    user = (
        f"Target language: {name} ({lang})\n{wanted}"
        "Keep LaTeX math exactly as written, with its $ delimiters. Never wrap ordinary words "
        "in $. Keep names of methods, models and datasets as written. Add no prefixes.\n\n"
        f"Title: {paper.title}\nAbstract: {paper.abstract}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class LLMSummarizer:
    """Summarizes papers through an OpenAI-compatible API; `summarize` raises SummarizeError."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        model: str,
        api_key: str = "",
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 2.0,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        other_secrets: tuple[str, ...] = (),
    ) -> None:
        self._client = client
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self._key = api_key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._clock = clock
        # the key and the bot token: an answer holding a piece of either is never used
        self._pieces = secret_pieces((api_key, *other_secrets))

    async def summarize(
        self, paper: Paper, lang: str, *, on_request: Callable[[], None] | None = None
    ) -> Summary:
        """Ask for the paper in `lang`; a bad answer is asked once more, then SummarizeError.

        `on_request` runs before every HTTP request (the caller counts calls and may raise
        SummarizeError there to stop spending).
        """
        messages = build_messages(paper, lang)
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0.2,
            "response_format": {"type": "json_object"},
        }
        problem = ""
        for attempt in (1, 2):
            content = await self._complete(body, on_request)
            answer, problem = self._read(content, paper, lang)
            if not problem:
                return self._summary(answer, paper, lang)
            log.warning("%s [%s]: unusable LLM answer (try %d): %s", paper.key, lang, attempt,
                        problem)  # fmt: skip
            shown = redact(content, self._pieces)
            body = {**body, "messages": messages + _correction(shown, problem, lang)}
        raise SummarizeError(f"{paper.key} [{lang}]: unusable LLM answer: {problem}")

    def _read(self, content: str, paper: Paper, lang: str) -> tuple[dict[str, Any], str]:
        """The answer, words unwrapped from `$...$`, and what makes it unusable ('' if nothing).

        An answer holding any 8-character piece of the key or the bot token is unusable.
        """
        if holds_secret(content, self._pieces):
            return {}, "the answer repeats a secret (the API key or the bot token)"
        if len(content) > MAX_ANSWER:  # the checks below would hold the event loop for seconds
            return {}, f"the answer is {len(content):,} characters long"
        answer = parse_answer(content)
        if answer is None:
            return {}, "the answer is not a JSON object"
        answer = repair_answer(answer, paper)
        return answer, redact(check_answer(answer, paper, lang) or "", self._pieces)

    @staticmethod
    def _summary(answer: dict[str, Any], paper: Paper, lang: str) -> Summary:
        english = base_language(lang) == "en"
        return Summary(
            paper_key=paper.key,
            lang=lang,
            title=paper.title if english else answer["title"].strip(),
            tldr=answer["tldr"].strip(),
            abstract=paper.abstract if english else answer["abstract"].strip(),
            source="llm",
        )

    async def _complete(self, body: dict[str, Any], on_request: Callable[[], None] | None) -> str:
        """POST the request with retries on 429, 5xx, timeouts and connection errors."""
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        failure, wait = "", None
        for attempt in range(self.retries + 1):
            if attempt:
                await self._sleep(wait if wait is not None else self.backoff * 2 ** (attempt - 1))
            if on_request is not None:
                on_request()
            try:
                async with asyncio.timeout(self.timeout):
                    response = await self._client.post(
                        self.url, json=body, headers=headers, timeout=self.timeout
                    )
            except (TimeoutError, httpx.TimeoutException):
                failure, wait = f"no answer within {self.timeout:g}s", None
            except httpx.TransportError as exc:
                failure, wait = (
                    self._redact(f"connection failed ({type(exc).__name__}: {exc})"),
                    None,
                )
            else:
                failure, wait = self._failure(response)
                if not failure:
                    return _content(response)
            log.warning("LLM request failed (try %d of %d): %s", attempt + 1, self.retries + 1,
                        failure)  # fmt: skip
        raise LLMUnavailable(f"LLM unavailable after {self.retries + 1} tries: {failure}")

    def _failure(self, response: httpx.Response) -> tuple[str, float | None]:
        """('', None) on success; reason and wait to retry 429/5xx; raises on other errors."""
        status = response.status_code
        if status < 400:
            return "", None
        if status == 429:
            wait = _retry_after(response, self._clock())
            if wait is not None and wait > self.max_retry_after:
                raise LLMUnavailable(f"LLM API rate limit: asked to wait {wait:g}s")
            return "HTTP 429 (rate limited)", wait
        if status >= 500:
            return f"HTTP {status}", None
        if status in (401, 403):
            raise LLMUnavailable(f"LLM API refused the key: HTTP {status} (check LLM_API_KEY)")
        if status == 404:
            raise LLMUnavailable(f"LLM API has no {self.url} or no model {self.model!r}: HTTP 404")
        detail = self._redact(response.text)[:200].strip()
        raise SummarizeError(f"LLM API rejected the request: HTTP {status} {detail}".strip())

    def _redact(self, text: str) -> str:
        return redact(text, self._pieces)


def _correction(content: str, problem: str, lang: str) -> list[dict[str, str]]:
    """The turns that show the model its unusable answer and ask again."""
    again = (
        f"That answer cannot be used: {problem}. Answer again with only the JSON object, "
        f"written in {language_name(lang)} as asked."
    )
    return [{"role": "assistant", "content": content[:4000]}, {"role": "user", "content": again}]


def _retry_after(response: httpx.Response, now: float) -> float | None:
    """Seconds to wait from a Retry-After header, in seconds or as an HTTP date; None if absent."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _content(response: httpx.Response) -> str:
    """The message text of a chat-completions answer; '' when the body has another shape."""
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return ""
    return content if isinstance(content, str) else ""
