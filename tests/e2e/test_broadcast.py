"""A delivery pass to many chats at once: each digest once, in order, state read at send time."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime

import bot.scheduler
from bot.models import Chat
from bot.store import Store
from tests.harness import FEED_DAY, Harness

MORNING = datetime(2024, 11, 29, 8, 31, tzinfo=UTC)  # 08:31 UTC the day after the announcement
SMALL_TOPIC = "q-bio.NC"  # a handful of papers: one message a digest
BIG_TOPIC = "hep-th"  # dozens of papers: a page of 30 takes several messages


def due_chat(chat_id: int, topic: str = SMALL_TOPIC, lang: str = "en") -> Chat:
    """A chat whose 08:30 digest falls due at MORNING."""
    return Chat(chat_id, topics=(topic,), lang=lang, time="08:30", last_slot=FEED_DAY.isoformat())


def seed(h: Harness, chats: list[Chat]) -> None:
    """Chats stored before the bot starts, as after a restart."""
    with Store(h.data_dir) as store:
        for chat in chats:
            store.put_chat(chat)


def delivered(h: Harness, chat_id: int) -> bool:
    digest = h.engine.store.latest_digest(chat_id)
    return digest is not None and digest.done


async def all_delivered(h: Harness, chat_ids: list[int], timeout: float = 240.0) -> None:
    async with asyncio.timeout(timeout):
        waiting = list(chat_ids)
        while waiting:
            waiting = [c for c in waiting if not delivered(h, c)]
            await asyncio.sleep(0.2)


def numbers_in(messages: list[dict]) -> list[int]:
    return [int(n) for m in messages for n in re.findall(r"^\[(\d+)\]", m["plain_text"], re.M)]


async def test_240_chats_due_at_once_each_get_their_digest_once_in_order(harness):
    h = harness
    small, big = list(range(1000, 1240)), [2001, 2002, 2003]
    seed(h, [due_chat(c) for c in small] + [due_chat(c, BIG_TOPIC) for c in big])
    h.api.flood_limit = 30  # a strict server: no more than 30 messages in any one second
    await h.start()
    h.clock.set(MORNING)
    await all_delivered(h, small + big)
    await h.scheduler.deliver_due()  # the same slot checked again sends nothing twice

    for chat_id in small + big:
        digest = h.engine.store.latest_digest(chat_id)
        messages = h.api.messages_to(chat_id)
        assert digest.number == 1
        assert [m["message_id"] for m in messages] == list(digest.message_ids)
        assert numbers_in(messages) == list(range(1, min(len(digest.paper_ids), 30) + 1))
    assert all(len(h.api.messages_to(c)) >= 2 for c in big), "a page in several messages"
    assert h.api.flood_429s == 0, "the strict server never had to refuse a message"
    assert h.api.rejections == []


async def test_a_chat_paused_or_switched_language_during_the_pass_is_honoured(llm_harness):
    h = llm_harness
    seed(h, [due_chat(3000)])  # its feed is fetched, its English summaries made, at start-up
    await h.start()
    paused, switched, others = 3001, 3002, [3003, 3004, 3005]
    for chat_id in [paused, switched, *others]:  # German: summaries the LLM has yet to make
        h.engine.store.put_chat(due_chat(chat_id, lang="de"))
    h.llm.hold()
    h.clock.set(MORNING)
    await h.wait_until(lambda: h.llm.held > 0)  # the pass is making the digests

    await h.say(paused, "/pause")
    await h.say(switched, "/lang ja")
    h.llm.release()
    await all_delivered(h, [switched, *others])
    await h.scheduler.deliver_due()

    assert len(h.api.messages_to(paused)) == 1, "only the reply to /pause"
    assert "日本語" in h.api.messages_to(switched)[-1]["plain_text"]
    for chat_id in others:
        assert "[de]" in h.api.messages_to(chat_id)[-1]["plain_text"]


async def test_a_digest_that_fails_spares_the_others_and_is_retried_next_pass(
    harness, monkeypatch, caplog
):
    h = harness
    chats, broken = list(range(4000, 4020)), 4007
    seed(h, [due_chat(c) for c in chats])
    prepare_digest, failures = bot.scheduler.prepare_digest, []

    async def failing(engine, chat, candidates=None):
        if chat.chat_id == broken and not fixed.is_set():
            failures.append(chat.chat_id)
            raise RuntimeError("injected failure")
        return await prepare_digest(engine, chat, candidates)

    fixed = asyncio.Event()
    monkeypatch.setattr(bot.scheduler, "prepare_digest", failing)
    await h.start()
    caplog.set_level(logging.ERROR, logger="bot.scheduler")
    h.clock.set(MORNING)
    await all_delivered(h, [c for c in chats if c != broken], timeout=60)
    await h.wait_until(lambda: len(failures) >= 2)  # tried again at the next pass

    assert h.engine.store.latest_digest(broken) is None
    assert any(str(broken) in r.getMessage() for r in caplog.records)
    fixed.set()
    await all_delivered(h, [broken], timeout=60)
    for chat_id in chats:
        assert h.engine.store.latest_digest(chat_id).number == 1
        assert len(h.api.messages_to(chat_id)) == 1
