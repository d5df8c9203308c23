"""Tokens an LLM answer reports (`usage`), summed per call, per run and per UTC day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

# counter names of the store's `counters` table, suffixed with ":YYYY-MM-DD" for a day
COUNTERS = {
    "prompt": "llm_tokens_in",
    "completion": "llm_tokens_out",
    "reasoning": "llm_tokens_reasoning",
    "cached": "llm_tokens_cached",
}


@dataclass(frozen=True)
class Usage:
    """Tokens of answered calls: prompt (in), completion (out, reasoning included, as OpenAI
    and DeepSeek bill it), reasoning and cached prompt tokens; `thinking`: answers that carried
    their reasoning as text (`reasoning_content` or a `<think>` block)."""

    calls: int = 0
    prompt: int = 0
    completion: int = 0
    reasoning: int = 0
    cached: int = 0
    thinking: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __sub__(self, other: Usage) -> Usage:
        return Usage(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

    def counters(self, day: str) -> dict[str, int]:
        """The day's counters this usage adds to (zeros left out)."""
        return {f"{name}:{day}": n for key, name in COUNTERS.items() if (n := getattr(self, key))}

    @classmethod
    def of_days(cls, counters: Mapping[str, int], days: list[str]) -> Usage:
        """The tokens stored for these days (the store's counters)."""
        total = {key: sum(counters.get(f"{name}:{day}", 0) for day in days)
                 for key, name in COUNTERS.items()}  # fmt: skip
        return cls(**total)

    def cost(self, price_in: float, price_out: float) -> float:
        """Money at prices per million tokens (cached prompt tokens at the full input price)."""
        return (self.prompt * price_in + self.completion * price_out) / 1_000_000

    def line(self) -> str:
        """ "in 1,200 (cached 0), out 800 (reasoning 0)", for logs and the check command."""
        return (
            f"in {self.prompt:,} (cached {self.cached:,}), "
            f"out {self.completion:,} (reasoning {self.reasoning:,})"
        )


def read_usage(answer: Mapping[str, Any]) -> Usage:
    """The `usage` of a chat-completions answer: OpenAI's fields, DeepSeek's cache hits, and
    whether the message carried its reasoning as text (then its tokens may go unreported)."""
    usage = _mapping(answer.get("usage"))
    prompt_details = _mapping(usage.get("prompt_tokens_details"))
    completion_details = _mapping(usage.get("completion_tokens_details"))
    cached = max(_count(prompt_details.get("cached_tokens")),
                 _count(usage.get("prompt_cache_hit_tokens")))  # fmt: skip
    return Usage(
        calls=1,
        prompt=_count(usage.get("prompt_tokens")),
        completion=_count(usage.get("completion_tokens")),
        reasoning=_count(completion_details.get("reasoning_tokens")),
        cached=cached,
        thinking=int(_thought(answer)),
    )


def _thought(answer: Mapping[str, Any]) -> bool:
    """Whether the first choice's message shows reasoning: a field of its own, or <think>."""
    choices = answer.get("choices")
    first = choices[0] if isinstance(choices, list) and choices else {}
    message = _mapping(_mapping(first).get("message"))
    for key in ("reasoning_content", "reasoning"):
        if isinstance(message.get(key), str) and message[key].strip():
            return True
    content = message.get("content")
    return isinstance(content, str) and "<think>" in content


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _count(value: Any) -> int:
    """A token count as the API gave it; anything else (null, text, negative) is 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))
