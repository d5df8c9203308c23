"""What an operator sees of /stats, and what everyone else sees."""

from __future__ import annotations

import re

import pytest

from tests.handlers import GROUP, GROUP_ADMIN
from tests.harness import Harness

ADMIN = 777  # ARXIV_DIGEST_ADMINS in the harness


@pytest.mark.full_feed
@pytest.mark.slow
async def test_stats_count_chats_topics_papers_and_the_last_fetch(harness: Harness) -> None:
    await harness.start()
    await harness.say(1, '/subscribe cs.AI "weather forecast"')
    await harness.say(2, "/subscribe CS.ai")
    await harness.say(2, "/pause")
    await harness.say(3, "/subscribe hep-th")
    harness.api.push_my_chat_member(3, "kicked")
    await harness.wait_until(lambda: not harness.engine.store.get_chat(3).active)
    await harness.settled()
    [answer] = await harness.say(ADMIN, "/stats")
    text = answer["plain_text"]
    assert "Chats: 3 (active 1, paused 1, inactive 1; groups 0)" in text
    assert "Topics: 2 distinct, 3 subscriptions" in text  # of the chats still active
    assert "Papers stored: 1504 (latest announcement: 2024-11-28)" in text
    summaries = re.search(r"Summaries: (\d+)", text)
    assert summaries and int(summaries.group(1)) > 0
    assert "LLM calls: 0 (0 today), failures: 0" in text
    assert re.search(r"Last fetch: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", text)


async def test_stats_show_the_llm_counters(harness: Harness) -> None:
    await harness.start()
    harness.engine.store.bump("llm_calls", 12)
    harness.engine.store.bump("llm_failures", 2)
    [answer] = await harness.say(ADMIN, "/stats")
    assert "LLM calls: 12 (0 today), failures: 2" in answer["plain_text"]


async def test_stats_name_the_feeds_the_last_fetch_missed(harness: Harness) -> None:
    await harness.start()
    harness.engine.store.put_feed_state("_last_run", {"at": 1732795200.0, "failed": ["cs.AI"]})
    [answer] = await harness.say(ADMIN, "/stats")
    assert "Last fetch: 2024-11-28 12:00:00 UTC; failed: cs.AI" in answer["plain_text"]


async def test_stats_are_refused_to_anyone_else(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(5, "/stats")
    assert answer["plain_text"] == "Sorry, /stats is only for the bot's operators."
    [chinese] = await harness.say(6, "/stats", language_code="zh-hans")
    assert chinese["plain_text"] == "抱歉，/stats 只供机器人的运维人员使用。"


async def test_in_a_group_stats_follow_the_user_not_the_group_role(harness: Harness) -> None:
    harness.api.set_admins(GROUP, [GROUP_ADMIN])
    await harness.start()
    [refused] = await harness.say(GROUP, "/stats", user_id=GROUP_ADMIN)
    assert "only for the bot's operators" in refused["plain_text"]
    [answer] = await harness.say(GROUP, "/stats", user_id=ADMIN)
    assert "Chats:" in answer["plain_text"]
