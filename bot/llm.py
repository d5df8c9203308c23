"""LLMSummarizer: one paper per OpenAI-compatible chat-completions request, with answer checks."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from bot.errors import SummarizeError
from bot.models import Paper, Summary

log = logging.getLogger(__name__)

LANGUAGES = {
    "zh": "Simplified Chinese", "zh-cn": "Simplified Chinese", "zh-hans": "Simplified Chinese",
    "zh-tw": "Traditional Chinese", "zh-hk": "Traditional Chinese",
    "zh-hant": "Traditional Chinese", "en": "English", "ja": "Japanese", "ko": "Korean",
    "de": "German", "fr": "French", "es": "Spanish", "ru": "Russian", "pt": "Portuguese",
    "pt-br": "Brazilian Portuguese", "it": "Italian", "uk": "Ukrainian", "nl": "Dutch",
    "pl": "Polish", "tr": "Turkish", "vi": "Vietnamese", "ar": "Arabic", "fa": "Persian",
    "he": "Hebrew", "hi": "Hindi", "el": "Greek", "th": "Thai", "id": "Indonesian",
}  # fmt: skip
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SCRIPTS = {  # base language code -> letters its text is mostly written in
    "zh": _CJK, "ja": _CJK + "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    "ko": "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f", "ru": "\u0400-\u04ff", "uk": "\u0400-\u04ff",
    "bg": "\u0400-\u04ff", "el": "\u0370-\u03ff", "ar": "\u0600-\u06ff", "fa": "\u0600-\u06ff",
    "he": "\u0590-\u05ff", "hi": "\u0900-\u097f", "th": "\u0e00-\u0e7f",
}  # fmt: skip
ENGLISH_STOPWORDS = frozenset([
    "the", "of", "and", "to", "is", "are", "was", "were", "we", "our", "that", "this", "these",
    "which", "with", "for", "from", "by", "be", "been", "has", "have", "it", "its", "their",
    "than", "can", "not", "such", "at", "or", "into", "also", "using", "based"
])  # fmt: skip
_KEYS = ("title", "tldr", "abstract")
MATH = re.compile(  # TeX math: $..$, $$..$$, \(..\), \[..\], \begin{env}..\end{env}
    r"\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]|\\begin\{([a-z]+\*?)\}.+?\\end\{\1\}", re.DOTALL
)
_DOLLAR = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.DOTALL)
_IGNORED = re.compile(r"https?://\S+|\\[A-Za-z]+")
_ANNOUNCE = re.compile(
    r"announce\s*type|公告类型|公告類型|^\s*arxiv:\s*\d", re.IGNORECASE | re.MULTILINE
)
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
MAX_TLDR = 400
SCRIPT_SHARE = 0.3  # at least this share of the measured letters in the target script
ENGLISH_SHARE = 0.15  # this share of English stopwords means the text is English


class LLMUnavailable(SummarizeError):
    """The API is down, rate-limits for long, or refuses the key or model: all papers fail."""


def language_name(lang: str) -> str:
    """The language spelled out for the prompt: zh -> Simplified Chinese."""
    code = lang.strip().lower().replace("_", "-")
    return LANGUAGES.get(code) or LANGUAGES.get(code.split("-")[0]) or f"the language {lang!r}"


def _base(lang: str) -> str:
    return lang.strip().lower().replace("_", "-").split("-")[0]


def width(text: str) -> int:
    """Length with East Asian wide characters counted 3: a Chinese character holds a word."""
    return sum(3 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_acronym(word: str) -> bool:
    return any(c.isdigit() for c in word) or sum(c.isupper() for c in word) >= 2


def script_share(text: str, letters: str) -> float | None:
    """Share of letters in the given ranges, ignoring math, TeX, URLs, acronyms and names."""
    text = _IGNORED.sub(" ", MATH.sub(" ", text))
    inside = re.compile(f"[{letters}]")
    hits = total = 0
    for token in re.findall(r"[A-Za-z][A-Za-z0-9]*|[^\W\d_]", text):
        if token.isascii() and _is_acronym(token):
            continue
        for char in token:
            total += 1
            hits += bool(inside.match(char))
    return hits / total if total else None


def english_share(text: str) -> float:
    words = re.findall(r"[^\W\d_]+", MATH.sub(" ", text).lower())
    return sum(w in ENGLISH_STOPWORDS for w in words) / len(words) if words else 0.0


def parse_answer(content: str) -> dict[str, Any] | None:
    """The JSON object in a model's answer (fences and <think> blocks stripped), or None."""
    text = _FENCE.sub("", _THINK.sub("", content)).strip()
    for candidate in (text, text[text.find("{") : text.rfind("}") + 1]):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        return data if isinstance(data, dict) else None
    return None


def check_answer(data: str | Mapping[str, Any], paper: Paper, lang: str) -> str | None:
    """What is wrong with an answer for this paper and language, or None when it is usable."""
    answer = parse_answer(data) if isinstance(data, str) else dict(data)
    if answer is None:
        return "the answer is not a JSON object"
    wanted = ("tldr",) if _base(lang) == "en" else _KEYS
    for key in wanted:
        if not isinstance(answer.get(key), str) or not answer[key].strip():
            return f"{key!r} is missing or empty"
    fields = {k: answer[k].strip() for k in wanted}
    for check in (_check_language, _check_length, _check_markup):
        problem = check(fields, paper, lang)
        if problem:
            return problem
    return None


def _check_language(fields: dict[str, str], paper: Paper, lang: str) -> str | None:
    base = _base(lang)
    if base == "en":
        share = script_share(fields["tldr"], "A-Za-z\u00c0-\u024f")
        return "the TL;DR is not in English" if share is not None and share < 0.7 else None
    if fields["abstract"] == paper.abstract.strip():
        return "the abstract was not translated"
    for key, text in fields.items():
        if base in _SCRIPTS:
            share = script_share(text, _SCRIPTS[base])
            if share is not None and share < SCRIPT_SHARE:
                return f"{key!r} is not in {language_name(lang)} ({share:.0%} of its letters)"
        elif len(text.split()) >= 8 and english_share(text) >= ENGLISH_SHARE:
            return f"{key!r} reads as English, not {language_name(lang)}"
    return None


def _check_length(fields: dict[str, str], paper: Paper, lang: str) -> str | None:
    tldr = fields["tldr"]
    abstract = fields.get("abstract", paper.abstract)
    if len(tldr) > MAX_TLDR:
        return f"the TL;DR is {len(tldr)} characters long"
    if width(abstract) > 150 and width(tldr) > width(abstract):
        return "the TL;DR is longer than the abstract"
    if "abstract" in fields and width(abstract) < 0.2 * width(paper.abstract):
        return "the translated abstract is far shorter than the original"
    if "title" in fields and width(fields["title"]) > 4 * width(paper.title) + 60:
        return "the translated title is far longer than the original"
    return None


def _check_markup(fields: dict[str, str], paper: Paper, lang: str) -> str | None:
    original = set(_DOLLAR.findall(paper.abstract + " " + paper.title))
    for key, text in fields.items():
        if _ANNOUNCE.search(text):
            return f"{key!r} holds an arXiv announce prefix"
        for span in _DOLLAR.findall(text):
            inner = span.strip("$").strip()
            wordy = re.fullmatch(r"[^\W\d_]{3,}", inner) or any(
                c.isalpha() and ord(c) > 0x3FF for c in inner
            )
            if wordy and span not in original:
                return f"{key!r} wraps words in math: {span}"
    return None


def build_messages(paper: Paper, lang: str) -> list[dict[str, str]]:
    """The system and user messages asking for one paper's title, TL;DR and abstract."""
    name = language_name(lang)
    if _base(lang) == "en":
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
            problem = check_answer(content, paper, lang) or ""
            if not problem:
                return self._summary(parse_answer(content) or {}, paper, lang)
            log.warning("%s [%s]: unusable LLM answer (try %d): %s", paper.key, lang, attempt,
                        problem)  # fmt: skip
            body = {**body, "messages": messages + _correction(content, problem, lang)}
        raise SummarizeError(f"{paper.key} [{lang}]: unusable LLM answer: {problem}")

    @staticmethod
    def _summary(answer: dict[str, Any], paper: Paper, lang: str) -> Summary:
        english = _base(lang) == "en"
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
            wait = _retry_after(response)
            if wait is not None and wait > self.max_retry_after:
                raise LLMUnavailable(f"LLM API rate limit: asked to wait {wait:g}s")
            return "HTTP 429 (rate limited)", wait
        if status >= 500:
            return f"HTTP {status}", None
        if status in (401, 403):
            raise LLMUnavailable(f"LLM API refused the key: HTTP {status} (check LLM_API_KEY)")
        if status == 404:
            raise LLMUnavailable(f"LLM API has no {self.url} or no model {self.model!r}: HTTP 404")
        detail = self._redact(response.text[:200].strip())
        raise SummarizeError(f"LLM API rejected the request: HTTP {status} {detail}".strip())

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text


def _correction(content: str, problem: str, lang: str) -> list[dict[str, str]]:
    """The turns that show the model its unusable answer and ask again."""
    again = (
        f"That answer cannot be used: {problem}. Answer again with only the JSON object, "
        f"written in {language_name(lang)} as asked."
    )
    return [{"role": "assistant", "content": content[:4000]}, {"role": "user", "content": again}]


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _content(response: httpx.Response) -> str:
    """The message text of a chat-completions answer; '' when the body has another shape."""
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return ""
    return content if isinstance(content, str) else ""
