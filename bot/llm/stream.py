"""Server-sent events of a streamed chat-completions answer, read as they come.

OpenAI's format: lines `data: {chunk}`, each chunk's `choices[0].delta.content` a piece of the
text, `finish_reason` on the last one, then (asked with `stream_options.include_usage`) a chunk
with empty `choices` and the `usage`, then `data: [DONE]`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from bot.errors import SummarizeError
from bot.llm.usage import Usage, read_usage
from bot.llm.wire import Answer, read_answer

DONE = "[DONE]"


class StreamCut(SummarizeError):
    """The stream ended before `[DONE]`: the answer stopped mid-way."""


async def read_stream(response: httpx.Response, on_text: Callable[[str], None]) -> Answer:
    """The whole answer of a 200 response, `on_text(text so far)` after every piece; an
    answer that is not a stream (a provider that ignores `stream`) is read whole. StreamCut
    when the server stops before `[DONE]`; SummarizeError when it sends an error event."""
    if "text/event-stream" not in response.headers.get("content-type", ""):
        await response.aread()
        answer = read_answer(response)
        if answer.content:
            on_text(answer.content)
        return answer
    pieces: list[str] = []
    usage, cut = Usage(calls=1), False
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue  # blank separators, `: keep-alive` comments, `event:` names
        data = line[5:].strip()
        if data == DONE:
            return Answer("".join(pieces), usage, cut)
        chunk = _chunk(data)
        if "usage" in chunk and isinstance(chunk["usage"], dict):
            usage = read_usage(chunk)
        piece, finish = _delta(chunk)
        cut = cut or finish == "length"
        if piece:
            pieces.append(piece)
            on_text("".join(pieces))
    raise StreamCut(f"the answer stopped mid-way ({len(''.join(pieces)):,} characters in)")


def _chunk(data: str) -> dict[str, Any]:
    try:
        chunk = json.loads(data)
    except ValueError:
        return {}
    if not isinstance(chunk, dict):
        return {}
    if "error" in chunk:
        error = chunk["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise SummarizeError(f"the LLM stream reported an error: {str(message)[:200]}")
    return chunk


def _delta(chunk: dict[str, Any]) -> tuple[str, str | None]:
    """The piece of text (never `reasoning_content`) and the finish reason of one chunk."""
    choices = chunk.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return "", None
    delta = choices[0].get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    finish = choices[0].get("finish_reason")
    text = content if isinstance(content, str) else ""
    return text, (finish if isinstance(finish, str) else None)
