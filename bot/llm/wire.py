"""What an OpenAI-compatible API answers: the message and its usage, or an error to read."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

from bot.errors import SummarizeError
from bot.llm.usage import Usage, read_usage

_NO_MODEL = re.compile(r"model.{0,40}(not exist|not found|does not exist|no such)", re.IGNORECASE)
# errors about one paper's text, not the request's shape: that paper fails, the others go on
_ONE_PAPER = re.compile(
    r"data_inspection|inappropriate|content[ _-]?(filter|policy|management)|moderation|"
    r"context[ _-]length|maximum context|too many tokens|prompt is too long",
    re.IGNORECASE,
)


class LLMUnavailable(SummarizeError):
    """The API is down or rate-limits for long: every paper would fail for a while."""


class LLMRefused(LLMUnavailable):
    """The API refuses the key, the model or the request itself: every paper fails until the
    config changes. `reason` says what the API answered, `hint` what to change."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(f"{reason} ({hint})" if hint else reason)
        self.reason = reason
        self.hint = hint


@dataclass(frozen=True)
class Refusal:
    """What a 4xx answer says, read from OpenAI's `{"error": {...}}` shape or a flat one."""

    status: int
    message: str = ""
    param: str = ""
    code: str = ""

    @property
    def about_one_paper(self) -> bool:
        """A content filter or a too long input: that paper fails, not the whole request."""
        return bool(_ONE_PAPER.search(f"{self.code} {self.message}"))


def read_refusal(status: int, text: str) -> Refusal:
    """The message, parameter and code of an error answer ('' for what it does not say)."""
    try:
        data = json.loads(text)
    except ValueError:
        return Refusal(status, " ".join(text.split()))
    error = data.get("error", data) if isinstance(data, dict) else {}
    if not isinstance(error, dict):
        error = {"message": error}
    message, param, code = (error.get(key) for key in ("message", "param", "code"))
    return Refusal(
        status,
        " ".join(str(message).split()) if message is not None else " ".join(text.split()),
        param if isinstance(param, str) else "",
        str(code) if code is not None else "",
    )


@dataclass(frozen=True)
class Answer:
    """A chat-completions answer: the message text, its tokens, whether the output cap cut it."""

    content: str
    usage: Usage
    cut: bool = False


def read_answer(response: httpx.Response) -> Answer:
    """The message text (never `reasoning_content`) and usage; '' when the body has another
    shape."""
    try:
        data = response.json()
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return Answer("", Usage(calls=1))
    usage = read_usage(data) if isinstance(data, dict) else Usage(calls=1)
    truncated = isinstance(choice, dict) and choice.get("finish_reason") == "length"
    return Answer(content if isinstance(content, str) else "", usage, truncated)


def refused(refusal: Refusal, url: str, model: str) -> LLMRefused:
    """The error for a 4xx that no change answers, with what to change in the config."""
    detail = f"HTTP {refusal.status} {cut(refusal.message)}".strip()
    if refusal.status in (401, 403):
        return LLMRefused(f"LLM API refused the key: {detail}", "check LLM_API_KEY")
    if refusal.status == 404:
        return LLMRefused(f"LLM API has no {url} or no model {model!r}: {detail}",
                          "check LLM_BASE_URL and LLM_MODEL")  # fmt: skip
    if _NO_MODEL.search(refusal.message) or refusal.code == "model_not_found":
        return LLMRefused(f"LLM API has no model {model!r}: {detail}",
                          "set LLM_MODEL to a model the API serves (README: An LLM)")  # fmt: skip
    return LLMRefused(f"LLM API rejected the request: {detail}", "see the provider's docs")


def cut(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def retry_after(response: httpx.Response, now: float) -> float | None:
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
