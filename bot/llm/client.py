"""LLMSummarizer: one paper per OpenAI-compatible chat-completions request, retried and checked."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

import httpx

from bot.errors import SummarizeError
from bot.llm.adapt import Adaptations, change_for, config_hint
from bot.llm.answers import (
    ABSTRACT,
    BRIEF,
    MAX_ANSWER,
    WHOLE,
    base_language,
    check_answer,
    language_name,
    parse_answer,
    repair_answer,
)
from bot.llm.stream import StreamCut, read_stream
from bot.llm.usage import Usage
from bot.llm.wire import (
    Answer,
    LLMUnavailable,
    cut,
    read_answer,
    read_refusal,
    refused,
    retry_after,
)
from bot.logs import holds_secret, redact, secret_pieces
from bot.models import Paper, Summary

log = logging.getLogger(__name__)

MAX_CHANGES = 4  # refused parameters changed within one request, at most
SECRET_ROOM = 64  # a secret piece may straddle what was shown and what came
STREAM_TIMEOUTS = 3  # a streamed answer may take this many `timeout`s in all (each read: one)


_ASKED = {  # what each key of the answer is, in the target language `{name}`
    "title": '- "title": the title translated into {name}.\n',
    "tldr": '- "tldr": one sentence in {name} saying what the paper contributes.\n',
    "abstract": (
        '- "abstract": the whole abstract translated into {name}, nothing left out or added.\n'
    ),
}


def build_messages(paper: Paper, lang: str, keys: tuple[str, ...] = WHOLE) -> list[dict[str, str]]:
    """The system and user messages asking for one paper's `keys` (title, TL;DR, abstract)."""
    name = language_name(lang)
    if base_language(lang) == "en":
        wanted = (
            '- "title": the title exactly as given.\n'
            '- "tldr": one English sentence saying what the paper contributes.\n'
            '- "abstract": "" (an empty string; the original is kept).\n'
        )
        keys = WHOLE
    else:
        wanted = "".join(_ASKED[key].format(name=name) for key in keys)
    listed = ", ".join(f'"{key}"' for key in keys)
    system = (
        "You summarize and translate arXiv papers for researchers. Answer with one JSON object "
        f"with exactly the keys {listed}, all strings, and nothing else."
    )
    user = (
        f"Target language: {name} ({lang})\n{wanted}"
        "Keep LaTeX math exactly as written, with its $ delimiters. Never wrap ordinary words "
        "in $. Keep names of methods, models and datasets as written. Add no prefixes.\n\n"
        f"Title: {paper.title}\nAbstract: {paper.abstract}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class LLMSummarizer:
    """Summarizes papers through an OpenAI-compatible API; `summarize` raises SummarizeError.

    Every request is `request_body`: the prompt, temperature 0.2, a JSON answer, the output cap
    (`max_tokens`), then `extra_body` merged over it (a `max_completion_tokens` there replaces
    `max_tokens`), `omit` left out, and what the model was found to refuse changed
    (`adaptations`).
    """

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
        extra_body: Mapping[str, Any] | None = None,
        omit: Collection[str] = (),
        max_output_tokens: int = 2048,
        adaptations: Adaptations | None = None,
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
        self.extra_body = dict(extra_body or {})
        self.omit = tuple(omit)
        self.max_output_tokens = max_output_tokens
        self.adaptations = adaptations or Adaptations()
        # the key and the bot token: an answer holding a piece of either is never used
        self._pieces = secret_pieces((api_key, *other_secrets))

    def request_body(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        """The request as configured, before what the model was found to refuse is changed."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0.2,
            "response_format": {"type": "json_object"},
            "max_tokens": self.max_output_tokens,
            **self.extra_body,
        }
        if "max_completion_tokens" in self.extra_body:
            del body["max_tokens"]
        return {key: value for key, value in body.items() if key not in self.omit}

    async def summarize(
        self,
        paper: Paper,
        lang: str,
        *,
        on_request: Callable[[], None] | None = None,
        on_usage: Callable[[Usage], None] | None = None,
        brief: bool = False,
    ) -> Summary:
        """Ask for the paper in `lang`; a bad answer is asked once more, then SummarizeError.

        `brief`: title and TL;DR only, the abstract left for `translate_abstract`.
        `on_request` runs before every HTTP request (the caller counts calls and may raise
        SummarizeError there to stop spending); `on_usage` gets the tokens of every answer.
        """
        keys = BRIEF if brief else WHOLE
        answer = await self._ask(paper, lang, keys, on_request, on_usage)
        return self._summary(answer, paper, lang, brief and base_language(lang) != "en")

    async def translate_abstract(
        self,
        paper: Paper,
        lang: str,
        *,
        on_request: Callable[[], None] | None = None,
        on_usage: Callable[[Usage], None] | None = None,
    ) -> str:
        """The paper's whole abstract in `lang` (not English), checked as a summary is."""
        answer = await self._ask(paper, lang, ABSTRACT, on_request, on_usage)
        return str(answer["abstract"]).strip()

    async def _ask(
        self,
        paper: Paper,
        lang: str,
        keys: tuple[str, ...],
        on_request: Callable[[], None] | None,
        on_usage: Callable[[Usage], None] | None,
    ) -> dict[str, Any]:
        """The checked answer holding `keys`; a bad answer is asked once more."""
        messages = build_messages(paper, lang, keys)
        body = self.request_body(messages)
        problem = ""
        for attempt in (1, 2):
            answer = await self._complete(body, on_request)
            if on_usage is not None:
                on_usage(answer.usage)
            result, problem = self._read(answer.content, paper, lang, keys)
            if not problem:
                return result
            if answer.cut:  # asking again would be cut again
                raise SummarizeError(f"{paper.key} [{lang}]: {self._cut_problem(answer.usage)}")
            log.warning("%s [%s]: unusable LLM answer (try %d): %s", paper.key, lang, attempt,
                        problem)  # fmt: skip
            shown = redact(answer.content, self._pieces)
            body = {**body, "messages": messages + _correction(shown, problem, lang)}
        raise SummarizeError(f"{paper.key} [{lang}]: unusable LLM answer: {problem}")

    def _cut_problem(self, usage: Usage) -> str:
        reasoning = f", {usage.reasoning:,} of them reasoning" if usage.reasoning else ""
        return (
            f"the answer was cut at the output cap ({usage.completion:,} tokens{reasoning}); "
            "raise llm.max_output_tokens or turn the model's thinking off (llm.extra_body)"
        )

    def _read(
        self, content: str, paper: Paper, lang: str, keys: tuple[str, ...] = WHOLE
    ) -> tuple[dict[str, Any], str]:
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
        return answer, redact(check_answer(answer, paper, lang, keys) or "", self._pieces)

    @staticmethod
    def _summary(answer: dict[str, Any], paper: Paper, lang: str, brief: bool) -> Summary:
        english = base_language(lang) == "en"
        return Summary(
            paper_key=paper.key,
            lang=lang,
            title=paper.title if english else answer["title"].strip(),
            tldr=answer["tldr"].strip(),
            abstract=paper.abstract if english else "" if brief else answer["abstract"].strip(),
            source="llm",
            brief=brief,
        )

    async def _complete(
        self,
        body: dict[str, Any],
        on_request: Callable[[], None] | None,
        send: Callable[[dict[str, Any]], Awaitable[httpx.Response | Answer | str]] | None = None,
    ) -> Answer:
        """POST the request with retries on 429, 5xx, timeouts and connection errors; a refused
        parameter is changed (once per parameter) and the request sent again at once. `send`
        (streaming) gives the answer it read, or the error response, or why there is none."""
        attempt, changes = 0, 0
        while True:
            body = self.adaptations.apply(self.model, body)
            if on_request is not None:
                on_request()
            outcome = await (send or self._post)(body)
            if isinstance(outcome, Answer):
                return outcome
            if isinstance(outcome, str):
                failure, wait = outcome, None
            elif outcome.status_code < 400:
                return read_answer(outcome)
            elif changes < MAX_CHANGES and await self._adapted(outcome, body):
                changes += 1
                continue
            else:
                failure, wait = self._failure(outcome)
            log.warning("LLM request failed (try %d of %d): %s", attempt + 1, self.retries + 1,
                        failure)  # fmt: skip
            attempt += 1
            if attempt > self.retries:
                raise LLMUnavailable(f"LLM unavailable after {attempt} tries: {failure}")
            await self._sleep(wait if wait is not None else self.backoff * 2 ** (attempt - 1))

    async def _post(self, body: dict[str, Any]) -> httpx.Response | str:
        """The answer, or why there is none (a timeout, a failed connection)."""
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        try:
            async with asyncio.timeout(self.timeout):
                return await self._client.post(
                    self.url, json=body, headers=headers, timeout=self.timeout
                )
        except (TimeoutError, httpx.TimeoutException):
            return f"no answer within {self.timeout:g}s"
        except httpx.TransportError as exc:
            return self._redact(f"connection failed ({type(exc).__name__}: {exc})")

    async def _adapted(self, response: httpx.Response, body: dict[str, Any]) -> bool:
        """Whether the answer refuses a parameter that can change; learned and logged once."""
        refusal = read_refusal(response.status_code, self._redact(response.text))
        change = change_for(refusal, body)
        if change is None:
            return False
        if await self.adaptations.learn(self.model, change):
            hint = config_hint(self.adaptations.of(self.model), self.extra_body, self.omit,
                               self.max_output_tokens)  # fmt: skip
            log.warning(
                "LLM model %r refused a parameter (HTTP %d: %s); its requests go %s from "
                "now on. To keep this in the config: %s",
                self.model, refusal.status, cut(refusal.message), change.describe(), hint,
            )  # fmt: skip
        return True

    def _failure(self, response: httpx.Response) -> tuple[str, float | None]:
        """Reason and wait to retry a 429 or 5xx; raises on a refusal (any other 4xx)."""
        status = response.status_code
        if status == 429:
            wait = retry_after(response, self._clock())
            if wait is not None and wait > self.max_retry_after:
                raise LLMUnavailable(f"LLM API rate limit: asked to wait {wait:g}s")
            return "HTTP 429 (rate limited)", wait
        if status >= 500 or status in (408, 409, 425):
            return f"HTTP {status}", None
        refusal = read_refusal(status, self._redact(response.text))
        if refusal.about_one_paper:
            detail = cut(refusal.message)
            raise SummarizeError(f"LLM API rejected the paper: HTTP {status} {detail}")
        raise refused(refusal, self.url, self.model)

    def _redact(self, text: str) -> str:
        return redact(text, self._pieces)

    async def stream(
        self,
        messages: list[dict[str, str]],
        on_text: Callable[[str], None],
        *,
        on_request: Callable[[], None] | None = None,
        on_usage: Callable[[Usage], None] | None = None,
    ) -> str:
        """A plain-text answer asked with `"stream": true`, `on_text(text so far)` as it comes
        (never with a piece of a secret in it); sent, adapted and retried as `complete` is until
        the first words came, then a failure (a cut stream) is final. SummarizeError when it is
        cut, stops mid-way or quotes a secret."""
        body = self.request_body(messages)
        body.pop("response_format", None)
        body["stream"] = True
        if "stream_options" not in self.omit:
            body["stream_options"] = {"include_usage": True}
        shown = [0]  # characters shown so far: only what came since (and a piece's room) is checked

        def show(text: str) -> None:
            if holds_secret(text[max(0, shown[0] - SECRET_ROOM) :], self._pieces):
                raise SummarizeError("the answer repeats a secret (the API key or the bot token)")
            shown[0] = len(text)
            on_text(text)

        async def send(sent: dict[str, Any]) -> httpx.Response | Answer | str:
            return await self._post_stream(sent, show, lambda: shown[0] > 0)

        answer = await self._complete(body, on_request, send)
        if on_usage is not None:
            on_usage(answer.usage)
        if answer.cut:
            raise SummarizeError(self._cut_problem(answer.usage))
        if holds_secret(answer.content, self._pieces):
            raise SummarizeError("the answer repeats a secret (the API key or the bot token)")
        return answer.content

    async def _post_stream(
        self, body: dict[str, Any], on_text: Callable[[str], None], shown: Callable[[], bool]
    ) -> httpx.Response | Answer | str:
        """The streamed answer, the error response (read whole), or why there is none; once
        words were shown a failure raises (SummarizeError) instead of being retried."""
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        try:
            async with (
                asyncio.timeout(self.timeout * STREAM_TIMEOUTS),
                self._client.stream(
                    "POST", self.url, json=body, headers=headers, timeout=self.timeout
                ) as response,
            ):
                if response.status_code >= 400:
                    await response.aread()
                    return response
                return await read_stream(response, on_text)
        except (TimeoutError, httpx.TimeoutException):
            failure = f"no answer within {self.timeout:g}s"
        except httpx.TransportError as exc:
            failure = self._redact(f"connection failed ({type(exc).__name__}: {exc})")
        except StreamCut as exc:
            failure = str(exc)
        if shown():
            raise StreamCut(f"the LLM stream failed: {failure}")
        return failure

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        on_request: Callable[[], None] | None = None,
        on_usage: Callable[[Usage], None] | None = None,
    ) -> str:
        """The answer to other messages asking for a JSON object (interest terms), sent as a
        summary's request is (`request_body`: extra_body, the output cap, what the model refuses
        changed; retried alike); SummarizeError when it is cut or quotes a secret."""
        answer = await self._complete(self.request_body(messages), on_request)
        if on_usage is not None:
            on_usage(answer.usage)
        if answer.cut:
            raise SummarizeError(self._cut_problem(answer.usage))
        if holds_secret(answer.content, self._pieces):
            raise SummarizeError("the answer repeats a secret (the API key or the bot token)")
        return answer.content


def _correction(content: str, problem: str, lang: str) -> list[dict[str, str]]:
    """The turns that show the model its unusable answer and ask again."""
    again = (
        f"That answer cannot be used: {problem}. Answer again with only the JSON object, "
        f"written in {language_name(lang)} as asked."
    )
    return [{"role": "assistant", "content": content[:4000]}, {"role": "user", "content": again}]
