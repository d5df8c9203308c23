"""Today's providers through the real Application, each configured with only the block README.md
gives for it: digests come out translated and nothing is refused; a refused parameter is changed
once and remembered; a retired model is reported once per run while papers go offline; tokens
add up in /stats."""

from __future__ import annotations

import logging
import re
import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import tests.harness as harness_module
from bot.store import Store
from tests.harness import Harness

README = Path(__file__).parents[2] / "README.md"
KEY = "sk-provider-key-0123456789abcdef"
ADMIN = 777  # ARXIV_DIGEST_ADMINS in the harness; its private chat reads the digests too
TOPIC, PAPERS = "astro-ph.EP", 6  # papers of the feed's day in TOPIC
ZH = "中文翻译"  # the fake's Chinese: in every translated TL;DR
# the README's heading of each provider's block -> the loopback fake that answers like it
HEADINGS = {"deepseek": "DeepSeek", "openai": "OpenAI", "dashscope": "Qwen",
            "ollama": "Ollama", "llamacpp": "llama.cpp"}  # fmt: skip


def readme_blocks() -> dict[str, dict[str, str]]:
    """The environment lines of each provider's fenced block in README.md, "An LLM"."""
    section = README.read_text(encoding="utf-8").split("### 3. An LLM", 1)[1].split("\n### ")[0]
    blocks = {}
    for heading, block in re.findall(r"\n#### ([^\n]+)\n.*?```sh\n(.*?)```", section, re.DOTALL):
        env = {}
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["export"]:
                for word in words[1:]:
                    name, _, value = word.partition("=")
                    env[name] = value
        name = next(n for n, h in HEADINGS.items() if h in heading)
        blocks[name] = env
    return blocks


def use_block(harness: Harness, name: str, **changes: str) -> dict[str, str]:
    """Configure the bot with the README block of `name`, its URL and key made the fake's."""
    block = readme_blocks()[name] | changes
    assert harness.llm is not None
    harness.llm.use(name, KEY if "LLM_API_KEY" in block else None)
    block = {k: v for k, v in block.items() if v != "-"}
    env = block | {
        "LLM_BASE_URL": harness.llm.url,
        "LLM_API_KEY": KEY if "LLM_API_KEY" in block else "",
    }
    for variable in ("LLM_OMIT", "LLM_EXTRA_BODY"):  # what the block does not set stays unset
        env.setdefault(variable, "")
    harness.env = env
    return block


def test_the_readme_has_a_block_for_each_provider_and_none_for_retired_models() -> None:
    blocks = readme_blocks()
    assert set(blocks) == set(HEADINGS)
    assert all(b["LLM_BASE_URL"].startswith("http") and b["LLM_MODEL"] for b in blocks.values())
    assert "deepseek-chat" not in {b["LLM_MODEL"] for b in blocks.values()}
    assert "deepseek-reasoner" not in {b["LLM_MODEL"] for b in blocks.values()}


async def digest_text(harness: Harness, chat: int = ADMIN) -> str:
    messages = await harness.say(chat, "/digest", expect=None)
    return "\n".join(m.get("plain_text", "") for m in messages)


async def stats_text(harness: Harness) -> str:
    [answer] = await harness.say(ADMIN, "/stats")
    return answer["plain_text"]


async def subscribe(harness: Harness, *topics: str) -> None:
    await harness.say(ADMIN, "/lang zh")
    await harness.say(ADMIN, "/subscribe " + " ".join(topics))
    await harness.settled()
    await harness.idle()


@pytest.mark.parametrize("name", list(HEADINGS))
async def test_each_readme_block_gives_translated_digests_with_nothing_refused(
    llm_harness: Harness, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    fake = llm_harness.llm
    block = use_block(llm_harness, name)
    await llm_harness.start()
    await subscribe(llm_harness, TOPIC)
    digest = await digest_text(llm_harness)
    assert digest.count(ZH) >= PAPERS, digest  # every entry's TL;DR is in Chinese
    assert fake.refusals() == 0 and len(fake.answered) == PAPERS
    assert all(body["model"] == block["LLM_MODEL"] for body in fake.requests)
    assert not any(fake.provider.thinks(body) for body in fake.requests)  # thinking is off
    assert llm_harness.engine.store.get_note("llm_adaptations") is None
    assert "refused" not in caplog.text and KEY not in caplog.text


async def test_a_refused_parameter_is_changed_once_logged_once_and_kept_after_restart(
    llm_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.llm")
    fake = llm_harness.llm
    use_block(llm_harness, "openai", LLM_OMIT="-", LLM_EXTRA_BODY="-")  # base URL, key, model
    await llm_harness.start()
    await subscribe(llm_harness, TOPIC)
    assert (await digest_text(llm_harness)).count(ZH) >= PAPERS
    lines = [r.getMessage() for r in caplog.records if "refused a parameter" in r.getMessage()]
    assert len(lines) == 2, lines  # temperature, then max_tokens; not once per paper
    assert "LLM_OMIT=temperature" in lines[0] and "max_completion_tokens" in lines[1]
    refusals = fake.refusals()
    assert refusals <= 2 * llm_harness.engine.settings.llm_concurrency  # only those in flight
    await llm_harness.restart()
    caplog.clear()
    answered = len(fake.answered)
    await subscribe(llm_harness, "econ.EM")
    assert len(fake.answered) > answered  # new papers were summarized after the restart...
    assert fake.refusals() == refusals  # ...without a refused request
    assert not any("temperature" in body or "max_tokens" in body for body in fake.requests[-3:])
    assert not [r for r in caplog.records if "refused a parameter" in r.getMessage()]


async def test_a_retired_model_is_reported_once_per_run_and_the_digest_goes_on_offline(
    llm_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.llm")
    fake = llm_harness.llm
    use_block(llm_harness, "deepseek", LLM_MODEL="deepseek-chat")  # the old README's model
    await llm_harness.start()
    await subscribe(llm_harness, TOPIC)

    def reports() -> list[str]:
        return [r.getMessage() for r in caplog.records if "Model Not Exist" in r.getMessage()]

    assert len(reports()) == 1 and "LLM_MODEL" in reports()[0]
    asked = len(fake.requests)
    assert asked <= llm_harness.engine.settings.llm_concurrency < PAPERS  # not once per paper
    stats = await stats_text(llm_harness)
    assert "⛔" in stats and "Model Not Exist" in stats and "LLM_MODEL" in stats
    await llm_harness.scheduler.fetch()  # the next run asks once more, and reports once more
    await llm_harness.settled()
    assert len(reports()) == 2
    assert asked < len(fake.requests) <= 2 * asked
    digest = await digest_text(llm_harness)
    assert ZH not in digest and digest.count("[") >= PAPERS  # every paper, in English
    assert KEY not in caplog.text


async def test_tokens_are_summed_into_stats_for_today_and_the_week_with_money(
    llm_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    prices = 'price_in = 0.5\nprice_out = 2.0\ncurrency = "CNY"\n'
    monkeypatch.setattr(harness_module, "TEST_CONFIG", harness_module.TEST_CONFIG + prices)
    today = datetime.now(UTC).date()
    earlier, too_old = today - timedelta(days=3), today - timedelta(days=7)
    store = Store(llm_harness.data_dir)
    store.bump_many({f"llm_tokens_in:{earlier}": 1_000_000, f"llm_tokens_out:{earlier}": 10,
                     f"llm_tokens_in:{too_old}": 5_000_000})  # fmt: skip
    store.close()
    fake = llm_harness.llm
    use_block(llm_harness, "deepseek")
    await llm_harness.start()
    await subscribe(llm_harness, TOPIC)
    await digest_text(llm_harness)
    answered = fake.answered
    prompt = sum(u["prompt_tokens"] for u in answered)
    out = sum(u["completion_tokens"] for u in answered)
    cached = sum(u["prompt_cache_hit_tokens"] for u in answered)
    assert len(answered) == PAPERS and cached > 0  # DeepSeek's cache hit the shared prefix
    stats = await stats_text(llm_harness)
    day = f"输入 {prompt:,}（缓存 {cached:,}），输出 {out:,}（推理 0）tokens"  # the chat reads Chinese
    money = (prompt * 0.5 + out * 2.0) / 1e6
    assert f"LLM 今日用量：{day} ≈ {money:.4f} CNY" in stats, stats
    week_in, week_out = prompt + 1_000_000, out + 10
    week_money = (week_in * 0.5 + week_out * 2.0) / 1e6
    week = f"输入 {week_in:,}（缓存 {cached:,}），输出 {week_out:,}（推理 0）tokens"
    assert f"LLM 近 7 天用量：{week} ≈ {week_money:.4f} CNY" in stats, stats


async def test_a_thinking_model_reports_its_reasoning_tokens_in_stats(
    llm_harness: Harness,
) -> None:
    fake = llm_harness.llm
    use_block(llm_harness, "deepseek", LLM_EXTRA_BODY="-")  # V4 without the switch: it thinks
    await llm_harness.start()
    await subscribe(llm_harness, TOPIC)
    assert (await digest_text(llm_harness)).count(ZH) >= PAPERS
    reasoning = sum(u["completion_tokens_details"]["reasoning_tokens"] for u in fake.answered)
    assert reasoning > 0
    assert f"（推理 {reasoning:,}）" in await stats_text(llm_harness)
