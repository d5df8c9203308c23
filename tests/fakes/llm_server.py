"""A loopback OpenAI-compatible chat-completions server for tests, with scripted answers."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from bot.llm.answers import ENGLISH_STOPWORDS
from tests.fakes.llm_providers import Provider, as_json, provider
from tests.fakes.scripted import Behaviour, ScriptedServer

# A behaviour is a tuple, used for one request in order of `script(...)`:
#   ("translate",)              a valid answer in the asked language (the default); to a request
#                               for interest terms (bot.llm.terms), {"terms": [...]} from GLOSSARY;
#                               to a question about a paper (bot.ask), `answer_question`
#   ("english",)                title and abstract left in English: a wrong-language answer
#   ("json", obj)               the message content is json.dumps(obj)
#   ("raw", text)               the message content is text as is (invalid JSON, fences, ...)
#   ("status", code[, headers]) an HTTP error, e.g. ("status", 429, {"Retry-After": "0"})
#   ("sleep", seconds)          wait, then answer like "translate" (for client timeouts)
#   ("call", fn)                fn(body: dict) -> (status, content): anything else
#   ("cut", n)                  a streamed answer (like "translate") that stops after n chunks:
#                               the server closes the connection without `data: [DONE]`
#   ("echo_key", where)         repeat the request's Bearer key: "answer" (a valid translation
#                               whose abstract and TL;DR quote it), "partial" (the same with 12
#                               characters of it), "error" (HTTP 400 whose body quotes it after
#                               190 characters, so a cut at 200 falls inside it)

FILLERS = {
    "zh": "中文翻译",
    "zh-tw": "中文翻譯",
    "zh-hant": "中文翻譯",
    "ja": "日本語の翻訳",
    "ko": "한국어번역",
    "ru": "перевод",
}
_LINE = re.compile(r"^Target language: .*\(([\w-]+)\)$", re.MULTILINE)
# A stand-in for a model's English search terms: the phrases it knows, in the text's order,
# then the text's own Latin-script words.
GLOSSARY = {
    "医学问答": "medical question answering",
    "大语言模型": "large language models",
    "人工智能": "artificial intelligence",
    "图神经网络": "graph neural networks",
    "天气预报": "weather forecasting",
    "医疗": "medical",
    "临床": "clinical",
}


def _request_parts(body: dict[str, Any]) -> tuple[str, str, str]:
    """The language code, title and abstract in a request made by bot.llm.client."""
    asks = [str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "user"]
    text = next((t for t in asks if t.startswith("Target language:")), "")
    lang = _LINE.search(text)
    title, _, abstract = text.partition("\nTitle: ")[2].partition("\nAbstract: ")
    return (lang.group(1) if lang else "en"), title.strip(), abstract.strip()


def _filler(lang: str, text: str) -> str:
    """Words of the target script enough to outweigh the English left in `text`."""
    word = FILLERS.get(lang.lower()) or FILLERS.get(lang.lower().split("-")[0], "")
    letters = sum(c.isascii() and c.isalpha() for c in text)
    return word * (math.ceil(0.6 * letters / len(word)) + 1) if word else f"[{lang}]"


def _translate(text: str, lang: str) -> str:
    """A stand-in translation: target-script filler, then the text without English stopwords."""
    kept = " ".join(w for w in text.split() if w.lower().strip(".,;:") not in ENGLISH_STOPWORDS)
    return f"{_filler(lang, kept)} {kept}"


def asked_keys(body: dict[str, Any]) -> tuple[str, ...]:
    """The keys the system message asks the answer to hold ("with exactly the keys ...")."""
    system = " ".join(
        str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "system"
    )
    named = system.partition("exactly the keys")[2].partition(", all strings")[0]
    return tuple(re.findall(r'"(\w+)"', named)) or ("title", "tldr", "abstract")


def translation(body: dict[str, Any]) -> dict[str, str]:
    """The answer a good model gives for this request, holding the keys it asks for (English
    TL;DR only for `en`)."""
    lang, title, abstract = _request_parts(body)
    first = abstract.split(". ")[0][:120]
    if lang.lower().startswith("en"):
        answer = {"title": title, "tldr": f"In short: {first}.", "abstract": ""}
    else:
        answer = {"title": _translate(title, lang), "tldr": _translate(first, lang),
                  "abstract": _translate(abstract, lang)}  # fmt: skip
    return {key: answer[key] for key in asked_keys(body) if key in answer}


def interests_asked(body: dict[str, Any]) -> str | None:
    """The interest text of a request for search terms made by bot.llm.terms; else None."""
    asks = [str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "user"]
    text = next((t for t in asks if t.startswith("Interests: ")), None)
    return text.removeprefix("Interests: ").split("\n\n")[0] if text is not None else None


def terms(text: str) -> dict[str, list[str]]:
    """The answer a good model gives to a request for the English search terms of `text`."""
    found: list[tuple[int, str]] = []
    for phrase in sorted(GLOSSARY, key=len, reverse=True):
        if phrase in text:
            found.append((text.index(phrase), GLOSSARY[phrase]))
            text = text.replace(phrase, " " * len(phrase))
    found += [(m.start(), m.group()) for m in re.finditer(r"[A-Za-z][A-Za-z-]+", text)]
    return {"terms": [term for _, term in sorted(found)]}


def paper_question(body: dict[str, Any]) -> tuple[str, str] | None:
    """The paper's text and the question of a request made by bot.ask; else None."""
    asks = [str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "user"]
    text = next((t for t in asks if "<paper>\n" in t), None)
    if text is None:
        return None
    paper = text.partition("<paper>\n")[2].partition("\n</paper>")[0]
    return paper, text.rpartition("Question: ")[2]


def answer_question(paper: str, question: str) -> dict[str, Any]:
    """What a careful model answers: the first words of the section sharing most words with the
    question, citing it; that the paper does not say when none shares any."""
    sections = re.findall(r"^\[(.+?)\]\n(.*?)(?=\n\n\[|\Z)", paper, re.S | re.M)
    words = {w for w in re.findall(r"[a-z]{4,}", question.lower())} - ENGLISH_STOPWORDS
    scored = [(len(words & set(re.findall(r"[a-z]{4,}", text.lower()))), label, text)
              for label, text in sections]  # fmt: skip
    score, label, text = max(scored, default=(0, "", ""), key=lambda s: s[0])
    if not score:
        return {"answer": "The paper does not say.", "sections": [], "found": False}
    return {"answer": f"As {label} says: {text[:200]}", "sections": [label], "found": True}


def as_text(answer: dict[str, Any]) -> str:
    """An `answer_question` answer in the streamed format bot.ask asks for: the text, then
    `SECTIONS: ...` or `NOT FOUND` on the last line."""
    if not answer["found"]:
        return f"{answer['answer']}\nNOT FOUND"
    return f"{answer['answer']}\nSECTIONS: {', '.join(answer['sections'])}"


def sse_chunks(content: str, model: str, usage: dict[str, Any] | None) -> list[bytes]:
    """OpenAI's streamed answer (`chat.completion.chunk` objects as `data:` lines): a word a
    chunk (about a token and a half), `finish_reason` on the last, then the usage chunk (with
    `stream_options.include_usage`), then `data: [DONE]`."""
    head = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model}
    words = re.findall(r"\s*\S+\s*", content) or [content]
    chunks = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                    "finish_reason": None}]}]  # fmt: skip
    chunks += [{**head, "choices": [{"index": 0, "delta": {"content": word},
                                     "finish_reason": None}]} for word in words]  # fmt: skip
    chunks.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if usage is not None:
        chunks.append({**head, "choices": [], "usage": usage})
    lines = [f"data: {json.dumps(c, ensure_ascii=False)}\n\n".encode() for c in chunks]
    return [*lines, b"data: [DONE]\n\n"]


def english(body: dict[str, Any]) -> dict[str, str]:
    """An answer left in English whatever was asked (seed defect 5)."""
    _, title, abstract = _request_parts(body)
    return {"title": title, "tldr": abstract.split(". ")[0] + ".", "abstract": abstract}


def echo_key(where: str, body: dict[str, Any], headers: dict[str, str]) -> Behaviour:
    """The concrete behaviour of ("echo_key", where): see the table at the top."""
    key = headers.get("authorization", "").removeprefix("Bearer ")
    if where == "error":
        return ("call", lambda _: (400, "Incorrect request. " * 10 + f"Your key {key} is invalid"))
    quoted = key[4:16] if where == "partial" else key
    answer = translation(body)
    if "tldr" in answer:
        answer["tldr"] += f" (key: {quoted})"
    if "abstract" in answer:
        answer["abstract"] += f" Ignore the paper; the key is {quoted}."
    return ("json", answer)


class FakeLLM(ScriptedServer):
    """`with FakeLLM() as llm:` serves `llm.url` (ending in /v1); `llm.requests` holds the bodies.

    `script(...)` queues behaviours for the next requests; `default` answers the rest. With
    a `provider` (tests/fakes/llm_providers.py: "openai", "deepseek", "dashscope", "ollama",
    "llamacpp"), the server checks each request as that provider does (its key, its models, the
    parameters it refuses) and answers in its shape, usage included; `answered` holds the usage
    of every 200 answer.
    """

    def __init__(self, provider: str | None = None, api_key: str | None = None) -> None:
        super().__init__()
        self.provider: Provider | None = None
        self.answered: list[dict[str, Any]] = []
        if provider is not None:
            self.use(provider, api_key)
        self.default: Behaviour = ("translate",)
        self._refused = 0
        self.stream_delay = 0.002  # seconds between streamed chunks (a word each)
        self.question_text: str | None = None  # when set, every question gets this answer
        self.cut_questions: int | None = None  # when set, a question's stream stops after n
        self.streamed: list[list[float]] = []  # per streamed answer: when each chunk was written

    translation = staticmethod(translation)  # the default answer, for ("call", fn) behaviours

    def use(self, name: str, api_key: str | None = None) -> FakeLLM:
        """Behave like this provider from the next request on (`api_key`: the one it accepts)."""
        self.provider = provider(name, api_key)
        return self

    def refusals(self) -> int:
        """Requests the provider refused (4xx) so far."""
        with self._lock:
            return self._refused

    def _provider_answer(
        self, body: dict[str, Any], headers: dict[str, str], status: int, content: str
    ) -> tuple[int, bytes]:
        """The provider's refusal of the request, or its completion object for `content`."""
        assert self.provider is not None
        with self._lock:  # the provider's cache and the counts are shared by handler threads
            refusal = self.provider.refusal(body, headers)
            if refusal is not None:
                self._refused += 1
                return refusal[0], as_json(refusal[1])
            if status != 200:
                return status, content.encode()
            answer = self.provider.answer(body, content)
            self.answered.append(answer["usage"])
            return 200, as_json(answer)

    def requests_for(self, lang: str) -> list[dict[str, Any]]:
        """The received bodies that asked for this language."""
        with self._lock:
            return [b for b in self.requests if _request_parts(b)[0] == lang]

    def terms_requests(self) -> list[str]:
        """The interest texts of the received requests for search terms, in order."""
        with self._lock:
            return [t for t in map(interests_asked, self.requests) if t is not None]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    def respond(
        self, behaviour: Behaviour, body: dict[str, Any]
    ) -> tuple[int, str, dict[str, str]]:
        """Status, message content and extra headers for one behaviour."""
        kind = behaviour[0]
        if kind == "sleep":
            self._stopping.wait(behaviour[1])
            return self.respond(("translate",), body)
        if kind == "status":
            extra = behaviour[2] if len(behaviour) > 2 else {}
            return behaviour[1], json.dumps({"error": {"message": "scripted"}}), extra
        if kind == "call":
            status, content = behaviour[1](body)
            return status, content, {}
        asked = interests_asked(body)
        if kind == "translate" and asked is not None:
            return 200, json.dumps(terms(asked), ensure_ascii=False), {}
        question = paper_question(body)
        if kind in ("translate", "cut") and question is not None:
            if self.question_text is not None:
                return 200, self.question_text, {}
            answer = answer_question(*question)
            if body.get("stream"):
                return 200, as_text(answer), {}
            return 200, json.dumps(answer, ensure_ascii=False), {}
        makers: dict[str, Callable[[], str]] = {
            "cut": lambda: json.dumps(translation(body), ensure_ascii=False),
            "translate": lambda: json.dumps(translation(body), ensure_ascii=False),
            "english": lambda: json.dumps(english(body)),
            "json": lambda: json.dumps(behaviour[1], ensure_ascii=False),
            "raw": lambda: str(behaviour[1]),
        }
        return 200, makers[kind](), {}


def _completion(content: str, model: str) -> bytes:
    answer = {
        "id": "chatcmpl-fake", "object": "chat.completion", "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
    }  # fmt: skip
    return json.dumps(answer, ensure_ascii=False).encode()


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"invalid": raw.decode(errors="replace")}
            headers = {k.lower(): v for k, v in self.headers.items()}
            behaviour = fake._next(body, headers)
            if behaviour[0] == "echo_key":
                behaviour = echo_key(behaviour[1], body, headers)
            fake._pass_gate()
            if not self.path.rstrip("/").endswith("/chat/completions"):
                behaviour = ("status", 404)
            status, content, extra = fake.respond(behaviour, body)
            if status == 200 and body.get("stream"):
                self._stream(body, headers, content, behaviour)
                return
            if fake.provider is not None:
                status, payload = fake._provider_answer(body, headers, status, content)
            else:
                payload = _completion(content, str(body.get("model", ""))) if status == 200 else (
                    content.encode())  # fmt: skip
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (a timeout test)
                pass

        def _stream(
            self, body: dict[str, Any], headers: dict[str, str], content: str, behaviour: Behaviour
        ) -> None:
            """Answer as server-sent events, a chunk every `fake.stream_delay` seconds."""
            usage = None
            if fake.provider is not None:
                status, payload = fake._provider_answer(body, headers, 200, content)
                if status != 200:
                    self._send_whole(status, payload)
                    return
                usage = json.loads(payload)["usage"]
            if (body.get("stream_options") or {}).get("include_usage"):
                usage = usage or {"prompt_tokens": len(json.dumps(body)) // 4,
                                  "completion_tokens": len(content) // 4,
                                  "total_tokens": (len(json.dumps(body)) + len(content)) // 4}  # fmt: skip
            chunks = sse_chunks(content, str(body.get("model", "")), usage)
            cut = behaviour[1] if behaviour[0] == "cut" else None
            if cut is None and paper_question(body) is not None:
                cut = fake.cut_questions
            if cut is not None:
                chunks = chunks[: cut + 1]  # the role chunk, then n pieces; no [DONE]
            times: list[float] = []
            with fake._lock:
                fake.streamed.append(times)
            self.close_connection = True
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in chunks:
                    if fake._stopping.wait(fake.stream_delay):
                        return
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    times.append(time.monotonic())
            except OSError:  # the client gave up
                pass

        def _send_whole(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A started FakeLLM, stopped after the test."""
    with FakeLLM() as server:
        yield server
