"""A streamed answer (bot/llm/stream.py through LLMSummarizer.stream): read as it comes, its usage
from the final chunk, a refused `stream_options` left out, a cut stream an error, secrets never
shown."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.errors import SummarizeError
from bot.llm import StreamCut
from bot.llm.client import LLMSummarizer
from bot.llm.usage import Usage
from tests.llm.test_llm import KEY, Sleeps, client  # noqa: F401 (the fixture)

MESSAGES = [{"role": "user", "content": "Question: what?"}]
TEXT = "They train on ImageNet (§3.2), then test on videos.\nSECTIONS: §3.2"


def summarizer(client: httpx.AsyncClient, url: str) -> LLMSummarizer:  # noqa: F811
    return LLMSummarizer(client, url, "m", KEY, retries=1, sleep=Sleeps())


async def test_the_text_comes_in_pieces_and_the_usage_at_the_end(fake_llm, client) -> None:  # noqa: F811
    fake_llm.script(("raw", TEXT))
    seen: list[str] = []
    usages: list[Usage] = []
    answer = await summarizer(client, fake_llm.url).stream(MESSAGES, seen.append,
                                                           on_usage=usages.append)  # fmt: skip
    assert answer == TEXT
    assert len(seen) > 5 and seen[-1] == TEXT and all(TEXT.startswith(s) for s in seen)
    (body,) = fake_llm.requests
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert "response_format" not in body
    assert usages[0].completion == len(TEXT) // 4 and usages[0].prompt > 0


async def test_a_refused_stream_options_is_left_out(fake_llm, client) -> None:  # noqa: F811
    refusal = {"error": {"message": "Unrecognized request argument supplied: stream_options",
                         "param": "stream_options", "code": None}}  # fmt: skip
    fake_llm.script(("call", lambda _: (400, json.dumps(refusal))), ("raw", TEXT))
    llm = summarizer(client, fake_llm.url)
    assert await llm.stream(MESSAGES, lambda _: None) == TEXT
    assert "stream_options" not in fake_llm.requests[-1] and fake_llm.requests[-1]["stream"]
    assert [c.param for c in llm.adaptations.of("m")] == ["stream_options"]


async def test_a_stream_cut_after_words_were_shown_is_not_retried(fake_llm, client) -> None:  # noqa: F811
    fake_llm.script(("cut", 3))
    seen: list[str] = []
    with pytest.raises(StreamCut, match="stopped mid-way"):
        await summarizer(client, fake_llm.url).stream(MESSAGES, seen.append)
    assert seen and len(fake_llm.requests) == 1


async def test_a_secret_in_the_stream_is_never_shown(fake_llm, client) -> None:  # noqa: F811
    fake_llm.script(("raw", f"Sure, the key is {KEY} and more words follow here."))
    seen: list[str] = []
    with pytest.raises(SummarizeError, match="repeats a secret"):
        await summarizer(client, fake_llm.url).stream(MESSAGES, seen.append)
    assert not any(KEY[:8] in s or KEY[8:16] in s for s in seen)
