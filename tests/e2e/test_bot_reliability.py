"""SPEC's "Reliability" promises: nothing lost, nothing twice, limits honoured, cost shared."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.pipeline import make_digest
from bot.store import Store
from tests.harness import Harness

MORNING = datetime(2024, 11, 29, 8, 31, tzinfo=UTC)  # 08:31 UTC the day after the announcement


@pytest.fixture
async def h(harness: Harness):
    yield harness
    assert harness.api.rejections == [], "Telegram would have refused a message"


async def subscribe(h: Harness, chat_id: int, topics: str, time: str = "08:30") -> None:
    await h.say(chat_id, "/start")
    await h.say(chat_id, f"/subscribe {topics}")
    await h.say(chat_id, f"/time {time}")
    await h.settled()


def digest_of(h: Harness, chat_id: int):
    return h.engine.store.latest_digest(chat_id)


def delivered(h: Harness, chat_id: int) -> bool:
    digest = digest_of(h, chat_id)
    return digest is not None and digest.done


async def test_a_digest_due_while_the_bot_was_down_is_sent_once_when_it_is_back(h):
    await h.start()
    await subscribe(h, 1, "hep-th")
    await h.stop()
    h.clock.set(MORNING)  # 08:30 passes while the bot is down
    await h.start()
    await h.wait_until(lambda: delivered(h, 1))
    count = len(h.api.messages_to(1))
    await h.scheduler.deliver_due()
    await h.restart()
    await h.scheduler.deliver_due()
    assert len(h.api.messages_to(1)) == count
    assert digest_of(h, 1).number == 1


async def test_a_delivery_cut_off_half_way_resumes_without_repeating_a_message(h):
    await h.start()
    await subscribe(h, 2, "cs")  # hundreds of cs papers: a page of 30 takes several messages
    h.clock.set(MORNING)
    await h.wait_until(lambda: delivered(h, 2))
    digest = digest_of(h, 2)
    parts = [m for m in h.api.messages_to(2) if m["message_id"] in digest.message_ids]
    assert len(parts) >= 2
    # The process dies after the first part: the store says one part went out.
    await h.stop()
    with Store(h.data_dir) as store:
        store.put_digest(
            digest.with_changes(done=False, parts_sent=1, message_ids=digest.message_ids[:1])
        )
    sent = len(h.api.messages_to(2))
    await h.start()
    await h.wait_until(lambda: delivered(h, 2))
    resent = h.api.messages_to(2)[sent:]
    assert [m["text"] for m in resent] == [m["text"] for m in parts[1:]]


async def test_a_failed_send_is_retried_on_the_next_check_from_where_it_stopped(h):
    await h.start()
    await subscribe(h, 3, "cs")
    h.api.fail_next("sendMessage", status=500, times=1)
    h.clock.set(MORNING)
    await h.wait_until(lambda: delivered(h, 3))
    texts = [m["text"] for m in h.api.messages_to(3)]
    assert len(texts) == len(set(texts))  # no part twice
    digest = digest_of(h, 3)
    assert len(digest.message_ids) == digest.parts_sent


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_429_is_waited_out_and_the_message_still_sent(h):
    await h.start()
    await h.say(5, "/start")
    h.api.fail_next("sendMessage", status=429, retry_after=1)
    (answer,) = await h.say(5, "/help")
    assert "/subscribe" in answer["plain_text"]
    assert any(error.status == 429 for error in h.api.errors)


async def test_a_chat_that_blocked_the_bot_is_skipped_and_others_still_get_theirs(h):
    await h.start()
    await subscribe(h, 6, "hep-th")
    await subscribe(h, 7, "hep-th")
    h.api.block_chat(6)
    before = len(h.api.messages_to(6))
    h.clock.set(MORNING)
    # Chats are delivered in parallel: chat 7 may finish before chat 6's refusal is stored.
    await h.wait_until(lambda: delivered(h, 7) and not h.engine.store.get_chat(6).active)
    assert h.engine.store.get_chat(6).topics == ("hep-th",)  # settings kept
    assert len(h.api.messages_to(6)) == before


async def test_days_without_announcements_send_nothing_and_digest_says_when_the_last_was(h):
    await h.start()
    await subscribe(h, 8, "hep-th")
    h.clock.set(MORNING)
    await h.wait_until(lambda: delivered(h, 8))
    count = len(h.api.messages_to(8))
    h.clock.set(datetime(2024, 11, 30, 8, 31, tzinfo=UTC))  # Saturday: the feed is unchanged
    await h.scheduler.fetch()
    assert len(h.api.messages_to(8)) == count
    (answer,) = await h.say(8, "/digest", expect=1)
    assert "2024-11-28" in answer["plain_text"]


async def test_two_chats_with_overlapping_topics_share_requests_and_llm_calls(llm_harness):
    h = llm_harness
    await h.start()
    await subscribe(h, 11, "hep-th")
    await subscribe(h, 12, "hep-th gr-qc")
    await h.say(11, "/lang zh")
    await h.say(12, "/lang zh")
    h.feeds.requests.clear()
    h.llm.requests.clear()
    await h.scheduler.fetch()
    assert len(h.feeds.feed_requests()) == 1  # one combined feed, asked once
    assert h.feeds.feed_requests()[0].path == "/rss/gr-qc+hep-th"
    h.clock.set(MORNING)
    await h.wait_until(lambda: delivered(h, 11) and delivered(h, 12))
    papers = set(digest_of(h, 11).paper_ids) | set(digest_of(h, 12).paper_ids)
    assert set(digest_of(h, 11).paper_ids) & set(digest_of(h, 12).paper_ids)
    assert len(h.llm.requests_for("zh")) == len(papers)  # once per paper and language
    assert h.api.rejections == []


async def test_two_senders_of_one_digest_send_each_message_once(h):
    await h.start()
    await subscribe(h, 9, "cs", time="asap")
    await h.api.wait_for(lambda: delivered(h, 9))
    chat = h.engine.store.get_chat(9).with_changes(last_announced="", time="08:30")
    h.engine.store.put_chat(chat)
    h.engine.store.put_digest(digest_of(h, 9).with_changes(done=True))
    fresh = await make_digest(h.engine, chat.with_changes(topics=("hep-th",)))
    assert fresh is not None
    before = len(h.api.messages_to(9))
    # a /digest and the scheduler's resume reach the same undelivered digest at once
    await asyncio.gather(h.send_page(fresh), h.send_page(fresh))
    await h.send_page(fresh)  # a stale copy, after it was delivered
    await h.wait_until(lambda: delivered(h, 9))  # the scheduler's pass may be one of the senders
    sent = h.api.messages_to(9)[before:]
    assert len(sent) == digest_of(h, 9).parts_sent
    assert len({m["text"] for m in sent}) == len(sent)


async def test_a_digest_asked_for_during_the_scheduled_one_repeats_no_paper(llm_harness):
    h = llm_harness
    await h.start()
    await subscribe(h, 10, "hep-th")
    await h.say(10, "/lang ja")  # no summary in Japanese yet: making a digest waits on the LLM
    chat = h.engine.store.get_chat(10)
    made = await asyncio.gather(make_digest(h.engine, chat), make_digest(h.engine, chat))
    assert sum(digest is not None for digest in made) == 1
