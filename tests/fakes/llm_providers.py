"""How today's providers answer a chat-completions request, for the loopback FakeLLM: the checks
each makes of a request and the shape of its answers, as their docs and their users' trackers
show them (late 2026). Tokens are counted in proportion to characters (4 bytes of UTF-8 a
token), so a run's figures scale with what was sent and answered.

| provider | refuses | thinks unless | answer |
| --- | --- | --- | --- |
| openai (gpt-5-mini, gpt-5-nano) | temperature != 1, max_tokens (400) | - (hidden; reasoning_effort) | reasoning_tokens |
| deepseek (deepseek-flash, V4 names) | deepseek-chat, deepseek-reasoner: 400 Model Not Exist | thinking.type "disabled" | reasoning_content, prompt_cache_hit_tokens |
| dashscope (qwen-plus, qwen3.5-plus, qwen3-32b) | open models thinking without streaming (400, param null) | enable_thinking false | reasoning_content |
| ollama (qwen3:8b, qwen2.5:7b) | unknown model (404) | reasoning_effort "none" | <think> in content |
| llamacpp (any name) | nothing | chat_template_kwargs.enable_thinking false | <think> in content |
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]


def tokens(text: str) -> int:
    """Tokens of a text: about 4 bytes of UTF-8 each (an English word ~1.3, a CJK character ~0.75)."""
    return max(1, math.ceil(len(text.encode("utf-8")) / 4)) if text else 0


def prompt_text(body: JSONDict) -> str:
    return "".join(
        str(m.get("content", "")) for m in body.get("messages", []) if isinstance(m, dict)
    )


def prefix_text(body: JSONDict) -> str:
    """The part of a request every paper shares: the system message and the user message up to
    the paper's title (what a prefix cache can hold)."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    system = "".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
    user = next((str(m.get("content", "")) for m in messages if m.get("role") == "user"), "")
    return system + user.partition("\nTitle: ")[0]


def reasoning_text(body: JSONDict, share: float = 1.0) -> str:
    """What a thinking model writes before answering: it reads the paper over, `share` times."""
    paper = prompt_text(body).rpartition("\nTitle: ")[2]
    thought = f"The user wants a JSON object with a title, a TL;DR and an abstract. {paper} "
    return (thought * math.ceil(share))[: int(len(thought) * share)].strip()


def error(status: int, message: str, type_: str = "invalid_request_error", param: str | None = None,
          code: str | None = None) -> tuple[int, JSONDict]:  # fmt: skip
    return status, {"error": {"message": message, "type": type_, "param": param, "code": code}}


def masked(key: str) -> str:
    """A key as providers quote it in a 401: its first 3 and last 4 characters."""
    return f"{key[:3]}***{key[-4:]}" if len(key) > 8 else "***"


@dataclass
class Provider:
    """A provider's checks and answer shape; `api_key`: the one key it accepts (None: any)."""

    name: str = "generic"
    api_key: str | None = None
    models: frozenset[str] = frozenset()
    seen_prefixes: set[str] = field(default_factory=set)

    def refusal(self, body: JSONDict, headers: dict[str, str]) -> tuple[int, JSONDict] | None:
        """The error this provider answers the request with, or None to answer it."""
        key = headers.get("authorization", "").removeprefix("Bearer ")
        if self.api_key is not None and key != self.api_key:
            return self.bad_key(key)
        if self.models and body.get("model") not in self.models:
            return self.no_model(str(body.get("model")))
        return self.checks(body)

    def bad_key(self, key: str) -> tuple[int, JSONDict]:
        return error(401, f"Incorrect API key provided: {masked(key)}.", code="invalid_api_key")

    def no_model(self, model: str) -> tuple[int, JSONDict]:
        return error(404, f"The model `{model}` does not exist or you do not have access to it.",
                     code="model_not_found")  # fmt: skip

    def checks(self, body: JSONDict) -> tuple[int, JSONDict] | None:
        return None

    def thinks(self, body: JSONDict) -> float:
        """How many times over the model reads the paper before answering (0: it does not)."""
        return 0.0

    def answer(self, body: JSONDict, content: str) -> JSONDict:
        """The chat.completion object for this content."""
        thought = reasoning_text(body, self.thinks(body)) if self.thinks(body) else ""
        message, cached = self.message(content, thought), self.cached(body)
        usage = self.usage(body, content, thought, cached)
        finish = "stop"
        cap = body.get("max_completion_tokens", body.get("max_tokens"))
        if isinstance(cap, int) and usage["completion_tokens"] > cap:
            message, finish = self.cut(message, content, thought, cap), "length"
            usage = self.usage(body, message.get("content") or "", thought, cached, cap)
        return {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1732780800,
            "model": str(body.get("model", "")),
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
            "usage": usage,
        }  # fmt: skip

    def message(self, content: str, thought: str) -> JSONDict:
        return {"role": "assistant", "content": content}

    def cut(self, message: JSONDict, content: str, thought: str, cap: int) -> JSONDict:
        """The message when the output cap ends it: the answer cut short (or never begun)."""
        room = max(0, cap * 4 - len(thought.encode()))
        return {**message, "content": content.encode()[:room].decode(errors="ignore")}

    def cached(self, body: JSONDict) -> int:
        """Prompt tokens served from the provider's cache (0: it has none or reports none)."""
        return 0

    def usage(self, body: JSONDict, content: str, thought: str, cached: int = 0,
              cap: int | None = None) -> JSONDict:  # fmt: skip
        completion = tokens(content) + tokens(thought)
        if cap is not None:
            completion = min(completion, cap)
        prompt = tokens(prompt_text(body))
        return {"prompt_tokens": prompt, "completion_tokens": completion,
                "total_tokens": prompt + completion}  # fmt: skip


class OpenAI(Provider):
    """gpt-5-mini and gpt-5-nano: reasoning models. Only the default temperature (1); the cap
    is max_completion_tokens; reasoning is hidden and billed as reasoning_tokens."""

    EFFORT = {"minimal": 0.0, "low": 0.5, "medium": 1.0, "high": 2.0}

    def __init__(self, api_key: str | None = None) -> None:
        super().__init__("openai", api_key, frozenset({"gpt-5-mini", "gpt-5-nano", "gpt-5"}))

    def checks(self, body: JSONDict) -> tuple[int, JSONDict] | None:
        temperature = body.get("temperature", 1)
        if temperature != 1:
            return error(400, f"Unsupported value: 'temperature' does not support {temperature} "
                         "with this model. Only the default (1) value is supported.",
                         param="temperature", code="unsupported_value")  # fmt: skip
        if "max_tokens" in body:
            return error(400, "Unsupported parameter: 'max_tokens' is not supported with this "
                         "model. Use 'max_completion_tokens' instead.", param="max_tokens",
                         code="unsupported_parameter")  # fmt: skip
        effort = body.get("reasoning_effort", "medium")
        if effort not in self.EFFORT:
            return error(400, f"Unsupported value: '{effort}' is not supported with the "
                         f"'{body['model']}' model. Supported values are: 'minimal', 'low', "
                         "'medium', and 'high'.", param="reasoning_effort",
                         code="unsupported_value")  # fmt: skip
        return None

    def thinks(self, body: JSONDict) -> float:
        return self.EFFORT.get(body.get("reasoning_effort", "medium"), 1.0)

    def cut(self, message: JSONDict, content: str, thought: str, cap: int) -> JSONDict:
        return {**message, "content": ""}  # the reasoning took the whole cap: nothing answered

    def usage(self, body: JSONDict, content: str, thought: str, cached: int = 0,
              cap: int | None = None) -> JSONDict:  # fmt: skip
        usage = super().usage(body, content, thought, cached, cap)
        reasoning = min(tokens(thought), usage["completion_tokens"])
        usage["prompt_tokens_details"] = {"cached_tokens": 0, "audio_tokens": 0}
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}  # fmt: skip
        return usage


class DeepSeek(Provider):
    """DeepSeek V4: deepseek-flash (deepseek-v4-flash and deepseek-v4-pro answer as aliases)
    thinks unless `thinking: {type: disabled}`; the retired deepseek-chat and deepseek-reasoner
    answer 400 "Model Not Exist"; a prompt prefix seen before is a cache hit."""

    def __init__(self, api_key: str | None = None) -> None:
        models = frozenset({"deepseek-flash", "deepseek-v4-flash", "deepseek-v4-pro"})
        super().__init__("deepseek", api_key, models)

    def bad_key(self, key: str) -> tuple[int, JSONDict]:
        return error(401, f"Authentication Fails, Your api key: ****{key[-4:]} is invalid",
                     "authentication_error", code="invalid_request_error")  # fmt: skip

    def no_model(self, model: str) -> tuple[int, JSONDict]:
        return error(400, "Model Not Exist", code="invalid_request_error")

    def thinks(self, body: JSONDict) -> float:
        thinking = body.get("thinking")
        off = isinstance(thinking, dict) and thinking.get("type") == "disabled"
        return 0.0 if off else 1.5

    def message(self, content: str, thought: str) -> JSONDict:
        message = {"role": "assistant", "content": content}
        return {**message, "reasoning_content": thought} if thought else message

    def cached(self, body: JSONDict) -> int:
        """A prefix sent before is a hit, in 64-token units (DeepSeek's context caching)."""
        prefix = prefix_text(body)
        hit = tokens(prefix) // 64 * 64 if prefix in self.seen_prefixes else 0
        self.seen_prefixes.add(prefix)
        return hit

    def usage(self, body: JSONDict, content: str, thought: str, cached: int = 0,
              cap: int | None = None) -> JSONDict:  # fmt: skip
        usage = super().usage(body, content, thought, cached, cap)
        usage |= {"prompt_cache_hit_tokens": cached,
                  "prompt_cache_miss_tokens": usage["prompt_tokens"] - cached,
                  "prompt_tokens_details": {"cached_tokens": cached}}  # fmt: skip
        if thought:
            usage["completion_tokens_details"] = {"reasoning_tokens": tokens(thought)}
        return usage


class DashScope(Provider):
    """Qwen on Alibaba Cloud Model Studio (compatible mode): qwen-plus thinks only when asked,
    qwen3.5-plus unless enable_thinking is false, and the open Qwen3 models refuse a
    non-streaming call while thinking is on (400 with param null)."""

    THINKING_BY_DEFAULT = frozenset({"qwen3.5-plus", "qwen3-32b", "qwen3-8b"})
    STREAMING_ONLY = frozenset({"qwen3-32b", "qwen3-8b"})  # open models thinking

    def __init__(self, api_key: str | None = None) -> None:
        super().__init__("dashscope", api_key, frozenset({"qwen-plus"}) | self.THINKING_BY_DEFAULT)

    def bad_key(self, key: str) -> tuple[int, JSONDict]:
        return error(401, "Incorrect API key provided. ", code="invalid_api_key")

    def checks(self, body: JSONDict) -> tuple[int, JSONDict] | None:
        if (
            body.get("model") in self.STREAMING_ONLY
            and self.thinks(body)
            and not body.get("stream")
        ):
            return error(400, "parameter.enable_thinking must be set to false for non-streaming "
                         "calls", code="invalid_parameter_error")  # fmt: skip
        return None

    def thinks(self, body: JSONDict) -> float:
        default = body.get("model") in self.THINKING_BY_DEFAULT
        return 1.0 if body.get("enable_thinking", default) else 0.0

    def message(self, content: str, thought: str) -> JSONDict:
        return {"role": "assistant", "content": content, "reasoning_content": thought or None}

    def usage(self, body: JSONDict, content: str, thought: str, cached: int = 0,
              cap: int | None = None) -> JSONDict:  # fmt: skip
        usage = super().usage(body, content, thought, cached, cap)
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
        if thought:
            usage["completion_tokens_details"] = {"reasoning_tokens": tokens(thought)}
        return usage


class Ollama(Provider):
    """A local Ollama server: models as pulled; a Qwen3 model thinks unless reasoning_effort is
    "none", its reasoning in a <think> block at the head of the content; no key, no details."""

    THINKING = frozenset({"qwen3:8b", "qwen3:4b"})

    def __init__(self, api_key: str | None = None) -> None:  # a local server checks no key
        super().__init__("ollama", None, frozenset({"qwen2.5:7b", "llama3.2"}) | self.THINKING)

    def no_model(self, model: str) -> tuple[int, JSONDict]:
        return error(404, f'model "{model}" not found, try pulling it first', "api_error")

    def thinks(self, body: JSONDict) -> float:
        on = body.get("model") in self.THINKING and body.get("reasoning_effort") != "none"
        return 1.0 if on else 0.0

    def message(self, content: str, thought: str) -> JSONDict:
        head = f"<think>\n{thought}\n</think>\n\n" if thought else ""
        return {"role": "assistant", "content": head + content}


class LlamaCpp(Ollama):
    """llama.cpp's llama-server (--jinja --reasoning-format none): one model, whatever the name
    asked; a Qwen3 GGUF thinks unless chat_template_kwargs.enable_thinking is false."""

    def __init__(self, api_key: str | None = None) -> None:
        Provider.__init__(self, "llamacpp")

    def thinks(self, body: JSONDict) -> float:
        kwargs = body.get("chat_template_kwargs")
        off = isinstance(kwargs, dict) and kwargs.get("enable_thinking") is False
        return 0.0 if off else 1.0

    def answer(self, body: JSONDict, content: str) -> JSONDict:
        answer = super().answer(body, content)
        answer["model"] = "Qwen3-8B-Q4_K_M.gguf"
        answer["timings"] = {"prompt_n": answer["usage"]["prompt_tokens"],
                             "predicted_n": answer["usage"]["completion_tokens"]}  # fmt: skip
        return answer


PROVIDERS = {
    "openai": OpenAI, "deepseek": DeepSeek, "dashscope": DashScope, "ollama": Ollama,
    "llamacpp": LlamaCpp,
}  # fmt: skip


def provider(name: str | None, api_key: str | None = None) -> Provider:
    """The provider of this name (None: a generic server that checks nothing)."""
    return Provider(api_key=api_key) if name is None else PROVIDERS[name](api_key)


def as_json(answer: JSONDict) -> bytes:
    return json.dumps(answer, ensure_ascii=False).encode()
