"""The LLM client against loopback servers that answer like today's providers: what each refuses
is changed once and remembered, usage is read in each provider's shape, a missing model is a
refusal that names what to change."""

from __future__ import annotations

import logging

import httpx
import pytest

from bot.llm import LLMRefused
from bot.llm.adapt import Adaptations
from bot.llm.client import LLMSummarizer
from bot.llm.usage import Usage
from tests.fakes.llm_server import FakeLLM
from tests.llm.test_llm import AUDIO, Sleeps

KEY = "sk-provider-0123456789abcdef"


@pytest.fixture
async def client():
    async with httpx.AsyncClient() as opened:
        yield opened


def summarizer(client: httpx.AsyncClient, fake: FakeLLM, model: str, **options) -> LLMSummarizer:
    return LLMSummarizer(client, fake.url, model, KEY, timeout=5.0, retries=0, sleep=Sleeps(),
                         **options)  # fmt: skip


async def summarize(llm: LLMSummarizer) -> tuple[str, Usage]:
    spent: list[Usage] = []
    summary = await llm.summarize(AUDIO, "zh", on_usage=spent.append)
    return summary.source, sum(spent, Usage())


def refused_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "refused a parameter" in r.getMessage()]


async def test_openai_reasoning_model_gets_temperature_dropped_and_max_completion_tokens(
    client, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.llm")
    saved: list[dict] = []
    learned = Adaptations(save=saved.append)
    with FakeLLM("openai", KEY) as fake:
        llm = summarizer(client, fake, "gpt-5-mini", adaptations=learned)
        source, usage = await summarize(llm)
        assert source == "llm"
        assert fake.refusals() == 2  # temperature, then max_tokens: each once
        last = fake.requests[-1]
        assert "temperature" not in last and "max_tokens" not in last
        assert last["max_completion_tokens"] == llm.max_output_tokens
        assert usage.reasoning > 0 and usage.completion > usage.reasoning
        assert usage.prompt == fake.answered[-1]["prompt_tokens"]
        await summarize(llm)  # the next paper: no refused request any more
        assert fake.refusals() == 2
    lines = refused_lines(caplog)
    assert len(lines) == 2
    assert "without temperature" in lines[0] and 'omit = ["temperature"]' in lines[0]
    assert "LLM_OMIT=temperature" in lines[0]
    assert "max_completion_tokens instead of max_tokens" in lines[1]
    assert "max_completion_tokens" in lines[1] and "extra_body" in lines[1]
    assert saved[-1] == {"gpt-5-mini": [["temperature", "drop", None],
                                        ["max_tokens", "rename", None]]}  # fmt: skip
    assert KEY not in caplog.text


async def test_what_a_model_refused_is_not_asked_again_after_a_restart(client, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="bot.llm")
    kept = {"gpt-5-mini": [["temperature", "drop", None], ["max_tokens", "rename", None]]}
    with FakeLLM("openai", KEY) as fake:
        llm = summarizer(client, fake, "gpt-5-mini", adaptations=Adaptations(kept))
        assert (await summarize(llm))[0] == "llm"
        assert fake.refusals() == 0 and len(fake.requests) == 1
    assert refused_lines(caplog) == []


async def test_the_readme_openai_config_is_never_refused(client) -> None:
    with FakeLLM("openai", KEY) as fake:
        llm = summarizer(client, fake, "gpt-5-mini", omit=("temperature",),
                         extra_body={"max_completion_tokens": 4096,
                                     "reasoning_effort": "minimal"})  # fmt: skip
        source, usage = await summarize(llm)
        assert source == "llm" and fake.refusals() == 0
        assert usage.reasoning == 0


async def test_deepseek_v4_thinks_unless_the_body_turns_it_off(client) -> None:
    with FakeLLM("deepseek", KEY) as fake:
        source, thinking = await summarize(summarizer(client, fake, "deepseek-v4-flash"))
        assert source == "llm"
        assert thinking.reasoning > 0 and thinking.thinking == 1  # reasoning_content came
        off = {"thinking": {"type": "disabled"}}
        llm = summarizer(client, fake, "deepseek-v4-flash", extra_body=off)
        source, quiet = await summarize(llm)
        assert source == "llm" and quiet.reasoning == 0 and quiet.thinking == 0
        assert quiet.completion < thinking.completion
        assert fake.requests[-1]["thinking"] == {"type": "disabled"}
        _, again = await summarize(llm)  # the shared prompt prefix is a cache hit now
        assert again.cached > 0 and again.cached == fake.answered[-1]["prompt_cache_hit_tokens"]


async def test_a_retired_deepseek_model_is_a_refusal_naming_llm_model(client) -> None:
    with FakeLLM("deepseek", KEY) as fake:
        with pytest.raises(LLMRefused) as raised:
            await summarize(summarizer(client, fake, "deepseek-chat"))
        assert len(fake.requests) == 1  # not adapted, not retried
    assert "Model Not Exist" in raised.value.reason and "LLM_MODEL" in raised.value.hint


async def test_a_wrong_key_is_a_refusal_naming_llm_api_key(client) -> None:
    with (
        FakeLLM("deepseek", "sk-the-right-one-000000") as fake,
        pytest.raises(LLMRefused) as raised,
    ):
        await summarize(summarizer(client, fake, "deepseek-v4-flash"))
    assert "LLM_API_KEY" in raised.value.hint and KEY not in str(raised.value)


async def test_qwen3_open_model_gets_enable_thinking_false(client, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="bot.llm")
    with FakeLLM("dashscope", KEY) as fake:
        llm = summarizer(client, fake, "qwen3-32b")
        source, usage = await summarize(llm)
        assert source == "llm" and fake.refusals() == 1
        assert fake.requests[-1]["enable_thinking"] is False and usage.reasoning == 0
    [line] = refused_lines(caplog)
    assert "enable_thinking = false" in line and '"enable_thinking": false' in line


async def test_qwen_on_dashscope_with_thinking_off_in_the_config(client) -> None:
    with FakeLLM("dashscope", KEY) as fake:
        llm = summarizer(client, fake, "qwen3.5-plus", extra_body={"enable_thinking": False})
        source, usage = await summarize(llm)
        assert source == "llm" and fake.refusals() == 0 and usage.reasoning == 0


@pytest.mark.parametrize(
    ("name", "model", "extra", "thinks"),
    [
        ("ollama", "qwen3:8b", {}, True),
        ("ollama", "qwen3:8b", {"reasoning_effort": "none"}, False),
        ("llamacpp", "qwen3", {}, True),
        ("llamacpp", "qwen3", {"chat_template_kwargs": {"enable_thinking": False}}, False),
    ],
)
async def test_local_servers_think_blocks_are_stripped(client, name, model, extra, thinks) -> None:
    with FakeLLM(name) as fake:
        llm = summarizer(client, fake, model, extra_body=extra)
        source, usage = await summarize(llm)
        assert source == "llm"
        assert usage.thinking == int(thinks)  # a <think> block came, and was not shown
        assert usage.prompt > 0 and usage.completion > 0


async def test_ollama_names_a_missing_model(client) -> None:
    with FakeLLM("ollama") as fake, pytest.raises(LLMRefused) as raised:
        await summarize(summarizer(client, fake, "qwen9:1b"))
    assert "LLM_MODEL" in raised.value.hint
