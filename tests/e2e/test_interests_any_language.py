"""Interests in any language, through the real Application on the recorded 1,504-paper day: a
Chinese sentence is turned once into English search terms that rank the day's medical LLM papers
first with 💡 lines in Chinese, also after a restart; English works as before; without an LLM
the reply says plainly that nothing matches; the terms call waits for no other chat."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.telegram.buttons import setting_data
from tests.conftest import ARXIV
from tests.e2e.test_concurrency import position
from tests.e2e.test_providers import use_block
from tests.fakes.embed_server import FakeEmbeddings
from tests.fakes.llm_server import interests_asked, translation
from tests.handlers import press, stored
from tests.harness import Harness

ZH, EN, OTHER = 701, 702, 703
ZH_INTERESTS = "医疗人工智能、用于临床的大语言模型和医学问答"
EN_INTERESTS = "medical AI, large language models for clinical use and medical question answering"
# what the loopback LLM's glossary makes of ZH_INTERESTS, in the text's order
ZH_TERMS = (
    "medical",
    "artificial intelligence",
    "clinical",
    "large language models",
    "medical question answering",
)
# The day's medical LLM papers among cs.CL and cs.AI, replaced papers included: AfriMed-QA (a
# medical question-answering benchmark), a survey of LLMs in medicine, the HOPPR medical-grade
# platform for medical imaging AI.
MEDICAL = {"2411.15640", "2405.08603", "2411.17891"}
DAY_TWO = ARXIV / "atom-cs.AI-2025-08-20-TRUNCATED-AT-SOURCE.xml"
# 2025-08-20 (cs.AI): multi-LLM medical decision-making; EHR reasoning in LLMs for clinical use
MEDICAL_DAY_TWO = {"2508.13754", "2508.13579"}


async def subscribe(harness: Harness, chat_id: int, lang: str) -> None:
    """A chat reading cs.CL and cs.AI, replaced papers included, in `lang`."""
    await harness.say(chat_id, f"/lang {lang}")
    await harness.say(chat_id, "/subscribe cs.CL cs.AI")
    [screen] = await harness.say(chat_id, "/settings")
    await press(harness, chat_id, screen["message_id"], setting_data("repl"))
    assert stored(harness, chat_id).include_replacements


async def digest_top(harness: Harness, chat_id: int) -> tuple[tuple[str, ...], list[str]]:
    """The first five papers of a new digest, and the 💡 lines of its first message."""
    messages = await harness.say(chat_id, "/digest", expect=None)
    digest = harness.engine.store.latest_digest(chat_id)
    assert digest is not None
    lines = messages[0]["plain_text"].splitlines()
    return digest.paper_ids[:5], [line for line in lines if line.startswith("💡")]


async def test_a_chinese_interest_ranks_the_medical_papers_first_with_chinese_why_lines(
    llm_harness: Harness,
) -> None:
    harness = llm_harness
    await harness.start()
    await subscribe(harness, ZH, "zh")
    [answer] = await harness.say(ZH, f"/interests {ZH_INTERESTS}")
    shown = answer["plain_text"]
    assert f"兴趣：{ZH_INTERESTS}" in shown
    assert "所以我按这些英文检索词查找：" + ", ".join(ZH_TERMS) in shown
    assert harness.llm.terms_requests() == [ZH_INTERESTS]
    chat = stored(harness, ZH)
    assert (chat.interests, chat.interest_terms) == (ZH_INTERESTS, ZH_TERMS)
    top, why = await digest_top(harness, ZH)
    assert set(top) >= MEDICAL
    assert len(why) >= 5 and all(line.startswith("💡 符合你的兴趣：") for line in why[:5])
    assert sum("medical" in line for line in why[:5]) >= 3
    assert "Matches your interests" not in "\n".join(why)
    [current] = await harness.say(ZH, "/interests")
    assert "英文检索词查找：medical, artificial intelligence" in current["plain_text"]


async def test_the_terms_are_stored_and_rank_the_next_day_after_a_restart_without_a_new_call(
    llm_harness: Harness,
) -> None:
    harness = llm_harness
    await harness.start()
    await subscribe(harness, ZH, "zh")
    await harness.say(ZH, f"/interests {ZH_INTERESTS}")
    await harness.say(ZH, "/digest", expect=None)
    await harness.restart()
    harness.feeds.default_feed = DAY_TWO.read_bytes()
    harness.clock.set(datetime(2025, 8, 20, 12, 0, tzinfo=UTC))
    await harness.scheduler.fetch()
    top, why = await digest_top(harness, ZH)
    assert harness.engine.store.latest_digest(ZH).announced == "2025-08-20"
    assert set(top) >= MEDICAL_DAY_TWO
    assert all(line.startswith("💡 符合你的兴趣：") for line in why[:5])
    assert harness.llm.terms_requests() == [ZH_INTERESTS]  # the one request, before the restart
    assert stored(harness, ZH).interest_terms == ZH_TERMS


async def test_the_english_sentence_ranks_as_before_without_asking_the_llm(
    llm_harness: Harness,
) -> None:
    harness = llm_harness
    await harness.start()
    await subscribe(harness, EN, "en")
    [answer] = await harness.say(EN, f"/interests {EN_INTERESTS}")
    assert answer["plain_text"].startswith("✅ Interests: medical AI, large language models")
    assert "look for" not in answer["plain_text"] and "⚠️" not in answer["plain_text"]
    top, why = await digest_top(harness, EN)
    assert set(top) >= MEDICAL
    assert all(line.startswith("💡 Matches your interests:") for line in why[:5])
    assert harness.llm.terms_requests() == []
    assert stored(harness, EN).interest_terms == ()


async def test_without_an_llm_a_chinese_interest_is_told_plainly_and_claims_no_match(
    harness: Harness,
) -> None:
    await harness.start()
    await subscribe(harness, ZH, "zh")
    [answer] = await harness.say(ZH, f"/interests {ZH_INTERESTS}")
    shown = answer["plain_text"]
    assert f"兴趣已保存：{ZH_INTERESTS}" in shown
    assert "需要 LLM 转成英文检索词，而本机器人没有配置 LLM。请用英文单词来写" in shown
    assert "目前它们匹配不到任何论文" in shown
    assert "从下一期摘要起，符合的论文排在前面" not in shown
    chat = stored(harness, ZH)
    assert (chat.interests, chat.interest_terms) == (ZH_INTERESTS, ())
    messages = await harness.say(ZH, "/digest", expect=None)
    assert not any("💡" in message["plain_text"] for message in messages)
    [current] = await harness.say(ZH, "/interests")
    assert "本机器人没有配置 LLM" in current["plain_text"]


async def test_an_llm_failure_is_said_and_the_next_fetch_asks_again(
    llm_harness: Harness,
) -> None:
    harness = llm_harness
    await harness.start()
    await subscribe(harness, ZH, "zh")
    harness.llm.script(("raw", "Sorry, I can only help with translations."))
    [answer] = await harness.say(ZH, f"/interests {ZH_INTERESTS}")
    shown = answer["plain_text"]
    assert f"兴趣已保存：{ZH_INTERESTS}" in shown
    assert "LLM 还没有把它们转成英文检索词" in shown and "下次抓取时我会再问它" in shown
    assert "目前它们匹配不到任何论文" in shown
    chat = stored(harness, ZH)
    assert (chat.interest_terms, chat.terms_failures) == ((), 1)
    await harness.scheduler.fetch()
    assert harness.llm.terms_requests() == [ZH_INTERESTS, ZH_INTERESTS]
    assert stored(harness, ZH).interest_terms == ZH_TERMS
    [current] = await harness.say(ZH, "/interests")
    assert "英文检索词查找：medical" in current["plain_text"]
    top, _ = await digest_top(harness, ZH)
    assert set(top) >= MEDICAL


async def test_another_chat_is_answered_while_a_chats_terms_call_waits_at_the_llm(
    llm_harness: Harness,
) -> None:
    harness = llm_harness
    await harness.start()
    await subscribe(harness, ZH, "zh")
    before = len(harness.api.messages_to(ZH))
    harness.llm.hold()
    harness.api.push_message(ZH, f"/interests {ZH_INTERESTS}")
    await harness.wait_until(lambda: harness.llm.held > 0)
    [helped] = await harness.say(OTHER, "/help")
    [listed] = await harness.say(OTHER, "/interests")
    assert harness.llm.held > 0, "ZH's terms call was still pending when OTHER was answered"
    assert len(harness.api.messages_to(ZH)) == before, "ZH's reply had not come yet"
    harness.llm.release()
    answer = (await harness.api.wait_for_messages(ZH, before + 1))[before]
    assert "英文检索词查找：medical" in answer["plain_text"]
    assert position(harness, helped) < position(harness, listed) < position(harness, answer)


async def test_the_terms_call_goes_the_providers_way_and_its_tokens_are_counted(
    llm_harness: Harness,
) -> None:
    harness = llm_harness
    use_block(harness, "openai", LLM_OMIT="-", LLM_EXTRA_BODY='{"reasoning_effort": "minimal"}')
    await harness.start()
    await subscribe(harness, ZH, "zh")
    requests = len(harness.llm.requests)
    [answer] = await harness.say(ZH, f"/interests {ZH_INTERESTS}")
    assert "英文检索词查找：" + ", ".join(ZH_TERMS) in answer["plain_text"]
    asked = harness.llm.requests[requests:]
    assert [body["reasoning_effort"] for body in asked] == ["minimal"] * len(asked)
    assert "temperature" not in asked[-1]  # the refused parameter was changed, as for summaries
    assert asked[-1]["max_completion_tokens"] > 0  # the output cap
    counters = harness.engine.store.counters()
    assert sum(n for name, n in counters.items() if name.startswith("llm_tokens_in:")) > 0
    assert harness.engine.summaries.spent.calls == 1


async def test_with_embeddings_the_text_is_embedded_as_written(
    llm_harness: Harness, fake_embeddings: FakeEmbeddings
) -> None:
    harness = llm_harness
    harness.env = {"EMBED_BASE_URL": fake_embeddings.url, "EMBED_MODEL": "fake-embed"}
    await harness.start()
    await subscribe(harness, ZH, "zh")
    await harness.say(ZH, f"/interests {ZH_INTERESTS}")
    await harness.say(ZH, "/digest", expect=None)
    assert ZH_INTERESTS in fake_embeddings.inputs
    assert not any(term in fake_embeddings.inputs for term in ZH_TERMS)


async def test_without_an_llm_an_embeddings_api_reads_the_text_and_the_reply_says_so(
    harness: Harness, fake_embeddings: FakeEmbeddings
) -> None:
    harness.env = {"EMBED_BASE_URL": fake_embeddings.url, "EMBED_MODEL": "fake-embed"}
    await harness.start()
    await subscribe(harness, ZH, "zh")
    [answer] = await harness.say(ZH, f"/interests {ZH_INTERESTS}")
    assert "向量（embeddings）排序会按原文的意思" in answer["plain_text"]
    await harness.say(ZH, "/digest", expect=None)
    assert ZH_INTERESTS in fake_embeddings.inputs


async def test_an_llm_that_is_down_is_said_and_counts_no_failure(llm_harness: Harness) -> None:
    harness = llm_harness
    await harness.start()
    await subscribe(harness, ZH, "zh")
    harness.llm.script(("status", 500))
    [answer] = await harness.say(ZH, f"/interests {ZH_INTERESTS}")
    assert "LLM 还没有把它们转成英文检索词" in answer["plain_text"]
    assert "目前它们匹配不到任何论文" in answer["plain_text"]
    assert (stored(harness, ZH).interest_terms, stored(harness, ZH).terms_failures) == ((), 0)


async def test_three_unusable_answers_give_up_and_ask_for_english_words(
    llm_harness: Harness,
) -> None:
    harness = llm_harness
    await harness.start()
    await subscribe(harness, ZH, "zh")
    hostile = {"terms": ["<script>alert(1)</script>", "医疗", "x" * 300, 42]}

    def answer_to(body: dict) -> tuple[int, str]:  # papers are translated, terms are junk
        made = hostile if interests_asked(body) else translation(body)
        return 200, json.dumps(made, ensure_ascii=False)

    harness.llm.default = ("call", answer_to)
    [answer] = await harness.say(ZH, f"/interests {ZH_INTERESTS}")
    assert "下次抓取时我会再问它" in answer["plain_text"]
    await harness.scheduler.fetch()
    await harness.scheduler.fetch()
    assert harness.llm.terms_requests() == [ZH_INTERESTS] * 3
    await harness.scheduler.fetch()
    assert len(harness.llm.terms_requests()) == 3  # given up: asked no more
    [current] = await harness.say(ZH, "/interests")
    assert "LLM 没能把它们转成英文检索词" in current["plain_text"]
    assert "请用英文单词来写" in current["plain_text"] and "<script>" not in current["text"]
    harness.llm.default = ("translate",)
    [again] = await harness.say(ZH, f"/interests {ZH_INTERESTS}")  # set again: asked again
    assert "英文检索词查找：medical" in again["plain_text"]
